package component

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// recorder is a stanzaWriter that keeps what is written.
type recorder struct {
	mu  sync.Mutex
	out []string
}

func (r *recorder) write(_ context.Context, data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out = append(r.out, string(data))
	return nil
}

const (
	testDomain = "auth.example.test"
	alice      = "alice@example.test/phone"
	eve        = "eve@evil.test/laptop"
)

var echoName = xml.Name{Space: "urn:example:echo", Local: "echo"}

// testHandlers serves an echo payload and a few XEP-0050-shaped commands
// whose node says how to behave, and records messages.
func testHandlers(msgs *[]Message, mu *sync.Mutex) Handlers {
	return Handlers{
		IQ: map[xml.Name]IQHandler{
			echoName: IQHandlerFunc(func(_ context.Context, iq IQ) ([]byte, error) {
				return []byte(`<echo xmlns='urn:example:echo' user='` + iq.User + `' type='` + iq.Type + `'/>`), nil
			}),
			commandName: IQHandlerFunc(func(_ context.Context, iq IQ) ([]byte, error) {
				switch node := rootAttr(iq.Payload, "node"); node {
				case "fail":
					return nil, &StanzaError{Condition: BadRequest, Specific: xml.Name{Space: NSCommands, Local: "bad-sessionid"}}
				case "boom":
					return nil, errors.New("database on fire")
				case "panic":
					panic("handler bug")
				case "bad-xml":
					return []byte("<a>"), nil
				case "empty":
					return nil, nil
				default:
					return []byte(`<command xmlns='http://jabber.org/protocol/commands' node='` + node + `' status='completed'/>`), nil
				}
			}),
		},
		Features: []string{NSDataForms},
		Items: func(_ context.Context, user, node string) ([]DiscoItem, error) {
			switch node {
			case NSCommands:
				return []DiscoItem{{Node: "list", Name: "List apps"}, {JID: "other.test", Node: "x", Name: "X"}}, nil
			case "":
				return nil, nil
			}
			return nil, NewStanzaError(ItemNotFound, "")
		},
		Message: MessageHandlerFunc(func(_ context.Context, m Message) error {
			mu.Lock()
			*msgs = append(*msgs, m)
			mu.Unlock()
			switch m.Body {
			case "fail":
				return NewStanzaError(NotAcceptable, "unknown code")
			case "boom":
				return errors.New("database on fire")
			case "panic":
				panic("handler bug")
			}
			return nil
		}),
	}
}

func newTestComponent(t *testing.T, h Handlers) *Component {
	t.Helper()
	return New(Config{
		Address:     "127.0.0.1:1",
		Domain:      testDomain,
		Secret:      "s",
		UserDomains: []string{"example.test"},
		Name:        "Test OAuth",
		Version:     "1.2.3",
		Logger:      slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, h)
}

// reply is an answer the component wrote, decoded.
type reply struct {
	inStanza
	raw string
}

// feed hands one stanza to the component and returns its answers.
func feed(t *testing.T, c *Component, in string) []reply {
	t.Helper()
	var st inStanza
	if err := xml.Unmarshal([]byte(in), &st); err != nil {
		t.Fatalf("bad test stanza %s: %v", in, err)
	}
	rec := &recorder{}
	c.handle(t.Context(), rec, &st)
	var out []reply
	for _, s := range rec.out {
		var r reply
		if err := xml.Unmarshal([]byte(s), &r.inStanza); err != nil {
			t.Fatalf("component wrote malformed XML %s: %v", s, err)
		}
		r.raw = s
		out = append(out, r)
	}
	return out
}

func iq(typ, from, payload string) string {
	return `<iq xmlns='jabber:component:accept' type='` + typ + `' id='q1' from='` + from + `' to='` + testDomain + `'>` + payload + `</iq>`
}

// want describes one expected answer.
type want struct {
	kind, typ string
	to        string    // default: the request's sender
	cond      Condition // for type "error"
	specific  string    // application-specific condition, for type "error"
	payload   string    // exact child for results; "-" means no child
}

func check(t *testing.T, in string, got []reply, wants []want) {
	t.Helper()
	var req inStanza
	if err := xml.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wants) {
		var raws []string
		for _, r := range got {
			raws = append(raws, r.raw)
		}
		t.Fatalf("got %d answers %q, want %d", len(got), raws, len(wants))
	}
	for i, w := range wants {
		r := got[i]
		to := w.to
		if to == "" {
			to = req.From
		}
		if r.Kind != w.kind || r.Type != w.typ || r.To != to {
			t.Errorf("answer %d = %s, want <%s type=%q to=%q>", i, r.raw, w.kind, w.typ, to)
		}
		if w.kind != "presence" && (r.ID != req.ID || r.From != req.To) {
			t.Errorf("answer %d = %s, want id %q from %q", i, r.raw, req.ID, req.To)
		}
		switch {
		case w.typ == "error":
			var se *StanzaError
			for _, ch := range r.Children {
				if ch.Name.Local == "error" {
					se = parseStanzaError(ch)
				}
			}
			if se == nil || se.Condition != w.cond || se.Specific.Local != w.specific {
				t.Errorf("answer %d = %s, want error %s %s", i, r.raw, w.cond, w.specific)
			}
		case w.payload == "-":
			if len(r.Children) != 0 {
				t.Errorf("answer %d = %s, want no child", i, r.raw)
			}
		case w.payload != "":
			if len(r.Children) != 1 || string(r.Children[0].XML) != w.payload {
				t.Errorf("answer %d = %s\nwant child %s", i, r.raw, w.payload)
			}
		}
	}
}

