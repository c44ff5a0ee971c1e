//go:build integration && unix

package e2e_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gosrc.io/xmpp"
	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/internal/ejabberdtest"
	"github.com/xmppoauth/xmppoauth/internal/prosodytest"
	"github.com/xmppoauth/xmppoauth/oauth"
)

const ioTimeout = 20 * time.Second

// registerPayloads teaches gosrc.io/xmpp's global stanza registry the
// complete XEP-0050 command type and the XEP-0070 <confirm/> element, so the
// test client sees them whole. Only the test binary does this.
var registerPayloads = sync.OnceFunc(func() {
	adhoc.RegisterPayload(stanza.TypeRegistry)
	stanza.TypeRegistry.MapExtension(stanza.PKTMessage, xml.Name{Space: component.NSHTTPAuth, Local: "confirm"}, component.Confirm{})
})

// testDomain is the user domain of every test server, the domain of the
// env's alice.
const testDomain = "example.test"

// accounts are the users, with their passwords, of every test server.
var accounts = map[string]string{"alice": "wonderland", "bob": "builder", "admin": "s3cret", "carol": "singer"}

// xmppServer is a running throwaway XMPP server: *prosodytest.Server and
// *ejabberdtest.Server both implement it, so the same tests run against
// both.
type xmppServer interface {
	// JID returns local@domain.
	JID(local string) string
	// Restart restarts the server, keeping accounts and ports.
	Restart(t testing.TB)
}

// endpoints are where clients and the component connect to a server.
type endpoints struct {
	Domain, C2SAddr                        string
	ComponentDomain, ComponentAddr, Secret string
}

// endpointsOf returns the endpoints of s, which both test packages keep in
// fields of the same names (fields, which no interface can ask for).
func endpointsOf(s xmppServer) endpoints {
	switch s := s.(type) {
	case *prosodytest.Server:
		return endpoints{s.Domain, s.C2SAddr, s.ComponentDomain, s.ComponentAddr, s.Secret}
	case *ejabberdtest.Server:
		return endpoints{s.Domain, s.C2SAddr, s.ComponentDomain, s.ComponentAddr, s.Secret}
	}
	panic(fmt.Sprintf("e2e: no endpoints for %T", s))
}

// startServer starts an XMPP server for the service whose core is e, with
// the accounts and the domain testDomain.
type startServer func(t *testing.T, e *env) xmppServer

// startProsody starts Debian's Prosody.
func startProsody(t *testing.T, _ *env) xmppServer {
	t.Helper()
	opts := []prosodytest.Option{prosodytest.WithDomain(testDomain)}
	for local, password := range accounts {
		opts = append(opts, prosodytest.WithUser(local, password))
	}
	return prosodytest.Start(t, opts...)
}

// xmppEnv is the whole service: an XMPP server, the component with the
// bridge, the core on Badger and the HTTP side.
type xmppEnv struct {
	*env
	srv       xmppServer
	comp      *component.Component
	component string

	bridge   *component.Bridge
	handlers component.Handlers
	compCfg  component.Config
	stopComp func()
	streams  *streamLog
}

// streamLog records when the component's stream comes up and goes down
// (a component.Observer).
type streamLog struct {
	mu        sync.Mutex
	ups, down []time.Time
}

func (s *streamLog) ComponentConnected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ups = append(s.ups, time.Now())
}

func (s *streamLog) ComponentDisconnected() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = append(s.down, time.Now())
}

// upAfter returns when the stream first came up after t, if it did.
func (s *streamLog) upAfter(t time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.ups {
		if u.After(t) {
			return u, true
		}
	}
	return time.Time{}, false
}

// downAfter reports whether the stream went down after t.
func (s *streamLog) downAfter(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.down {
		if d.After(t) {
			return true
		}
	}
	return false
}

