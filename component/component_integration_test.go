//go:build integration

package component

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gosrc.io/xmpp"
	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/internal/prosodytest"
)

// registerConfirm teaches gosrc.io/xmpp's (global) stanza registry the
// XEP-0070 <confirm/> element, so the test client can see and send it. Only
// the test binary does this; the component itself never uses the registry.
var registerConfirm = sync.OnceFunc(func() {
	stanza.TypeRegistry.MapExtension(stanza.PKTMessage, confirmName, Confirm{})
})

// testClient is a real XMPP client (gosrc.io/xmpp) logged in over c2s.
type testClient struct {
	*xmpp.Client
	router    *xmpp.Router
	jid       string
	messages  chan stanza.Message
	presences chan stanza.Presence
	// Close disconnects once; gosrc.io/xmpp's Disconnect waits for a stream
	// close that never comes when called twice.
	Close func()
}

func newTestClient(t *testing.T, srv *prosodytest.Server, local, password string) *testClient {
	t.Helper()
	registerConfirm()
	tc := &testClient{
		jid:       srv.JID(local) + "/test",
		messages:  make(chan stanza.Message, 16),
		presences: make(chan stanza.Presence, 16),
	}
	router := xmpp.NewRouter()
	tc.router = router
	router.HandleFunc("message", func(_ xmpp.Sender, p stanza.Packet) {
		if m, ok := p.(stanza.Message); ok {
			tc.messages <- m
		}
	})
	router.HandleFunc("presence", func(_ xmpp.Sender, p stanza.Packet) {
		if pr, ok := p.(stanza.Presence); ok {
			tc.presences <- pr
		}
	})
	cfg := &xmpp.Config{
		TransportConfiguration: xmpp.TransportConfiguration{Address: srv.C2SAddr, Domain: srv.Domain},
		Jid:                    tc.jid,
		Credential:             xmpp.Password(password),
		// Plain-text c2s on loopback: the test Prosody has no TLS, and
		// Insecure lets gosrc.io/xmpp log in without it.
		Insecure:       true,
		ConnectTimeout: 5,
	}
	c, err := xmpp.NewClient(cfg, router, func(err error) { t.Logf("test client: %v", err) })
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if err := c.Connect(); err != nil {
		t.Fatalf("client Connect: %v", err)
	}
	tc.Client = c
	tc.Close = sync.OnceFunc(func() { _ = c.Disconnect() })
	t.Cleanup(tc.Close)
	return tc
}

// iq sends an IQ get or set to the component and returns the answer.
func (tc *testClient) iq(t *testing.T, to string, typ stanza.StanzaType, payload stanza.IQPayload, anyPayload *stanza.Node) stanza.IQ {
	t.Helper()
	req, err := stanza.NewIQ(stanza.Attrs{Type: typ, To: to, From: tc.jid})
	if err != nil {
		t.Fatal(err)
	}
	req.Payload = payload
	req.Any = anyPayload
	ctx, cancel := context.WithTimeout(t.Context(), ioTimeout)
	defer cancel()
	// Not tc.SendIQ: gosrc.io/xmpp v0.5.1 registers the result route only
	// after sending, and loses an answer that arrives before that.
	ch := tc.router.NewIQResultRoute(ctx, req.Id)
	if err := tc.Send(req); err != nil {
		t.Fatalf("send IQ: %v", err)
	}
	select {
	case res := <-ch:
		return res
	case <-ctx.Done():
		t.Fatalf("no answer to %s IQ", typ)
		return stanza.IQ{}
	}
}

func (tc *testClient) ping(t *testing.T, to string) stanza.IQ {
	t.Helper()
	return tc.iq(t, to, stanza.IQTypeGet, nil, &stanza.Node{XMLName: pingName})
}

func (tc *testClient) nextMessage(t *testing.T) stanza.Message {
	t.Helper()
	select {
	case m := <-tc.messages:
		return m
	case <-time.After(ioTimeout):
		t.Fatal("no message")
		return stanza.Message{}
	}
}