func TestRouteIQ(t *testing.T) {
	discoInfo := `<query xmlns='http://jabber.org/protocol/disco#info'/>`
	tests := []struct {
		name  string
		in    string
		wants []want
	}{
		{
			name: "disco#info lists identity and generated features",
			in:   iq("get", eve, discoInfo),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#info'>` +
				`<identity category='auth' type='generic' name='Test OAuth'/>` +
				`<feature var='http://jabber.org/protocol/commands'/>` +
				`<feature var='http://jabber.org/protocol/disco#info'/>` +
				`<feature var='http://jabber.org/protocol/disco#items'/>` +
				`<feature var='jabber:iq:version'/>` +
				`<feature var='jabber:x:data'/>` +
				`<feature var='urn:example:echo'/>` +
				`<feature var='urn:xmpp:ping'/></query>`}},
		},
		{
			name: "disco#info on the commands node",
			in:   iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'>` +
				`<identity category='automation' type='command-list' name='Commands'/></query>`}},
		},
		{
			name: "disco#info on a command node",
			in:   iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#info' node='list'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#info' node='list'>` +
				`<identity category='automation' type='command-node' name='List apps'/>` +
				`<feature var='http://jabber.org/protocol/commands'/><feature var='jabber:x:data'/></query>`}},
		},
		{
			name:  "disco#info on a command node, not a user",
			in:    iq("get", eve, `<query xmlns='http://jabber.org/protocol/disco#info' node='list'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: ItemNotFound}},
		},
		{
			name:  "disco#info on an unknown node",
			in:    iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#info' node='nope'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: ItemNotFound}},
		},
		{
			name: "disco#items of the commands node for a user",
			in:   iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'>` +
				`<item jid='auth.example.test' node='list' name='List apps'/><item jid='other.test' node='x' name='X'/></query>`}},
		},
		{
			name: "disco#items of the commands node for a stranger is empty",
			in:   iq("get", eve, `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`),
			wants: []want{{kind: "iq", typ: "result",
				payload: `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`}},
		},
		{
			name:  "disco#items root",
			in:    iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#items'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#items'/>`}},
		},
		{
			name:  "disco#items of an unknown node",
			in:    iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#items' node='nope'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: ItemNotFound}},
		},
		{
			name:  "ping from anyone",
			in:    iq("get", eve, `<ping xmlns='urn:xmpp:ping'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: "-"}},
		},
		{
			name:  "version without os",
			in:    iq("get", eve, `<query xmlns='jabber:iq:version'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='jabber:iq:version'><name>Test OAuth</name><version>1.2.3</version></query>`}},
		},
		{
			name:  "ping of type set",
			in:    iq("set", alice, `<ping xmlns='urn:xmpp:ping'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: FeatureNotImplemented}},
		},
		{
			name:  "unknown payload",
			in:    iq("get", alice, `<query xmlns='jabber:iq:roster'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: ServiceUnavailable}},
		},
		{
			name:  "no payload",
			in:    iq("get", alice, ``),
			wants: []want{{kind: "iq", typ: "error", cond: BadRequest}},
		},
		{
			name:  "two payloads",
			in:    iq("get", alice, `<ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: BadRequest}},
		},
		{
			name:  "handler gets user and answers raw XML",
			in:    iq("set", alice, `<echo xmlns='urn:example:echo'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<echo xmlns='urn:example:echo' user='alice@example.test' type='set'/>`}},
		},
		{
			name:  "handler refuses strangers",
			in:    iq("set", eve, `<echo xmlns='urn:example:echo'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: Forbidden}},
		},
		{
			name:  "command completed",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='list' action='execute'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<command xmlns='http://jabber.org/protocol/commands' node='list' status='completed'/>`}},
		},
		{
			name:  "handler stanza error with specific condition",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='fail'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: BadRequest, specific: "bad-sessionid"}},
		},
		{
			name:  "handler internal error is not disclosed",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='boom'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: InternalServerError}},
		},
		{
			name:  "handler panic",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='panic'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: InternalServerError}},
		},
		{
			name:  "handler returns malformed XML",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='bad-xml'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: InternalServerError}},
		},
		{
			name:  "handler returns an empty result",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='empty'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: "-"}},
		},
		{
			name:  "result is not answered",
			in:    iq("result", alice, ``),
			wants: nil,
		},
		{
			name:  "error is not answered",
			in:    iq("error", alice, `<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`),
			wants: nil,
		},
	}
	var msgs []Message
	var mu sync.Mutex
	c := newTestComponent(t, testHandlers(&msgs, &mu))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, feed(t, c, tt.in), tt.wants)
		})
	}
}

