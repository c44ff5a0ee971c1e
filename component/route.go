package component

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"runtime/debug"
	"slices"
)

// Payloads the component answers itself.
var (
	discoInfoName  = xml.Name{Space: NSDiscoInfo, Local: "query"}
	discoItemsName = xml.Name{Space: NSDiscoItems, Local: "query"}
	pingName       = xml.Name{Space: NSPing, Local: "ping"}
	versionName    = xml.Name{Space: NSVersion, Local: "query"}
	commandName    = xml.Name{Space: NSCommands, Local: "command"}
	confirmName    = xml.Name{Space: NSHTTPAuth, Local: "confirm"}
)

// Identity of the component in disco#info (XEP-0030 §3.1). Of the
// categories in the XMPP Registrar's disco-categories registry, "auth"
// ("server components that provide authentication services within a server
// implementation") is the one that describes an OAuth authorization server
// attached to the XMPP server; none of its specific types (cert, ldap, ntlm,
// pam, radius) applies, so the type is "generic". "component" is meant for
// the server's own internal parts (c2s, router, sm…), and "automation" is
// what XEP-0050 uses for the command list node below, not for the service.
const (
	identityCategory = "auth"
	identityType     = "generic"
)

// stanzaWriter is where answers go: the session, or a recorder in tests.
type stanzaWriter interface {
	write(ctx context.Context, data []byte) error
}

// handle answers one incoming stanza. It runs in its own goroutine with a
// per-stanza context.
func (c *Component) handle(ctx context.Context, w stanzaWriter, st *inStanza) {
	c.log.DebugContext(ctx, "stanza received", "stanza", st.Kind, "type", st.Type, "jid", st.From, "id", st.ID)
	switch st.Kind {
	case "iq":
		c.handleIQ(ctx, w, st)
	case "message":
		c.handleMessage(ctx, w, st)
	case "presence":
		c.handlePresence(ctx, w, st)
	}
}

// expectsAnswer reports whether st must be answered, with an error if need
// be: IQ requests always (RFC 6120 §8.2.3), messages unless they are errors
// themselves (§8.3.1).
func expectsAnswer(st *inStanza) bool {
	switch st.Kind {
	case "iq":
		return st.Type == "get" || st.Type == "set"
	case "message":
		return st.Type != "error" && st.Type != "groupchat"
	}
	return false
}