func integrationConfig(srv *prosodytest.Server) func(*Config) {
	return func(cfg *Config) {
		cfg.Domain = srv.ComponentDomain
		cfg.Secret = srv.Secret
		cfg.UserDomains = []string{srv.Domain}
		cfg.Name = "Test OAuth"
		cfg.Version = "1.2.3"
		cfg.MaxBackoff = 100 * time.Millisecond
	}
}

func TestIntegrationComponent(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.WithUser("alice", "wonderland"))
	logs := newLogRecorder(t)
	seen := make(chan Message, 16)
	h := Handlers{
		IQ: map[xml.Name]IQHandler{commandName: IQHandlerFunc(func(_ context.Context, iq IQ) ([]byte, error) {
			return []byte(`<command xmlns='http://jabber.org/protocol/commands' node='` + rootAttr(iq.Payload, "node") +
				`' sessionid='s1' status='completed'><note type='info'>Hello ` + iq.User + `</note></command>`), nil
		})},
		Features: []string{NSDataForms, NSHTTPAuth},
		Items: func(_ context.Context, user, node string) ([]DiscoItem, error) {
			if node == NSCommands {
				return []DiscoItem{{Node: "list-apps", Name: "List apps"}}, nil
			}
			return nil, nil
		},
		Message: MessageHandlerFunc(func(_ context.Context, m Message) error {
			seen <- m
			return nil
		}),
	}
	c, _ := startComponent(t, srv.ComponentAddr, logs, h, integrationConfig(srv))
	logs.wait(t, "component connected", func(r slog.Record) bool { return r.Message == "component connected" })

	alice := newTestClient(t, srv, "alice", "wonderland")
	comp := srv.ComponentDomain

	t.Run("disco#info", func(t *testing.T) {
		res := alice.iq(t, comp, stanza.IQTypeGet, &stanza.DiscoInfo{XMLName: discoInfoName}, nil)
		info, ok := res.Payload.(*stanza.DiscoInfo)
		if res.Type != stanza.IQTypeResult || !ok {
			t.Fatalf("disco#info answer = %+v", res)
		}
		if len(info.Identity) != 1 || info.Identity[0].Category != "auth" || info.Identity[0].Type != "generic" || info.Identity[0].Name != "Test OAuth" {
			t.Errorf("identities = %+v", info.Identity)
		}
		var features []string
		for _, f := range info.Features {
			features = append(features, f.Var)
		}
		want := []string{NSCommands, NSDiscoInfo, NSDiscoItems, NSHTTPAuth, NSVersion, NSDataForms, NSPing}
		if len(features) != len(want) {
			t.Fatalf("features = %q, want %q", features, want)
		}
		for i := range want {
			if features[i] != want[i] {
				t.Errorf("features = %q, want %q", features, want)
				break
			}
		}
	})

	t.Run("disco#items of the commands node", func(t *testing.T) {
		res := alice.iq(t, comp, stanza.IQTypeGet, &stanza.DiscoItems{XMLName: discoItemsName, Node: NSCommands}, nil)
		items, ok := res.Payload.(*stanza.DiscoItems)
		if res.Type != stanza.IQTypeResult || !ok || len(items.Items) != 1 {
			t.Fatalf("disco#items answer = %+v", res)
		}
		if it := items.Items[0]; it.JID != comp || it.Node != "list-apps" || it.Name != "List apps" {
			t.Errorf("item = %+v", it)
		}
	})

	t.Run("ping", func(t *testing.T) {
		if res := alice.ping(t, comp); res.Type != stanza.IQTypeResult || res.From != comp {
			t.Errorf("ping answer = %+v", res)
		}
	})

	t.Run("version", func(t *testing.T) {
		res := alice.iq(t, comp, stanza.IQTypeGet, &stanza.Version{XMLName: versionName}, nil)
		v, ok := res.Payload.(*stanza.Version)
		if res.Type != stanza.IQTypeResult || !ok || v.Name != "Test OAuth" || v.Version != "1.2.3" || v.OS != "" {
			t.Errorf("version answer = %+v (%+v)", res, res.Payload)
		}
	})

	t.Run("command handler gets the user", func(t *testing.T) {
		res := alice.iq(t, comp, stanza.IQTypeSet, &stanza.Command{XMLName: commandName, Node: "list-apps", Action: "execute"}, nil)
		cmd, ok := res.Payload.(*stanza.Command)
		if res.Type != stanza.IQTypeResult || !ok || cmd.Node != "list-apps" || cmd.Status != "completed" || cmd.SessionId != "s1" {
			t.Fatalf("command answer = %+v (%+v)", res, res.Payload)
		}
	})

	t.Run("unknown IQ", func(t *testing.T) {
		res := alice.iq(t, comp, stanza.IQTypeGet, nil, &stanza.Node{XMLName: xml.Name{Space: "urn:example:unknown", Local: "query"}})
		if res.Type != stanza.IQTypeError || res.Error == nil || res.Error.Reason != string(ServiceUnavailable) {
			t.Errorf("unknown IQ answer = %+v (error %+v)", res, res.Error)
		}
	})

	t.Run("message reaches the handler", func(t *testing.T) {
		m := stanza.NewMessage(stanza.Attrs{Type: stanza.MessageTypeChat, To: comp, Id: "m1"})
		m.Body = "yes ABCD-1234"
		if err := alice.Send(m); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-seen:
			if got.User != "alice@example.test" || got.From != alice.jid || got.Body != "yes ABCD-1234" || got.Type != "chat" {
				t.Errorf("handler got %+v", got)
			}
		case <-time.After(ioTimeout):
			t.Fatal("the message handler was not called")
		}
	})

	t.Run("XEP-0070 confirm and answers", func(t *testing.T) {
		if err := c.SendConfirm(t.Context(), "alice@example.test", "tx-42", "POST", "https://auth.example.test/device", "Sign in to Demo?", time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("SendConfirm: %v", err)
		}
		m := alice.nextMessage(t)
		var cf Confirm
		if m.From != comp || m.Body != "Sign in to Demo?" || m.Thread != "tx-42" || !m.Get(&cf) {
			t.Fatalf("confirm request = %+v", m)
		}
		if cf.ID != "tx-42" || cf.Method != "POST" || cf.URL != "https://auth.example.test/device" {
			t.Errorf("confirm = %+v", cf)
		}

		// Accept (XEP-0070 §4.2 example 5).
		accept := stanza.NewMessage(stanza.Attrs{To: comp, Id: "a1"})
		accept.Thread = "tx-42"
		accept.Extensions = []stanza.MsgExtension{&Confirm{ID: "tx-42", Method: "POST", URL: cf.URL}}
		if err := alice.Send(accept); err != nil {
			t.Fatal(err)
		}
		got := <-seen
		if got.Confirm == nil || got.Confirm.ID != "tx-42" || got.Type != "normal" || got.Error != nil {
			t.Errorf("accept seen as %+v", got)
		}

		// Deny: an error message with not-authorized (XEP-0070 §4.2 example 6).
		deny := stanza.NewMessage(stanza.Attrs{Type: stanza.MessageTypeError, To: comp, Id: "d1"})
		deny.Thread = "tx-42"
		deny.Extensions = []stanza.MsgExtension{&Confirm{ID: "tx-42", Method: "POST", URL: cf.URL}}
		deny.Error = stanza.Err{Code: 401, Type: stanza.ErrorTypeAuth, Reason: string(NotAuthorized)}
		if err := alice.Send(deny); err != nil {
			t.Fatal(err)
		}
		got = <-seen
		if got.Confirm == nil || got.Type != "error" || got.Error == nil || got.Error.Condition != NotAuthorized {
			t.Errorf("denial seen as %+v (error %+v)", got, got.Error)
		}
	})

	t.Run("presence subscription", func(t *testing.T) {
		if err := alice.Send(stanza.NewPresence(stanza.Attrs{Type: stanza.PresenceTypeSubscribe, To: comp})); err != nil {
			t.Fatal(err)
		}
		// The component approves and sends its presence, which Prosody
		// delivers after recording the subscription. (Prosody forwards the
		// "subscribed" itself only to resources that fetched the roster.)
		for available := false; !available; {
			select {
			case p := <-alice.presences:
				available = p.From == comp && p.Type == ""
			case <-time.After(ioTimeout):
				t.Fatal("no presence from the component")
			}
		}
		res := alice.iq(t, "", stanza.IQTypeGet, &stanza.Roster{XMLName: xml.Name{Space: stanza.NSRoster, Local: "query"}}, nil)
		roster, ok := res.Payload.(*stanza.RosterItems)
		if !ok {
			t.Fatalf("roster answer = %+v", res)
		}
		for _, it := range roster.Items {
			if it.Jid == comp {
				if it.Subscription != stanza.SubscriptionTo {
					t.Errorf("roster item %+v, want subscription %q", it, stanza.SubscriptionTo)
				}
				return
			}
		}
		t.Errorf("roster %+v lacks %s", roster.Items, comp)
	})
}