func TestRouteWithoutHandlers(t *testing.T) {
	c := newTestComponent(t, Handlers{})
	tests := []struct {
		name  string
		in    string
		wants []want
	}{
		{
			name: "features are only what is served",
			in:   iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#info'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#info'>` +
				`<identity category='auth' type='generic' name='Test OAuth'/>` +
				`<feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/>` +
				`<feature var='jabber:iq:version'/><feature var='urn:xmpp:ping'/></query>`}},
		},
		{
			name:  "no command list node without commands",
			in:    iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#info' node='http://jabber.org/protocol/commands'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: ItemNotFound}},
		},
		{
			name:  "empty command list",
			in:    iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`),
			wants: []want{{kind: "iq", typ: "result", payload: `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`}},
		},
		{
			name:  "commands unavailable",
			in:    iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='list'/>`),
			wants: []want{{kind: "iq", typ: "error", cond: ServiceUnavailable}},
		},
		{
			name:  "chat without a message handler",
			in:    `<message xmlns='jabber:component:accept' type='chat' id='m1' from='` + alice + `' to='` + testDomain + `'><body>hi</body></message>`,
			wants: []want{{kind: "message", typ: "error", cond: ServiceUnavailable}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, feed(t, c, tt.in), tt.wants)
		})
	}
}

func message(typ, from, children string) string {
	return `<message xmlns='jabber:component:accept' type='` + typ + `' id='m1' from='` + from + `' to='` + testDomain + `'>` + children + `</message>`
}