// startXMPP starts the service against the XMPP server that startServer
// starts, with admin@testDomain as its administrator, and waits until the
// component is connected. The component keeps its roster in a file, as
// serve does; mods change its configuration.
func startXMPP(t *testing.T, startServer startServer, mods ...func(*component.Config)) *xmppEnv {
	t.Helper()
	registerPayloads()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	bridge := component.NewBridge("E2E", []string{"admin@" + testDomain}, log)
	e := start(t, func(c *oauth.Config) {
		c.Notifier = bridge
		c.UserDomains = []string{testDomain}
		// The chat tests push more requests to alice than the default
		// limit of a user per minute (which oauth's tests cover).
		c.Limits.SignInPushes = oauth.Rate{Count: 100, Window: time.Minute}
	})
	srv := startServer(t, e)
	ep := endpointsOf(srv)
	engine := adhoc.New(adhoc.Options{Logger: log}, adhoc.Commands(e.p)...)
	roster, err := component.NewFileRoster(filepath.Join(t.TempDir(), "roster.json"))
	if err != nil {
		t.Fatal(err)
	}
	x := &xmppEnv{env: e, srv: srv, component: ep.ComponentDomain, bridge: bridge,
		handlers: bridge.Handlers(e.p, engine, component.CAMHandlers(e.p)), streams: &streamLog{}}
	x.compCfg = component.Config{
		Address: ep.ComponentAddr, Domain: ep.ComponentDomain, Secret: ep.Secret,
		UserDomains: []string{ep.Domain}, Name: "E2E", Logger: log,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Roster: roster, Observer: x.streams,
	}
	for _, m := range mods {
		m(&x.compCfg)
	}
	x.runComponent(t)
	t.Cleanup(func() { x.stopComp() })
	x.user = srv.JID("alice")
	x.waitConnected(t)
	return x
}

// runComponent starts a component with x's configuration, as serve does
// when the process starts.
func (x *xmppEnv) runComponent(t *testing.T) {
	comp := component.New(x.compCfg, x.handlers)
	x.bridge.Attach(comp)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = comp.Run(ctx) }()
	x.comp = comp
	x.stopComp = sync.OnceFunc(func() { cancel(); <-done })
}

// restartComponent stops the component, as when the service stops, and
// starts a new one on the same roster, as when it starts again.
func (x *xmppEnv) restartComponent(t *testing.T) {
	t.Helper()
	x.stopComp()
	x.runComponent(t)
	x.waitConnected(t)
}