func TestIntegrationWrongSecret(t *testing.T) {
	srv := prosodytest.Start(t)
	logs := newLogRecorder(t)
	_, stop := startComponent(t, srv.ComponentAddr, logs, Handlers{}, func(cfg *Config) {
		integrationConfig(srv)(cfg)
		cfg.Secret = "not the secret"
	})
	for range 2 { // rejected, and tried again
		logs.wait(t, "handshake rejected as not authorized", func(r slog.Record) bool {
			v, _ := attr(r, "err")
			err, _ := v.Any().(error)
			return r.Level == slog.LevelError && errors.Is(err, ErrNotAuthorized)
		})
	}
	if err := stop(); err != nil {
		t.Errorf("Run() = %v", err)
	}
}

func TestIntegrationReconnectsAfterServerRestart(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.WithUser("alice", "wonderland"))
	logs := newLogRecorder(t)
	startComponent(t, srv.ComponentAddr, logs, Handlers{}, integrationConfig(srv))
	connected := func(r slog.Record) bool { return r.Message == "component connected" }
	logs.wait(t, "first connection", connected)
	before := newTestClient(t, srv, "alice", "wonderland")
	if res := before.ping(t, srv.ComponentDomain); res.Type != stanza.IQTypeResult {
		t.Fatalf("ping before restart = %+v", res)
	}
	before.Close()

	srv.Restart(t)
	logs.wait(t, "connection lost", func(r slog.Record) bool { return r.Message == "component connection lost" })
	logs.wait(t, "reconnection", connected)
	if res := newTestClient(t, srv, "alice", "wonderland").ping(t, srv.ComponentDomain); res.Type != stanza.IQTypeResult {
		t.Errorf("ping after restart = %+v (error %+v)", res, res.Error)
	}
}

// The keepalive ping to the component's own domain really makes the round
// trip through Prosody.
func TestIntegrationKeepAlive(t *testing.T) {
	srv := prosodytest.Start(t)
	logs := newLogRecorder(t)
	startComponent(t, srv.ComponentAddr, logs, Handlers{}, func(cfg *Config) {
		integrationConfig(srv)(cfg)
		cfg.KeepAlive = 10 * time.Millisecond
	})
	for range 3 {
		logs.wait(t, "keepalive ping answered", func(r slog.Record) bool {
			if r.Message == "component connection lost" {
				t.Fatalf("connection lost: %v", r)
			}
			return r.Message == "keepalive ping answered"
		})
	}
}