func TestRouteMessage(t *testing.T) {
	confirm := `<confirm xmlns='http://jabber.org/protocol/http-auth' id='tx1' method='POST' url='https://auth.example.test/device'/>`
	tests := []struct {
		name  string
		in    string
		wants []want
		// seen is the message the handler should get; nil means none.
		seen *Message
	}{
		{
			name: "chat reaches the handler",
			in:   message("chat", alice, `<body>yes ABCD-1234</body><thread>t1</thread><active xmlns='http://jabber.org/protocol/chatstates'/>`),
			seen: &Message{ID: "m1", Type: "chat", From: alice, User: "alice@example.test", To: testDomain,
				Body: "yes ABCD-1234", Thread: "t1",
				Extra: []RawElement{{Name: xml.Name{Space: "http://jabber.org/protocol/chatstates", Local: "active"},
					XML: []byte(`<active xmlns='http://jabber.org/protocol/chatstates'/>`)}}},
		},
		{
			name: "XEP-0070 acceptance",
			in:   message("normal", alice, `<thread>tx1</thread>`+confirm),
			seen: &Message{ID: "m1", Type: "normal", From: alice, User: "alice@example.test", To: testDomain, Thread: "tx1",
				Confirm: &Confirm{ID: "tx1", Method: "POST", URL: "https://auth.example.test/device"}},
		},
		{
			name: "XEP-0070 denial is an error message and gets no answer",
			in: message("error", alice, `<thread>tx1</thread>`+confirm+
				`<error code='401' type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`),
			seen: &Message{ID: "m1", Type: "error", From: alice, User: "alice@example.test", To: testDomain, Thread: "tx1",
				Confirm: &Confirm{ID: "tx1", Method: "POST", URL: "https://auth.example.test/device"},
				Error:   &StanzaError{Type: ErrorTypeAuth, Condition: NotAuthorized}},
		},
		{
			name:  "missing type means normal",
			in:    `<message xmlns='jabber:component:accept' id='m1' from='` + alice + `' to='` + testDomain + `'><body>hi</body></message>`,
			seen:  &Message{ID: "m1", Type: "normal", From: alice, User: "alice@example.test", To: testDomain, Body: "hi"},
			wants: nil,
		},
		{
			name:  "stranger is refused",
			in:    message("chat", eve, `<body>hi</body>`),
			wants: []want{{kind: "message", typ: "error", cond: Forbidden}},
		},
		{
			name:  "stranger's error message is dropped",
			in:    message("error", eve, `<error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`),
			wants: nil,
		},
		{
			name:  "groupchat is ignored",
			in:    message("groupchat", alice, `<body>hi</body>`),
			wants: nil,
		},
		{
			name:  "handler stanza error is sent back",
			in:    message("chat", alice, `<body>fail</body>`),
			seen:  &Message{ID: "m1", Type: "chat", From: alice, User: "alice@example.test", To: testDomain, Body: "fail"},
			wants: []want{{kind: "message", typ: "error", cond: NotAcceptable}},
		},
		{
			name:  "handler internal error",
			in:    message("chat", alice, `<body>boom</body>`),
			seen:  &Message{ID: "m1", Type: "chat", From: alice, User: "alice@example.test", To: testDomain, Body: "boom"},
			wants: []want{{kind: "message", typ: "error", cond: InternalServerError}},
		},
		{
			name:  "handler panic",
			in:    message("chat", alice, `<body>panic</body>`),
			seen:  &Message{ID: "m1", Type: "chat", From: alice, User: "alice@example.test", To: testDomain, Body: "panic"},
			wants: []want{{kind: "message", typ: "error", cond: InternalServerError}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []Message
			var mu sync.Mutex
			c := newTestComponent(t, testHandlers(&msgs, &mu))
			check(t, tt.in, feed(t, c, tt.in), tt.wants)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tt.seen == nil && len(msgs) > 0:
				t.Errorf("handler got %+v, want nothing", msgs)
			case tt.seen != nil && (len(msgs) != 1 || !sameMessage(msgs[0], *tt.seen)):
				t.Errorf("handler got %+v\nwant %+v", msgs, *tt.seen)
			}
		})
	}
}

