package adhoc

import (
	"slices"

	"github.com/xmppoauth/xmppoauth/forms"
)

// Item is one command in the disco#items list of the commands node
// (XEP-0050 §2.2): the item's node and name; its jid is the responder's own.
type Item struct {
	Node string
	Name string
	// Aliases are further nodes of the command, not listed as items.
	Aliases []string
}

// Identity is a XEP-0030 identity.
type Identity struct {
	Category string
	Type     string
	Name     string
}

// Info is the disco#info of a node.
type Info struct {
	Identities []Identity
	Features   []string
}

// Items lists the commands requester may run, for disco#items on node
// [NS], in registration order; admin-only commands only when isAdmin. Each
// is listed once, under its node; its aliases are not items, but run it
// and answer disco#info ([Engine.Info]). requester is used for logging only.
func (e *Engine) Items(requester string, isAdmin bool) []Item {
	var items []Item
	for _, d := range e.defs {
		if d.AdminOnly && !isAdmin {
			continue
		}
		items = append(items, Item{Node: d.Node, Name: d.Name, Aliases: slices.Clone(d.Aliases)})
	}
	e.log.Debug("ad-hoc command list", "jid", requester, "count", len(items))
	return items
}

// Info answers disco#info for node: for a registered command, the identity
// automation/command-node with the command's name and the features
// http://jabber.org/protocol/commands and jabber:x:data (XEP-0050 §2.3),
// also on an alias of a command; for
// the commands node [NS] itself, the identity automation/command-list. ok is
// false for any other node.
func (e *Engine) Info(node string) (info Info, ok bool) {
	if node == NS {
		return Info{
			Identities: []Identity{{Category: "automation", Type: "command-list", Name: "Commands"}},
			Features:   []string{NS},
		}, true
	}
	d, ok := e.byNode[node]
	if !ok {
		return Info{}, false
	}
	return Info{
		Identities: []Identity{{Category: "automation", Type: "command-node", Name: d.Name}},
		Features:   []string{NS, forms.NS},
	}, true
}
