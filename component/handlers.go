package component

import (
	"context"
	"encoding/xml"
)

// Namespaces served or used by this package.
const (
	NSDiscoInfo  = "http://jabber.org/protocol/disco#info"  // XEP-0030
	NSDiscoItems = "http://jabber.org/protocol/disco#items" // XEP-0030
	NSCommands   = "http://jabber.org/protocol/commands"    // XEP-0050
	NSDataForms  = "jabber:x:data"                          // XEP-0004
	NSPing       = "urn:xmpp:ping"                          // XEP-0199
	NSVersion    = "jabber:iq:version"                      // XEP-0092
	NSHTTPAuth   = "http://jabber.org/protocol/http-auth"   // XEP-0070
	NSHints      = "urn:xmpp:hints"                         // XEP-0334
	NSExpire     = "jabber:x:expire"                        // XEP-0023

	nsComponent = "jabber:component:accept"             // XEP-0114
	nsClient    = "jabber:client"                       // RFC 6120
	nsStream    = "http://etherx.jabber.org/streams"    // RFC 6120
	nsStanzas   = "urn:ietf:params:xml:ns:xmpp-stanzas" // RFC 6120 §8.3
	nsStreams   = "urn:ietf:params:xml:ns:xmpp-streams" // RFC 6120 §4.9
)

// Handlers is what the component hands on instead of answering itself. Every
// field is optional. Package adhoc (XEP-0050) plugs in through IQ and Items;
// main wires it, so this package imports neither.
type Handlers struct {
	// IQ answers IQ get and set requests by the qualified name of their
	// payload element, e.g. {NSCommands, "command"}. Each key's namespace
	// is advertised as a disco#info feature. Keys must not be the payloads
	// the component serves itself (disco#info, disco#items, ping, version).
	IQ map[xml.Name]IQHandler

	// Features are further disco#info features, e.g. NSDataForms.
	Features []string

	// Items lists the XEP-0030 items of a node for a user (a bare JID
	// allowed by [Config.UserDomains]): node "" is the component itself,
	// and node NSCommands lists the user's XEP-0050 commands (XEP-0050 §2.2),
	// whose Node fields are the command nodes. An unknown node should be
	// answered with NewStanzaError(ItemNotFound, …). When Items is nil,
	// every node but "" and NSCommands is item-not-found.
	Items func(ctx context.Context, user, node string) ([]DiscoItem, error)

	// Message receives the messages users send to the component, including
	// type "error" messages (how XEP-0070 §4.2 denies a confirmation).
	Message MessageHandler
}

// IQ is an IQ get or set request addressed to the component.
type IQ struct {
	ID   string
	Type string // "get" or "set"
	// From is the requester's full JID as the server delivered it; User is
	// its bare JID, already checked against [Config.UserDomains].
	From string
	User string
	// To is the address the request was sent to: the component's domain,
	// or a JID on it.
	To string
	// Lang is the request's xml:lang, if any.
	Lang string
	// Payload is the request's child element, e.g. the XEP-0050 <command/>.
	Payload RawElement
}

// IQHandler answers one kind of IQ request.
//
// HandleIQ returns the raw XML of the result's single child element, or nil
// for an empty result; the component checks it is one well-formed element
// before sending it. An error that is or wraps a *StanzaError is sent as
// that stanza error; any other error is logged and sent as
// internal-server-error. ctx ends after [Config.StanzaTimeout] or when Run
// stops; a panic is recovered and answered with internal-server-error.
type IQHandler interface {
	HandleIQ(ctx context.Context, iq IQ) ([]byte, error)
}

// IQHandlerFunc adapts a function to [IQHandler].
type IQHandlerFunc func(ctx context.Context, iq IQ) ([]byte, error)

// HandleIQ calls f(ctx, iq).
func (f IQHandlerFunc) HandleIQ(ctx context.Context, iq IQ) ([]byte, error) { return f(ctx, iq) }

// Message is a message a user sent to the component.
type Message struct {
	ID   string
	Type string // "chat", "normal" (also for an absent type), "headline" or "error"
	// From is the sender's full JID; User its bare JID, already checked
	// against [Config.UserDomains].
	From string
	User string
	To   string
	Lang string

	Body    string
	Subject string
	Thread  string
	// Error is the stanza error of a type "error" message.
	Error *StanzaError
	// Confirm is the XEP-0070 <confirm/> element, if the message has one:
	// with Type "error" (and Error not-authorized) the user denied the
	// request, otherwise the user accepted it (XEP-0070 §4.2).
	Confirm *Confirm
	// Extra holds every other child element (chat states, receipts requests,
	// forms…), in document order.
	Extra []RawElement
}

// MessageHandler receives messages from users. An error that is or wraps a
// *StanzaError is sent back as an error message; any other error is logged
// and sent back as internal-server-error. Nothing is ever sent back for a
// message of type "error". ctx and panics are treated as for [IQHandler].
type MessageHandler interface {
	HandleMessage(ctx context.Context, m Message) error
}

// MessageHandlerFunc adapts a function to [MessageHandler].
type MessageHandlerFunc func(ctx context.Context, m Message) error

// HandleMessage calls f(ctx, m).
func (f MessageHandlerFunc) HandleMessage(ctx context.Context, m Message) error { return f(ctx, m) }

// DiscoItem is one XEP-0030 disco#items entry. An empty JID means the
// component's own domain.
type DiscoItem struct {
	JID  string
	Node string
	Name string
	// Aliases are further nodes of a command (XEP-0050): they are not
	// listed, but disco#info on them answers as on Node.
	Aliases []string
}