func sameMessage(a, b Message) bool {
	if a.ID != b.ID || a.Type != b.Type || a.From != b.From || a.User != b.User || a.To != b.To ||
		a.Body != b.Body || a.Subject != b.Subject || a.Thread != b.Thread || len(a.Extra) != len(b.Extra) {
		return false
	}
	if (a.Confirm == nil) != (b.Confirm == nil) || (a.Confirm != nil && (a.Confirm.ID != b.Confirm.ID ||
		a.Confirm.Method != b.Confirm.Method || a.Confirm.URL != b.Confirm.URL)) {
		return false
	}
	if (a.Error == nil) != (b.Error == nil) || (a.Error != nil && *a.Error != *b.Error) {
		return false
	}
	for i := range a.Extra {
		if a.Extra[i].Name != b.Extra[i].Name || string(a.Extra[i].XML) != string(b.Extra[i].XML) {
			return false
		}
	}
	return true
}

func presence(typ, from string) string {
	return `<presence xmlns='jabber:component:accept' type='` + typ + `' from='` + from + `' to='` + testDomain + `'/>`
}

func TestRoutePresence(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		wants []want
	}{
		{
			name: "user subscribes",
			in:   presence("subscribe", "alice@example.test"),
			wants: []want{
				{kind: "presence", typ: "subscribed"},
				{kind: "presence", typ: ""},
				{kind: "presence", typ: "subscribe"},
			},
		},
		{
			name:  "stranger subscribes",
			in:    presence("subscribe", "eve@evil.test"),
			wants: []want{{kind: "presence", typ: "unsubscribed"}},
		},
		{
			name:  "probe from a user's full JID",
			in:    presence("probe", alice),
			wants: []want{{kind: "presence", typ: ""}},
		},
		{
			name:  "probe from a stranger",
			in:    presence("probe", eve),
			wants: nil,
		},
		{
			name:  "unsubscribe",
			in:    presence("unsubscribe", "alice@example.test"),
			wants: []want{{kind: "presence", typ: "unsubscribed"}, {kind: "presence", typ: "unavailable"}},
		},
		{
			name:  "available presence is ignored",
			in:    `<presence xmlns='jabber:component:accept' from='` + alice + `' to='` + testDomain + `'/>`,
			wants: nil,
		},
	}
	c := newTestComponent(t, Handlers{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feed(t, c, tt.in)
			check(t, tt.in, got, tt.wants)
			for _, r := range got {
				if r.From != testDomain {
					t.Errorf("presence %s, want from %s", r.raw, testDomain)
				}
			}
		})
	}
}

func TestNewPanicsOnMiswiring(t *testing.T) {
	tests := []struct {
		name string
		iq   map[xml.Name]IQHandler
		want string
	}{
		{"nil handler", map[xml.Name]IQHandler{echoName: nil}, "nil IQHandler"},
		{"no namespace", map[xml.Name]IQHandler{{Local: "x"}: IQHandlerFunc(nil)}, "needs a namespace"},
		{"served by the component", map[xml.Name]IQHandler{pingName: IQHandlerFunc(nil)}, "answered by the component itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tt.want) {
					t.Errorf("New panicked with %v, want %q", r, tt.want)
				}
			}()
			New(Config{}, Handlers{IQ: tt.iq})
		})
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Address: "127.0.0.1:5347", Domain: "auth.example.test", Secret: "s", UserDomains: []string{"example.test"}}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // substring of the error; "" means valid
	}{
		{"valid", func(*Config) {}, ""},
		{"no address", func(c *Config) { c.Address = "" }, "empty Address"},
		{"address without port", func(c *Config) { c.Address = "localhost" }, "invalid Address"},
		{"domain with localpart", func(c *Config) { c.Domain = "a@auth.example.test" }, "not a bare domain"},
		{"no secret", func(c *Config) { c.Secret = "" }, "empty Secret"},
		{"no user domains", func(c *Config) { c.UserDomains = nil }, "empty UserDomains"},
		{"user domain is a JID", func(c *Config) { c.UserDomains = []string{"a@example.test"} }, "not a domain"},
		{"backoff inverted", func(c *Config) { c.MinBackoff, c.MaxBackoff = 2, 1 }, "backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mutate(&cfg)
			err := cfg.withDefaults().validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