// waitReconnected waits until the component's stream, up at since, went
// down and came up again, and returns when it came up.
func (x *xmppEnv) waitReconnected(t *testing.T, since time.Time) time.Time {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		if up, ok := x.streams.upAfter(since); ok && x.streams.downAfter(since) {
			x.waitConnected(t)
			return up
		}
		if time.Now().After(deadline) {
			t.Fatal("the component did not reconnect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (x *xmppEnv) waitConnected(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !x.comp.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("component did not connect")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client is a real XMPP client (gosrc.io/xmpp) logged in as a user.
type client struct {
	*xmpp.Client
	t         *testing.T
	router    *xmpp.Router
	jid       string
	to        string
	messages  chan stanza.Message
	presences chan stanza.Presence
	// logout disconnects, once; the test's end does it too.
	logout func()
}

// login logs in as local with password.
func (x *xmppEnv) login(t *testing.T, local, password string) *client {
	t.Helper()
	ep := endpointsOf(x.srv)
	c := &client{t: t, jid: x.srv.JID(local) + "/e2e", to: x.component, messages: make(chan stanza.Message, 32),
		presences: make(chan stanza.Presence, 32)}
	c.router = xmpp.NewRouter()
	c.router.HandleFunc("message", func(_ xmpp.Sender, p stanza.Packet) {
		if m, ok := p.(stanza.Message); ok {
			c.messages <- m
		}
	})
	c.router.HandleFunc("presence", func(_ xmpp.Sender, p stanza.Packet) {
		if pr, ok := p.(stanza.Presence); ok && pr.From != "" && strings.HasPrefix(pr.From, x.component) {
			select {
			case c.presences <- pr:
			default: // a test that does not read them
			}
		}
	})
	cl, err := xmpp.NewClient(&xmpp.Config{
		TransportConfiguration: xmpp.TransportConfiguration{Address: ep.C2SAddr, Domain: ep.Domain},
		Jid:                    c.jid,
		Credential:             xmpp.Password(password),
		Insecure:               true, // plain c2s on loopback: the test servers have no TLS
		ConnectTimeout:         5,
	}, c.router, func(err error) { t.Logf("client %s: %v", local, err) })
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if err := cl.Connect(); err != nil {
		t.Fatalf("login as %s: %v", local, err)
	}
	c.Client = cl
	c.logout = sync.OnceFunc(func() { _ = cl.Disconnect() })
	t.Cleanup(c.logout)
	return c
}

// command sends one XEP-0050 request and returns the reply IQ.
func (c *client) command(cmd *adhoc.Command) stanza.IQ {
	c.t.Helper()
	req, err := stanza.NewIQ(stanza.Attrs{Type: stanza.IQTypeSet, To: c.to, From: c.jid})
	if err != nil {
		c.t.Fatal(err)
	}
	req.Payload = cmd
	ctx, cancel := context.WithTimeout(c.t.Context(), ioTimeout)
	defer cancel()
	// Not SendIQ: gosrc.io/xmpp v0.5.1 registers the result route only
	// after sending, and loses an answer that arrives before that.
	ch := c.router.NewIQResultRoute(ctx, req.Id)
	if err := c.Send(req); err != nil {
		c.t.Fatalf("send command: %v", err)
	}
	select {
	case res := <-ch:
		return res
	case <-ctx.Done():
		c.t.Fatalf("no answer to command %s", cmd.Node)
		return stanza.IQ{}
	}
}

// run sends a command step and requires a command in reply.
func (c *client) run(node, session string, action adhoc.Action, form *forms.Form) *adhoc.Command {
	c.t.Helper()
	res := c.command(&adhoc.Command{Node: node, SessionID: session, Action: action, Form: form})
	if res.Type != stanza.IQTypeResult {
		c.t.Fatalf("command %s: %s error %+v", node, res.Type, res.Error)
	}
	cmd, ok := res.Payload.(*adhoc.Command)
	if !ok {
		c.t.Fatalf("command %s: reply payload %T", node, res.Payload)
	}
	return cmd
}

// commandError sends a command step and requires an error whose defined
// condition is want. (gosrc.io/xmpp's client drops XEP-0050's specific
// conditions, such as bad-sessionid, when it parses an error: the adhoc and
// component unit tests check those on the XML itself.)
func (c *client) commandError(cmd *adhoc.Command, want string) {
	c.t.Helper()
	res := c.command(cmd)
	if res.Type != stanza.IQTypeError || res.Error == nil || res.Error.Reason != want {
		c.t.Fatalf("command %s = %s %+v, want error %s", cmd.Node, res.Type, res.Error, want)
	}
}

func submit(fields ...forms.Field) *forms.Form {
	opts := []forms.FormOption{forms.OfType(forms.TypeSubmit)}
	for _, f := range fields {
		opts = append(opts, f)
	}
	return forms.New(opts...)
}

func notes(cmd *adhoc.Command) string {
	var b strings.Builder
	for _, n := range cmd.Notes {
		b.WriteString(string(n.Type) + ": " + n.Text + "\n")
	}
	return b.String()
}

func (c *client) nextMessage() stanza.Message {
	c.t.Helper()
	select {
	case m := <-c.messages:
		return m
	case <-time.After(ioTimeout):
		c.t.Fatal("no message from the component")
		return stanza.Message{}
	}
}

func (c *client) say(body string) string {
	c.t.Helper()
	m := stanza.NewMessage(stanza.Attrs{Type: stanza.MessageTypeChat, To: c.to})
	m.Body = body
	if err := c.Send(m); err != nil {
		c.t.Fatal(err)
	}
	return c.nextMessage().Body
}

// approveDevice runs "Approve a device" through its stages.
func (c *client) approveDevice(code string, approve bool) *adhoc.Command {
	c.t.Helper()
	first := c.run(adhoc.NodeApproveDevice, "", adhoc.ActionExecute, nil)
	if first.Status != adhoc.StatusExecuting || first.Form == nil {
		c.t.Fatalf("Approve a device: first stage = %+v", first)
	}
	second := c.run(adhoc.NodeApproveDevice, first.SessionID, adhoc.ActionExecute, submit(forms.Var("user_code", strings.ToLower(code))))
	if second.Status != adhoc.StatusExecuting || second.Form == nil {
		c.t.Fatalf("Approve a device: second stage = %+v %s", second, notes(second))
	}
	decision := "deny"
	if approve {
		decision = "approve"
	}
	return c.run(adhoc.NodeApproveDevice, first.SessionID, adhoc.ActionComplete, submit(forms.Var("decision", decision)))
}

// revokeApp runs "Revoke app access" for the one app the user has
// authorized, which must be app, and requires it to be revoked.
func (c *client) revokeApp(app string) {
	c.t.Helper()
	rev := c.run(adhoc.NodeRevokeApps, "", adhoc.ActionExecute, nil)
	if rev.Form == nil {
		c.t.Fatalf("Revoke app access: no form: %s", notes(rev))
	}
	field, _ := rev.Form.Field("grants")
	if field == nil || len(field.Options) != 1 || !strings.Contains(field.Options[0].Label, app) {
		c.t.Fatalf("Revoke app access offers %s, want %s alone", formText(rev.Form), app)
	}
	confirm := c.run(adhoc.NodeRevokeApps, rev.SessionID, adhoc.ActionNext, submit(forms.Var("grants", field.Options[0].Value)))
	end := c.run(adhoc.NodeRevokeApps, confirm.SessionID, adhoc.ActionComplete, submit(forms.Var("confirm", "true")))
	if end.Status != adhoc.StatusCompleted || !strings.Contains(notes(end), "Revoked") {
		c.t.Fatalf("Revoke app access = %+v %s", end, notes(end))
	}
}

func formText(f *forms.Form) string {
	if f == nil {
		return ""
	}
	b, _ := xml.Marshal(f)
	return string(b)
}

// TestIntegrationXMPPProsody runs the chat side against Debian's Prosody,
// whose offline storage (0.12) ignores XEP-0334 hints.
func TestIntegrationXMPPProsody(t *testing.T) {
	testXMPP(t, startXMPP(t, startProsody), false)
}

// TestIntegrationXMPPEjabberd runs the chat side against Debian's ejabberd,
// whose offline storage honours XEP-0334 no-store.
func TestIntegrationXMPPEjabberd(t *testing.T) {
	testXMPP(t, startXMPP(t, startEjabberd), true)
}

// testXMPP is the chat side, the same for every XMPP server: every command
// as poezio and profanity run it, approving devices and web sign-ins with
// the commands, XEP-0070 and chat replies, revoking apps, the admin
// commands, command errors, presence and requests for users who are away,
// and the component reconnecting after the server restarts.
// honoursNoStore says whether the server's offline storage honours XEP-0334.
func testXMPP(t *testing.T, x *xmppEnv, honoursNoStore bool) {
	alice := x.login(t, "alice", accounts["alice"])

	t.Run("every command as poezio and profanity run it", func(t *testing.T) {
		testCommandsAsClients(t, x, alice, x.login(t, "admin", accounts["admin"]))
	})

	t.Run("device flow approved with the ad-hoc command, revoked with another", func(t *testing.T) {
		ctx := t.Context()
		da, err := x.cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatalf("DeviceAuth: %v", err)
		}
		got := make(chan *oauth2.Token, 1)
		go func() {
			tok, err := x.cfg.DeviceAccessToken(ctx, da)
			if err != nil {
				t.Errorf("DeviceAccessToken: %v", err)
			}
			got <- tok
		}()

		// A wrong code gets the form again with a note, not an error.
		first := alice.run(adhoc.NodeApproveDevice, "", adhoc.ActionExecute, nil)
		wrong := alice.run(adhoc.NodeApproveDevice, first.SessionID, adhoc.ActionExecute, submit(forms.Var("user_code", "BBBB-BBBB")))
		if wrong.Status != adhoc.StatusExecuting || !strings.Contains(notes(wrong), "error") || wrong.Form == nil {
			t.Fatalf("wrong code = %+v %s", wrong, notes(wrong))
		}
		shown := alice.run(adhoc.NodeApproveDevice, first.SessionID, adhoc.ActionExecute, submit(forms.Var("user_code", da.UserCode)))
		text := formText(shown.Form)
		if !strings.Contains(text, "E2E Chat") || !strings.Contains(text, "device you hold") || !strings.Contains(text, "If someone sent you this code, deny.") {
			t.Fatalf("the approval stage does not name the app and warn (RFC 8628 §5.4): %s", text)
		}
		done := alice.run(adhoc.NodeApproveDevice, first.SessionID, adhoc.ActionComplete, submit(forms.Var("decision", "approve")))
		if done.Status != adhoc.StatusCompleted || !strings.Contains(notes(done), "Approved") {
			t.Fatalf("approve = %+v %s", done, notes(done))
		}
		var tok *oauth2.Token
		select {
		case tok = <-got:
		case <-time.After(ioTimeout):
			t.Fatal("the device got no token")
		}
		if tok == nil || !x.active(tok.AccessToken) {
			t.Fatal("the device's token is not active")
		}

		list := alice.run(adhoc.NodeListApps, "", adhoc.ActionExecute, nil)
		if list.Status != adhoc.StatusCompleted || !strings.Contains(formText(list.Form), "E2E Chat") {
			t.Fatalf("List authorized apps = %+v %s", list, formText(list.Form))
		}

		alice.revokeApp("E2E Chat")
		if x.active(tok.AccessToken) || x.active(tok.RefreshToken) {
			t.Fatal("tokens still active after the user revoked the app")
		}
	})

	t.Run("a token the administrator issued is listed and revoked in chat", func(t *testing.T) {
		// What "xmppoauth tokens issue" does, for a bot of alice's.
		tok, err := x.p.IssueToken(t.Context(), oauth.IssueRequest{JID: x.user, Scopes: []string{"xmpp"}, TTL: time.Hour})
		if err != nil {
			t.Fatalf("IssueToken: %v", err)
		}
		if !x.active(tok.AccessToken) {
			t.Fatal("the issued token is not active")
		}
		list := alice.run(adhoc.NodeListApps, "", adhoc.ActionExecute, nil)
		if list.Status != adhoc.StatusCompleted || !strings.Contains(formText(list.Form), oauth.AdminClientName) {
			t.Fatalf("List authorized apps = %+v %s, want %q", list, formText(list.Form), oauth.AdminClientName)
		}
		alice.revokeApp(oauth.AdminClientName)
		if x.active(tok.AccessToken) {
			t.Fatal("the issued token is still active after the user revoked it")
		}
	})

	t.Run("web sign-in approved with the XEP-0070 confirmation", func(t *testing.T) {
		x.approve = func(string) {
			m := alice.nextMessage()
			var cf component.Confirm
			if !m.Get(&cf) || cf.ID == "" || !strings.Contains(m.Body, "yes "+cf.ID) || !strings.Contains(m.Body, "E2E Chat") {
				t.Fatalf("sign-in request in chat = %+v", m)
			}
			accept := stanza.NewMessage(stanza.Attrs{To: x.component})
			accept.Thread = m.Thread
			accept.Extensions = []stanza.MsgExtension{&component.Confirm{ID: cf.ID, Method: cf.Method, URL: cf.URL}}
			if err := alice.Send(accept); err != nil {
				t.Fatal(err)
			}
			if reply := alice.nextMessage(); !strings.Contains(reply.Body, "Approved") {
				t.Fatalf("reply to the confirmation = %q", reply.Body)
			}
		}
		tok, nonce := x.codeFlow()
		x.checkIDToken(tok, nonce)
	})

	t.Run("web sign-in approved by a chat reply", func(t *testing.T) {
		x.approve = func(string) {
			m := alice.nextMessage()
			var cf component.Confirm
			m.Get(&cf)
			if reply := alice.say("YES " + strings.ToLower(cf.ID)); !strings.Contains(reply, "Approved") {
				t.Fatalf("reply to yes = %q", reply)
			}
		}
		x.codeFlow()
	})

	t.Run("web sign-in approved with the Pending sign-ins command", func(t *testing.T) {
		x.approve = func(string) {
			alice.nextMessage() // the pushed request, left unanswered in chat
			first := alice.run(adhoc.NodeSignIns, "", adhoc.ActionExecute, nil)
			if first.Form == nil {
				t.Fatalf("Pending sign-ins = %+v %s", first, notes(first))
			}
			done := alice.run(adhoc.NodeSignIns, first.SessionID, adhoc.ActionComplete, submit(forms.Var("decision", "approve")))
			if done.Status != adhoc.StatusCompleted || !strings.Contains(notes(done), "pprove") {
				t.Fatalf("Pending sign-ins approve = %+v %s", done, notes(done))
			}
		}
		x.codeFlow()
	})

	t.Run("chat: help, device code lookup, no", func(t *testing.T) {
		if reply := alice.say("hello"); !strings.Contains(reply, "yes CODE") {
			t.Fatalf("help = %q", reply)
		}
		da, err := x.cfg.DeviceAuth(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if reply := alice.say(da.UserCode); !strings.Contains(reply, "E2E Chat") || !strings.Contains(reply, "device you hold yourself") {
			t.Fatalf("device code lookup = %q", reply)
		}
		if reply := alice.say("no " + da.UserCode); !strings.Contains(reply, "Denied") {
			t.Fatalf("no CODE = %q", reply)
		}
		_, err = x.cfg.DeviceAccessToken(t.Context(), da)
		if errorCode(err) != oauth.AccessDenied {
			t.Fatalf("device poll after denial = %v, want access_denied", err)
		}
	})

	t.Run("command errors", func(t *testing.T) {
		bob := x.login(t, "bob", accounts["bob"])
		first := alice.run(adhoc.NodeApproveDevice, "", adhoc.ActionExecute, nil)
		bob.commandError(&adhoc.Command{Node: adhoc.NodeApproveDevice, SessionID: first.SessionID, Action: adhoc.ActionExecute,
			Form: submit(forms.Var("user_code", "BBBB-BBBB"))}, adhoc.ConditionBadRequest)
		alice.commandError(&adhoc.Command{Node: adhoc.NodeStats, Action: adhoc.ActionExecute}, adhoc.ConditionForbidden)
		alice.commandError(&adhoc.Command{Node: "urn:nope", Action: adhoc.ActionExecute}, adhoc.ConditionItemNotFound)
		alice.commandError(&adhoc.Command{Node: adhoc.NodeApproveDevice, SessionID: first.SessionID, Action: "dance"}, adhoc.ConditionBadRequest)
		// Bob's attempt did not disturb alice's session.
		if next := alice.run(adhoc.NodeApproveDevice, first.SessionID, adhoc.ActionCancel, nil); next.Status != adhoc.StatusCanceled {
			t.Fatalf("alice's session after bob's attempt = %+v", next)
		}
	})

	t.Run("admin commands", func(t *testing.T) {
		admin := x.login(t, "admin", accounts["admin"])
		stats := admin.run(adhoc.NodeStats, "", adhoc.ActionExecute, nil)
		if stats.Status != adhoc.StatusCompleted || !strings.Contains(formText(stats.Form), "clients") {
			t.Fatalf("Statistics = %+v %s", stats, formText(stats.Form))
		}
		list := admin.run(adhoc.NodeListClients, "", adhoc.ActionExecute, nil)
		if list.Status != adhoc.StatusCompleted || !strings.Contains(formText(list.Form), x.cfg.ClientID) {
			t.Fatalf("List clients = %+v %s", list, formText(list.Form))
		}

		// Revoke all access of alice: her tokens stop working.
		tok, _ := x.codeFlow()
		first := admin.run(adhoc.NodeRevokeUser, "", adhoc.ActionExecute, nil)
		confirm := admin.run(adhoc.NodeRevokeUser, first.SessionID, adhoc.ActionNext, submit(forms.Var("jid", x.user)))
		if !strings.Contains(formText(confirm.Form), "E2E Chat") {
			t.Fatalf("Revoke all access: confirmation does not list alice's app: %s", formText(confirm.Form))
		}
		done := admin.run(adhoc.NodeRevokeUser, first.SessionID, adhoc.ActionComplete, submit(forms.Var("confirm", "true")))
		if done.Status != adhoc.StatusCompleted || x.active(tok.AccessToken) {
			t.Fatalf("Revoke all access = %+v %s; token active: %v", done, notes(done), x.active(tok.AccessToken))
		}

		// Delete a client: its tokens stop working, and it is gone.
		tok, _ = x.codeFlow()
		first = admin.run(adhoc.NodeDeleteClient, "", adhoc.ActionExecute, nil)
		pick := optionValue(t, first, "client", x.cfg.ClientID)
		admin.run(adhoc.NodeDeleteClient, first.SessionID, adhoc.ActionNext, submit(forms.Var("client", pick)))
		done = admin.run(adhoc.NodeDeleteClient, first.SessionID, adhoc.ActionComplete, submit(forms.Var("confirm", "true")))
		if done.Status != adhoc.StatusCompleted || x.active(tok.AccessToken) {
			t.Fatalf("Delete a client = %+v %s; token active: %v", done, notes(done), x.active(tok.AccessToken))
		}
		clients, err := x.p.Clients(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range clients {
			if c.ID == x.cfg.ClientID {
				t.Fatalf("client %s still there after delete", c.ID)
			}
		}
	})

	testPresenceAndOffline(t, x, honoursNoStore)

	t.Run("the server restarts: the component reconnects and commands work again", func(t *testing.T) {
		before := time.Now()
		x.srv.Restart(t)
		x.waitReconnected(t, before)
		again := x.login(t, "alice", accounts["alice"])
		list := again.run(adhoc.NodeListApps, "", adhoc.ActionExecute, nil)
		if list.Status != adhoc.StatusCompleted {
			t.Fatalf("List authorized apps after restart = %+v", list)
		}
	})
}