// recoverPanic keeps a panicking handler from taking the process down: it
// logs the panic and answers internal-server-error where an answer is due.
// It must be deferred directly.
func (c *Component) recoverPanic(ctx context.Context, w stanzaWriter, st *inStanza) {
	r := recover()
	if r == nil {
		return
	}
	c.log.ErrorContext(ctx, "stanza handler panicked",
		"stanza", st.Kind, "type", st.Type, "jid", st.From, "id", st.ID,
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	if expectsAnswer(st) {
		c.replyError(ctx, w, st, NewStanzaError(InternalServerError, ""))
	}
}

// stanzaError turns a handler's error into what is sent: the *StanzaError
// it wraps, or internal-server-error after logging it.
func (c *Component) stanzaError(ctx context.Context, st *inStanza, err error) *StanzaError {
	if se, ok := asStanzaError(err); ok {
		return se
	}
	c.log.ErrorContext(ctx, "stanza handler failed",
		"stanza", st.Kind, "type", st.Type, "jid", st.From, "id", st.ID, "err", err)
	return NewStanzaError(InternalServerError, "")
}

// --- IQ ---------------------------------------------------------------------

func (c *Component) handleIQ(ctx context.Context, w stanzaWriter, st *inStanza) {
	if st.Type != "get" && st.Type != "set" {
		// Results and errors need no answer; the one we wait for (the
		// keepalive ping) was taken by the read loop.
		return
	}
	defer c.recoverPanic(ctx, w, st)
	if len(st.Children) != 1 {
		c.replyError(ctx, w, st, NewStanzaError(BadRequest, "An IQ request must have exactly one child element."))
		return
	}
	result, err := c.routeIQ(ctx, st, st.Children[0])
	if err != nil {
		c.replyError(ctx, w, st, c.stanzaError(ctx, st, err))
		return
	}
	c.replyResult(ctx, w, st, result)
}

// routeIQ answers an IQ request's payload: with the component's own
// handlers, a registered IQHandler, or service-unavailable (RFC 6120
// §8.3.3.19: the recipient does not provide the service).
func (c *Component) routeIQ(ctx context.Context, st *inStanza, payload RawElement) ([]byte, error) {
	switch payload.Name {
	case discoInfoName, discoItemsName, pingName, versionName:
		if st.Type != "get" {
			return nil, NewStanzaError(FeatureNotImplemented, "Only type 'get' is supported for this request.")
		}
	}
	switch payload.Name {
	case discoInfoName:
		return c.discoInfo(ctx, st, rootAttr(payload, "node"))
	case discoItemsName:
		return c.discoItems(ctx, st, rootAttr(payload, "node"))
	case pingName: // XEP-0199 §4: an empty result.
		return nil, nil
	case versionName:
		return c.version(), nil
	}
	h, ok := c.h.IQ[payload.Name]
	if !ok {
		return nil, NewStanzaError(ServiceUnavailable, "")
	}
	user, err := c.User(st.From)
	if err != nil {
		return nil, err
	}
	return h.HandleIQ(ctx, IQ{
		ID:      st.ID,
		Type:    st.Type,
		From:    st.From,
		User:    user,
		To:      st.To,
		Lang:    st.Lang,
		Payload: payload,
	})
}

// discoInfo answers XEP-0030 §3.1 for the component, and XEP-0050 §2.2
// and §2.3 for the command list node and each command node.
func (c *Component) discoInfo(ctx context.Context, st *inStanza, node string) ([]byte, error) {
	var b []byte
	b = append(b, "<query xmlns='"+NSDiscoInfo+"'"...)
	b = appendAttr(b, "node", node)
	b = append(b, '>')
	_, commands := c.h.IQ[commandName]
	switch {
	case node == "":
		b = appendIdentity(b, identityCategory, identityType, c.cfg.Name)
		for _, f := range c.features {
			b = append(b, "<feature"...)
			b = appendAttr(b, "var", f)
			b = append(b, "/>"...)
		}
	case node == NSCommands && commands:
		b = appendIdentity(b, "automation", "command-list", "Commands")
	default:
		item, err := c.commandItem(ctx, st, node)
		if err != nil {
			return nil, err
		}
		b = appendIdentity(b, "automation", "command-node", item.Name)
		b = append(b, "<feature var='"+NSCommands+"'/><feature var='"+NSDataForms+"'/>"...)
	}
	return append(b, "</query>"...), nil
}

// commandItem finds node among the requester's commands, or their aliases.
func (c *Component) commandItem(ctx context.Context, st *inStanza, node string) (DiscoItem, error) {
	notFound := NewStanzaError(ItemNotFound, "")
	if _, ok := c.h.IQ[commandName]; !ok || c.h.Items == nil {
		return DiscoItem{}, notFound
	}
	user, err := c.User(st.From)
	if err != nil {
		return DiscoItem{}, notFound
	}
	items, err := c.h.Items(ctx, user, NSCommands)
	if err != nil {
		return DiscoItem{}, err
	}
	for _, it := range items {
		if it.Node == node || slices.Contains(it.Aliases, node) {
			return it, nil
		}
	}
	return DiscoItem{}, notFound
}

// discoItems answers XEP-0030 §4. Only users see items: anyone else gets an
// empty list for the component and its command list (XEP-0050 §2.2 allows
// an empty list) and item-not-found for any other node.
func (c *Component) discoItems(ctx context.Context, st *inStanza, node string) ([]byte, error) {
	var items []DiscoItem
	user, userErr := c.User(st.From)
	listable := node == "" || node == NSCommands
	switch {
	case userErr == nil && c.h.Items != nil:
		var err error
		if items, err = c.h.Items(ctx, user, node); err != nil {
			return nil, err
		}
	case !listable:
		return nil, NewStanzaError(ItemNotFound, "")
	}
	var b []byte
	b = append(b, "<query xmlns='"+NSDiscoItems+"'"...)
	b = appendAttr(b, "node", node)
	b = append(b, '>')
	for _, it := range items {
		jid := it.JID
		if jid == "" {
			jid = c.cfg.Domain
		}
		b = append(b, "<item"...)
		b = appendAttr(b, "jid", jid)
		b = appendAttr(b, "node", it.Node)
		b = appendAttr(b, "name", it.Name)
		b = append(b, "/>"...)
	}
	return append(b, "</query>"...), nil
}

// version answers XEP-0092 §2, without the optional <os/>: the operating
// system is nobody's business.
func (c *Component) version() []byte {
	var b []byte
	b = append(b, "<query xmlns='"+NSVersion+"'><name>"...)
	b = appendEscaped(b, c.cfg.Name)
	b = append(b, "</name><version>"...)
	b = appendEscaped(b, c.cfg.Version)
	return append(b, "</version></query>"...)
}

// replyResult sends the IQ result with payload, which must be one element
// or empty.
func (c *Component) replyResult(ctx context.Context, w stanzaWriter, st *inStanza, payload []byte) {
	var child []byte
	if len(bytes.TrimSpace(payload)) > 0 {
		r, err := ParseRawElement(payload)
		if err != nil {
			c.log.ErrorContext(ctx, "stanza handler returned invalid XML",
				"stanza", st.Kind, "jid", st.From, "id", st.ID, "err", err)
			c.replyError(ctx, w, st, NewStanzaError(InternalServerError, ""))
			return
		}
		child = r.XML
	}
	b := c.appendReplyStart(nil, st, "result")
	b = append(b, child...)
	b = append(b, "</iq>"...)
	c.send(ctx, w, st, b)
}

// replyError answers st with a stanza error (RFC 6120 §8.3.1): same kind
// and id, addresses swapped, type "error".
func (c *Component) replyError(ctx context.Context, w stanzaWriter, st *inStanza, se *StanzaError) {
	b := c.appendReplyStart(nil, st, "error")
	b = se.appendXML(b)
	b = append(b, "</"+st.Kind+">"...)
	c.send(ctx, w, st, b)
}

// appendReplyStart appends the start tag of an answer to st.
func (c *Component) appendReplyStart(b []byte, st *inStanza, typ string) []byte {
	from := st.To
	if from == "" {
		from = c.cfg.Domain
	}
	b = append(b, '<')
	b = append(b, st.Kind...)
	b = appendAttr(b, "type", typ)
	b = appendAttr(b, "id", st.ID)
	b = appendAttr(b, "from", from)
	b = appendAttr(b, "to", st.From)
	return append(b, '>')
}

// send writes an answer; a failure only means the stream is going away, and
// Run deals with that.
func (c *Component) send(ctx context.Context, w stanzaWriter, st *inStanza, b []byte) {
	if err := w.write(ctx, b); err != nil {
		c.log.DebugContext(ctx, "cannot send answer", "stanza", st.Kind, "jid", st.From, "id", st.ID, "err", err)
	}
}

// --- messages -----------------------------------------------------------------

func (c *Component) handleMessage(ctx context.Context, w stanzaWriter, st *inStanza) {
	if st.Type == "groupchat" {
		return // not a conversation with us
	}
	defer c.recoverPanic(ctx, w, st)
	user, err := c.User(st.From)
	if err != nil {
		if expectsAnswer(st) {
			c.replyError(ctx, w, st, c.stanzaError(ctx, st, err))
		}
		return
	}
	if c.h.Message == nil {
		if expectsAnswer(st) {
			c.replyError(ctx, w, st, NewStanzaError(ServiceUnavailable, ""))
		}
		return
	}
	m := parseMessage(st, user)
	if err := c.h.Message.HandleMessage(ctx, m); err != nil {
		se := c.stanzaError(ctx, st, err)
		if expectsAnswer(st) {
			c.replyError(ctx, w, st, se)
		}
	}
}

// parseMessage picks the parts of a message stanza handlers care about.
func parseMessage(st *inStanza, user string) Message {
	m := Message{
		ID:   st.ID,
		Type: st.Type,
		From: st.From,
		User: user,
		To:   st.To,
		Lang: st.Lang,
	}
	if m.Type == "" {
		m.Type = "normal" // RFC 6121 §5.2.2: the default
	}
	for _, child := range st.Children {
		if !isStanzaNS(child.Name.Space) {
			if child.Name == confirmName && m.Confirm == nil {
				var cf Confirm
				if xml.Unmarshal(child.XML, &cf) == nil {
					m.Confirm = &cf
					continue
				}
			}
			m.Extra = append(m.Extra, child)
			continue
		}
		switch child.Name.Local {
		case "body":
			if m.Body == "" {
				m.Body = elementText(child)
			}
		case "subject":
			if m.Subject == "" {
				m.Subject = elementText(child)
			}
		case "thread":
			m.Thread = elementText(child)
		case "error":
			m.Error = parseStanzaError(child)
		default:
			m.Extra = append(m.Extra, child)
		}
	}
	return m
}

// --- presence -------------------------------------------------------------------

// handlePresence manages subscriptions to and from the component (RFC 6121
// §3, the component acting as its own server) and follows the presence of
// users who let it see theirs:
//
//   - a user's subscribe is approved at once, answered with the component's
//     presence, and followed by a subscribe of the component's own, so that
//     it learns when the user is offline and sends no request that their
//     server would keep for later; anyone else is refused;
//   - subscribed, unsubscribe and unsubscribed change the roster;
//   - a user's probe gets the component's presence (and shows the user is
//     subscribed, should the roster have lost them);
//   - available and unavailable presence of a user the component is
//     subscribed to says which of their resources are online.
//
// Every change is kept in the Roster.
func (c *Component) handlePresence(ctx context.Context, w stanzaWriter, st *inStanza) {
	defer c.recoverPanic(ctx, w, st) // it runs on the read loop's goroutine
	from := c.cfg.Domain
	if st.To != "" {
		if bare, err := BareJID(st.To); err == nil {
			from = bare
		}
	}
	peer, err := BareJID(st.From)
	if err != nil {
		return
	}
	_, userErr := c.User(st.From)
	if userErr != nil {
		if st.Type == "subscribe" {
			c.sendPresence(ctx, w, st, from, peer, "unsubscribed")
		}
		return
	}
	switch st.Type {
	case "subscribe":
		before, _ := c.updateSubscription(ctx, peer, func(s *Subscription) {
			s.From = true
			if !s.To {
				s.Asked = true
			}
		})
		c.sendPresence(ctx, w, st, from, peer, "subscribed")
		c.sendPresence(ctx, w, st, from, peer, "")
		if !before.To && !before.Asked {
			c.sendPresence(ctx, w, st, from, peer, "subscribe")
		}
	case "subscribed":
		before, _ := c.updateSubscription(ctx, peer, func(s *Subscription) { s.To, s.Asked = true, false })
		if !before.To {
			// The user's presence may have come before this approval
			// and been ignored: ask for it.
			c.sendPresence(ctx, w, st, from, peer, "probe")
		}
	case "unsubscribe":
		c.updateSubscription(ctx, peer, func(s *Subscription) { s.From = false })
		c.sendPresence(ctx, w, st, from, peer, "unsubscribed")
		c.sendPresence(ctx, w, st, from, peer, "unavailable")
	case "unsubscribed":
		c.updateSubscription(ctx, peer, func(s *Subscription) { s.To, s.Asked = false, false })
	case "probe":
		c.updateSubscription(ctx, peer, func(s *Subscription) { s.From = true })
		c.sendPresence(ctx, w, st, from, st.From, "")
	case "", "unavailable":
		if c.subscription(peer).To {
			_, _, resource, _ := splitJID(st.From)
			c.sawPresence(peer, resource, st.Type == "")
		}
	}
}

func (c *Component) sendPresence(ctx context.Context, w stanzaWriter, st *inStanza, from, to, typ string) {
	b := []byte("<presence")
	b = appendAttr(b, "from", from)
	b = appendAttr(b, "to", to)
	b = appendAttr(b, "type", typ)
	b = append(b, "/>"...)
	c.send(ctx, w, st, b)
}

// --- XML helpers ------------------------------------------------------------------

// appendAttr appends name='value', or nothing for an empty value.
func appendAttr(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, "='"...)
	b = appendEscaped(b, value)
	return append(b, '\'')
}

func appendIdentity(b []byte, category, typ, name string) []byte {
	b = append(b, "<identity"...)
	b = appendAttr(b, "category", category)
	b = appendAttr(b, "type", typ)
	b = appendAttr(b, "name", name)
	return append(b, "/>"...)
}

// rootAttr returns an unqualified attribute of r's root element.
func rootAttr(r RawElement, name string) string {
	d := xml.NewDecoder(bytes.NewReader(r.XML))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "" && a.Name.Local == name {
					return a.Value
				}
			}
			return ""
		}
	}
}

// elementText returns the character data directly inside r's root.
func elementText(r RawElement) string {
	var v struct {
		Text string `xml:",chardata"`
	}
	if err := xml.Unmarshal(r.XML, &v); err != nil {
		return ""
	}
	return v.Text
}
