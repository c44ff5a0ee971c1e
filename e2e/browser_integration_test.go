//go:build integration

package e2e_test

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/internal/prosodytest"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
	"github.com/xmppoauth/xmppoauth/store"
)

// The real-browser tests: Debian's headless Chromium, driven over the
// DevTools protocol by github.com/chromedp/chromedp, signs in to the whole
// service (Prosody, the component, the core on Badger, the HTTP side) while
// a gosrc.io/xmpp client on the same Prosody plays the user's chat app. The
// "app" is a small HTTP server on 127.0.0.1 receiving the redirect.
//
// Every page is photographed at desktop (1280×800) and phone (390×844)
// widths into $XMPPOAUTH_SCREENSHOTS (a temporary directory when unset).

// chromium is Debian's package's binary (apt-get install chromium).
const chromium = "/usr/bin/chromium"

// browserEnv is the whole service plus the app the browser signs in to.
type browserEnv struct {
	t        *testing.T
	issuer   string
	p        *oauth.Provider
	srv      *prosodytest.Server
	chat     *xmppEnv // for logging in users' chat clients
	app      *testApp
	clientID string
	shots    string
}

// testApp is the OAuth client's loopback redirect endpoint (RFC 8252 §7.3).
type testApp struct {
	*httptest.Server
	mu  sync.Mutex
	got []url.Values
}

func (a *testApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.mu.Lock()
	a.got = append(a.got, q)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if e := q.Get("error"); e != "" {
		fmt.Fprintf(w, `<!doctype html><title>Not signed in</title><h1 id="not-signed-in">Not signed in</h1><p>%s</p>`, html.EscapeString(e))
		return
	}
	fmt.Fprint(w, `<!doctype html><title>Signed in</title><h1 id="signed-in">Signed in to the Browser Test App</h1>`)
}

// last is the query of the last redirect the app received.
func (a *testApp) last() url.Values {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.got) == 0 {
		return nil
	}
	return a.got[len(a.got)-1]
}

func startBrowserEnv(t *testing.T, web func(*oauthhttp.Options, *prosodytest.Server)) *browserEnv {
	t.Helper()
	registerPayloads()
	ctx := t.Context()
	srv := prosodytest.Start(t, prosodytest.WithUser("alice", "wonderland"))
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := store.Open(t.TempDir(), store.Options{SyncWrites: true, Logger: log})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	bridge := component.NewBridge("Example Chat", nil, log)
	p, err := oauth.New(ctx, oauth.Config{
		Issuer:             "http://" + ln.Addr().String(),
		UserDomains:        []string{srv.Domain},
		OpenRegistration:   true,
		DevicePollInterval: time.Second,
		Logger:             log,
		Notifier:           bridge,
	}, db)
	if err != nil {
		ln.Close()
		t.Fatalf("oauth.New: %v", err)
	}
	engine := adhoc.New(adhoc.Options{Logger: log}, adhoc.Commands(p)...)
	comp := component.New(component.Config{
		Address: srv.ComponentAddr, Domain: srv.ComponentDomain, Secret: srv.Secret,
		UserDomains: []string{srv.Domain}, Name: "Example Chat", Logger: log,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	}, bridge.Handlers(p, engine, component.CAMHandlers(p)))
	bridge.Attach(comp)
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = comp.Run(cctx) }()
	t.Cleanup(func() { cancel(); <-done })

	opts := oauthhttp.Options{
		Logger:       log,
		SiteName:     "Example Chat",
		ComponentJID: srv.ComponentDomain,
		Commands: oauthhttp.Commands{
			ApproveDevice: oauthhttp.Command{Node: adhoc.NodeApproveDevice, Name: adhoc.NameApproveDevice},
			SignIns:       oauthhttp.Command{Node: adhoc.NodeSignIns, Name: adhoc.NameSignIns},
		},
		SessionLifetime: time.Hour,
		SessionKey:      []byte("browser tests: a session key of 32+ bytes"),
	}
	if web != nil {
		web(&opts, srv)
	}
	hs := httptest.NewUnstartedServer(oauthhttp.New(p, opts))
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	t.Cleanup(hs.Close)

	app := &testApp{}
	app.Server = httptest.NewServer(app)
	t.Cleanup(app.Close)
	reg, err := p.Register(ctx, oauth.ClientMetadata{
		ClientName:              "Browser Test App",
		ApplicationType:         oauth.AppNative,
		ClientURI:               "https://app.example.org",
		TOSURI:                  "https://app.example.org/terms",
		PolicyURI:               "https://app.example.org/privacy",
		RedirectURIs:            []string{app.URL + "/callback"},
		TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:              []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode},
	}, "")
	if err != nil {
		t.Fatalf("Register: %v", err)
	}

	shots := os.Getenv("XMPPOAUTH_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	b := &browserEnv{t: t, issuer: p.Config().Issuer, p: p, srv: srv, app: app, clientID: reg.Client.ID, shots: shots,
		chat: &xmppEnv{srv: srv, comp: comp, component: srv.ComponentDomain}}
	b.chat.waitConnected(t)
	return b
}

// oauth2 is the app's x/oauth2 configuration.
func (b *browserEnv) oauth2() oauth2.Config {
	return oauth2.Config{
		ClientID: b.clientID,
		Endpoint: oauth2.Endpoint{
			AuthURL: b.issuer + "/authorize", TokenURL: b.issuer + "/token", DeviceAuthURL: b.issuer + "/device_authorization",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: b.app.URL + "/callback",
		Scopes:      []string{"openid", "profile", "offline_access", "xmpp"},
	}
}

// newBrowser starts a fresh headless Chromium (its own profile, so no
// cookies) and returns its context; every step is bounded by a timeout.
func (b *browserEnv) newBrowser() context.Context {
	t := b.t
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s: %v (apt-get install chromium)", chromium, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout (see chromedp.Run)
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("viewport: %v", err)
	}
	return ctx
}

// step runs browser actions, failing the test after a generous timeout.
func (b *browserEnv) step(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
	}
}

// submit clicks what click selects, which loads another page (a link or a
// form's button), and waits until that new page shows wait. Waiting for wait
// alone could match the page before the click, which is still there while
// the browser posts the form and follows its redirect.
func (b *browserEnv) submit(ctx context.Context, what, click, wait string) {
	b.t.Helper()
	b.step(ctx, what+": mark the page", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("window.xmppoauthBefore = true"))
		return err
	}))
	b.step(ctx, what, chromedp.Click(chromedp.CSS(click)))
	sctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	probe := fmt.Sprintf("!window.xmppoauthBefore && document.readyState !== 'loading' && document.querySelector(%q) !== null", wait)
	for {
		// Errors are expected while the old document goes away.
		if done, err := chromedp.Run(sctx, chromedp.Evaluate[bool](probe)); err == nil && done {
			break
		}
		select {
		case <-sctx.Done():
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			b.t.Fatalf("%s: no new page with %s: %v\nat %s:\n%s", what, wait, sctx.Err(), loc, body)
		case <-time.After(20 * time.Millisecond):
		}
	}
	b.step(ctx, what+": new page", chromedp.WaitVisible(chromedp.CSS(wait)))
}

// text returns the text of the first element matching css.
func (b *browserEnv) text(ctx context.Context, css string) string {
	b.t.Helper()
	sctx, cancel := context.WithTimeout(ctx, ioTimeout)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

func (b *browserEnv) location(ctx context.Context) *url.URL {
	b.t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("location %q: %v", loc, err)
	}
	return u
}

// screenshot photographs the whole page at desktop and phone widths.
func (b *browserEnv) screenshot(ctx context.Context, name string) {
	b.t.Helper()
	for _, v := range []struct {
		suffix string
		w, h   int64
		opts   []chromedp.EmulateViewportOption
	}{
		{"desktop", 1280, 800, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait}},
	} {
		b.step(ctx, "viewport for "+name, chromedp.EmulateViewport(v.w, v.h, v.opts...))
		sctx, cancel := context.WithTimeout(ctx, ioTimeout)
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(b.shots, name+"-"+v.suffix+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatalf("write %s: %v", file, err)
		}
	}
	b.step(ctx, "desktop viewport", chromedp.EmulateViewport(1280, 800))
}

// signIn opens the authorization URL, enters alice's address and returns
// the code the wait page shows.
func (b *browserEnv) signIn(ctx context.Context, authURL, shot string) string {
	b.t.Helper()
	b.step(ctx, "open the authorization URL", chromedp.Navigate(authURL), chromedp.WaitVisible(chromedp.CSS("#jid")))
	if shot != "" {
		b.screenshot(ctx, shot)
	}
	b.step(ctx, "enter the XMPP address",
		chromedp.SendKeys(chromedp.CSS("#jid"), b.srv.JID("alice")),
		chromedp.Click(chromedp.CSS(`form[action="/authorize/signin"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	return b.text(ctx, "#code")
}

// request reads the sign-in request alice's chat app received and checks
// that it carries code.
func request(t *testing.T, alice *client, code string) (stanza.Message, component.Confirm) {
	t.Helper()
	m := alice.nextMessage()
	var cf component.Confirm
	if !m.Get(&cf) || cf.ID != code || !strings.Contains(m.Body, "yes "+code) || !strings.Contains(m.Body, "Browser Test App") {
		t.Fatalf("request in chat = %+v, want a XEP-0070 confirm with code %s", m, code)
	}
	return m, cf
}

// confirm answers a XEP-0070 request: a plain message accepts it, an error
// message denies it (XEP-0070 §4.2).
func confirm(t *testing.T, alice *client, to string, m stanza.Message, cf component.Confirm, accept bool) {
	t.Helper()
	typ := stanza.MessageTypeNormal
	if !accept {
		typ = stanza.MessageTypeError
	}
	reply := stanza.NewMessage(stanza.Attrs{To: to, Type: typ})
	reply.Thread = m.Thread
	reply.Extensions = []stanza.MsgExtension{&component.Confirm{ID: cf.ID, Method: cf.Method, URL: cf.URL}}
	if err := alice.Send(reply); err != nil {
		t.Fatal(err)
	}
	if accept {
		if r := alice.nextMessage(); !strings.Contains(r.Body, "Approved") {
			t.Fatalf("reply to the confirmation = %q", r.Body)
		}
	}
}

// landed checks that the browser is on the app's redirect with state and
// iss (RFC 9207) and returns the query.
func (b *browserEnv) landed(ctx context.Context, state, want string) url.Values {
	b.t.Helper()
	b.step(ctx, "land on the app", chromedp.WaitVisible(chromedp.CSS(want)))
	u := b.location(ctx)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != b.app.URL+"/callback" || q.Get("state") != state || q.Get("iss") != b.issuer {
		b.t.Fatalf("landed on %s, want the app's redirect with state %q and iss %q", u, state, b.issuer)
	}
	return q
}

func TestIntegrationBrowserCodeFlow(t *testing.T) {
	b := startBrowserEnv(t, nil)
	alice := b.chat.login(t, "alice", "wonderland")
	cfg := b.oauth2()

	run := func(t *testing.T, ctx context.Context, shots bool, answer func(code string)) {
		verifier, state := oauth2.GenerateVerifier(), "st-"+oauth2.GenerateVerifier()[:8]
		authURL := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-1"))
		name := func(s string) string {
			if shots {
				return s
			}
			return ""
		}
		code := b.signIn(ctx, authURL, name("1-signin"))
		if shots {
			b.screenshot(ctx, "2-wait")
		}
		answer(code)
		b.step(ctx, "consent page", chromedp.WaitVisible(chromedp.CSS(`button[value=approve]`)))
		if page := b.text(ctx, "main"); !strings.Contains(page, "Browser Test App") || !strings.Contains(page, b.srv.JID("alice")) ||
			!strings.Contains(page, "Terms of service") || !strings.Contains(page, "Full access to your XMPP account") {
			t.Errorf("consent page does not name the app, its terms, the scopes and the account:\n%s", page)
		}
		if shots {
			b.screenshot(ctx, "3-consent")
		}
		b.step(ctx, "allow", chromedp.Click(chromedp.CSS(`button[value=approve]`)))
		q := b.landed(ctx, state, "#signed-in")
		tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
			t.Errorf("token = %+v, want access, refresh and ID tokens", tok)
		}
	}

	t.Run("approved with the XEP-0070 confirmation, page moved on by JavaScript", func(t *testing.T) {
		ctx := b.newBrowser()
		run(t, ctx, true, func(code string) {
			m, cf := request(t, alice, code)
			confirm(t, alice, b.chat.component, m, cf, true)
		})
	})
	t.Run("approved by a chat reply, without JavaScript", func(t *testing.T) {
		ctx := b.newBrowser()
		b.step(ctx, "disable JavaScript", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
		run(t, ctx, false, func(code string) {
			request(t, alice, code)
			if reply := alice.say("yes " + strings.ToLower(code)); !strings.Contains(reply, "Approved") {
				t.Fatalf("reply to yes = %q", reply)
			}
		})
	})
	t.Run("approved with the Pending sign-ins command", func(t *testing.T) {
		ctx := b.newBrowser()
		run(t, ctx, false, func(code string) {
			request(t, alice, code)
			first := alice.run(adhoc.NodeSignIns, "", adhoc.ActionExecute, nil)
			if first.Form == nil {
				t.Fatalf("Pending sign-ins = %+v %s", first, notes(first))
			}
			done := alice.run(adhoc.NodeSignIns, first.SessionID, adhoc.ActionComplete, submit(forms.Var("decision", "approve")))
			if done.Status != adhoc.StatusCompleted {
				t.Fatalf("Pending sign-ins approve = %+v %s", done, notes(done))
			}
		})
	})
}

func TestIntegrationBrowserDeny(t *testing.T) {
	b := startBrowserEnv(t, nil)
	alice := b.chat.login(t, "alice", "wonderland")
	cfg := b.oauth2()

	t.Run("denied in chat", func(t *testing.T) {
		ctx := b.newBrowser()
		state := "st-deny-chat"
		code := b.signIn(ctx, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "")
		m, cf := request(t, alice, code)
		confirm(t, alice, b.chat.component, m, cf, false)
		b.step(ctx, "denied page", chromedp.WaitVisible(chromedp.CSS("main a.button:not(.secondary)")))
		if h := b.text(ctx, "h1"); h != "Sign-in denied" {
			t.Errorf("heading = %q, want Sign-in denied", h)
		}
		b.screenshot(ctx, "4-denied-in-chat")
		b.step(ctx, "back to the app", chromedp.Click(chromedp.CSS("main a.button:not(.secondary)")))
		if q := b.landed(ctx, state, "#not-signed-in"); q.Get("error") != oauth.AccessDenied || q.Get("code") != "" {
			t.Errorf("app got %v, want access_denied", q)
		}
	})
	t.Run("denied on the consent page", func(t *testing.T) {
		ctx := b.newBrowser()
		state := "st-deny-consent"
		code := b.signIn(ctx, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "")
		m, cf := request(t, alice, code)
		confirm(t, alice, b.chat.component, m, cf, true)
		b.step(ctx, "deny", chromedp.WaitVisible(chromedp.CSS(`button[value=deny]`)), chromedp.Click(chromedp.CSS(`button[value=deny]`)))
		if q := b.landed(ctx, state, "#not-signed-in"); q.Get("error") != oauth.AccessDenied || q.Get("code") != "" {
			t.Errorf("app got %v, want access_denied", q)
		}
	})
}

func TestIntegrationBrowserRememberedSession(t *testing.T) {
	b := startBrowserEnv(t, nil)
	alice := b.chat.login(t, "alice", "wonderland")
	cfg := b.oauth2()
	ctx := b.newBrowser()

	code := b.signIn(ctx, cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "")
	m, cf := request(t, alice, code)
	confirm(t, alice, b.chat.component, m, cf, true)
	b.step(ctx, "allow", chromedp.WaitVisible(chromedp.CSS(`button[value=approve]`)), chromedp.Click(chromedp.CSS(`button[value=approve]`)))
	b.landed(ctx, "st-1", "#signed-in")

	// The second sign-in is one click: the browser remembers alice, so the
	// authorization URL opens the consent page and nothing goes to chat.
	verifier := oauth2.GenerateVerifier()
	b.step(ctx, "second sign-in", chromedp.Navigate(cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible(chromedp.CSS(`button[value=approve]`)))
	if u := b.location(ctx); u.Path != "/authorize" {
		t.Errorf("second sign-in went through %s, want the consent page at /authorize", u.Path)
	}
	if acc := b.text(ctx, "header .account .jid"); acc != b.srv.JID("alice") {
		t.Errorf("header says signed in as %q", acc)
	}
	b.screenshot(ctx, "5-consent-remembered")
	b.step(ctx, "one click", chromedp.Click(chromedp.CSS(`button[value=approve]`)))
	q := b.landed(ctx, "st-2", "#signed-in")
	if _, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if pending, err := b.p.PendingSignIns(t.Context(), b.srv.JID("alice")); err != nil || len(pending) != 0 {
		t.Errorf("pending sign-ins = %v, %v; the remembered sign-in asked in chat", pending, err)
	}

	// Sign out with the header's link.
	b.step(ctx, "consent page", chromedp.Navigate(cfg.AuthCodeURL("st-3", oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible(chromedp.CSS("header .account a")))
	b.submit(ctx, "sign-out page", "header .account a", `main form button[type=submit]`)
	b.screenshot(ctx, "6-signout")
	b.submit(ctx, "sign out", `main form button[type=submit]`, "main h1")
	if h := b.text(ctx, "main h1"); h != "You are signed out" {
		t.Errorf("after signing out: %q", h)
	}
	b.step(ctx, "sign-in asks again", chromedp.Navigate(cfg.AuthCodeURL("st-4", oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible(chromedp.CSS("#jid")))
}

func TestIntegrationBrowserDevice(t *testing.T) {
	b := startBrowserEnv(t, nil)
	alice := b.chat.login(t, "alice", "wonderland")
	cfg := b.oauth2()
	cfg.Scopes = []string{"openid", "xmpp"}
	ctx := b.newBrowser()

	b.step(ctx, "device page", chromedp.Navigate(b.issuer+"/device"), chromedp.WaitVisible(chromedp.CSS("#user_code")))
	page := b.text(ctx, "main")
	for _, want := range []string{b.srv.ComponentDomain, "Approve a device"} {
		if !strings.Contains(page, want) {
			t.Errorf("device page lacks %q:\n%s", want, page)
		}
	}
	b.screenshot(ctx, "7-device")

	da, err := cfg.DeviceAuth(t.Context())
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	b.step(ctx, "verification_uri_complete", chromedp.Navigate(da.VerificationURIComplete), chromedp.WaitVisible(chromedp.CSS("svg.qr")))
	if got := b.text(ctx, ".check .code"); got != da.UserCode {
		t.Errorf("page asks to check code %q, want %q (RFC 8628 §5.4)", got, da.UserCode)
	}
	b.screenshot(ctx, "8-device-complete")
	b.step(ctx, "address", chromedp.SendKeys(chromedp.CSS("#jid"), b.srv.JID("alice")))
	b.submit(ctx, "send to chat", `main form button[type=submit]`, "main .code")
	if u := b.location(ctx); u.Path != "/device/sent" {
		t.Errorf("after the form: %s, want /device/sent", u)
	}
	b.screenshot(ctx, "9-device-sent")

	got := make(chan *oauth2.Token, 1)
	go func() {
		tok, err := cfg.DeviceAccessToken(context.WithoutCancel(t.Context()), da)
		if err != nil {
			t.Errorf("DeviceAccessToken: %v", err)
		}
		got <- tok
	}()
	m := alice.nextMessage()
	var cf component.Confirm
	if !m.Get(&cf) || cf.ID != da.UserCode || !strings.Contains(m.Body, "Browser Test App") {
		t.Fatalf("device request in chat = %+v, want a XEP-0070 confirm for %s", m, da.UserCode)
	}
	confirm(t, alice, b.chat.component, m, cf, true)
	select {
	case tok := <-got:
		if tok == nil || tok.AccessToken == "" {
			t.Fatalf("device token = %+v", tok)
		}
	case <-time.After(ioTimeout):
		t.Fatal("the device got no token")
	}
}

func TestIntegrationBrowserCSRF(t *testing.T) {
	b := startBrowserEnv(t, nil)
	cfg := b.oauth2()
	ctx := b.newBrowser()
	b.step(ctx, "sign-in page", chromedp.Navigate(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))),
		chromedp.WaitVisible(chromedp.CSS("#jid")))
	// The form's token is in the page, but the browser lost the cookie it
	// must match (blocked cookies, or a forged cross-site post).
	b.step(ctx, "drop cookies", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	b.step(ctx, "address", chromedp.SendKeys(chromedp.CSS("#jid"), b.srv.JID("alice")))
	b.submit(ctx, "submit", `form[action="/authorize/signin"] button[type=submit]`, "main h1")
	if h := b.text(ctx, "main h1"); h != "This form has expired" {
		t.Errorf("after a CSRF failure: %q", h)
	}
	b.screenshot(ctx, "10-csrf")
	if pending, _ := b.p.PendingSignIns(t.Context(), b.srv.JID("alice")); len(pending) != 0 {
		t.Errorf("a sign-in was started despite the CSRF failure")
	}

	b.step(ctx, "unknown client", chromedp.Navigate(b.issuer+"/authorize?client_id=nobody&response_type=code"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := b.text(ctx, "main h1"); h != "Unknown application" {
		t.Errorf("unknown client: %q", h)
	}
	b.screenshot(ctx, "11-error-unknown-client")
}

func TestIntegrationBrowserPassword(t *testing.T) {
	b := startBrowserEnv(t, func(o *oauthhttp.Options, srv *prosodytest.Server) {
		// The test Prosody offers no TLS; on loopback the password may
		// cross in the clear.
		o.Passwords = &oauthhttp.C2SPasswordChecker{Address: srv.C2SAddr, RequireTLS: false}
	})
	cfg := b.oauth2()
	ctx := b.newBrowser()
	verifier := oauth2.GenerateVerifier()
	b.step(ctx, "password form", chromedp.Navigate(cfg.AuthCodeURL("st-pw", oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible(chromedp.CSS("details.password summary")), chromedp.Click(chromedp.CSS("details.password summary")),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	b.screenshot(ctx, "12-signin-password")
	submitPassword := func(pw string) {
		b.step(ctx, "password "+pw, chromedp.SendKeys(chromedp.CSS("#password"), pw))
		b.submit(ctx, "submit password "+pw, `form[action="/authorize/password"] button[type=submit]`, "main h1")
	}
	b.step(ctx, "address", chromedp.SendKeys(chromedp.CSS("#pw-jid"), b.srv.JID("alice")))
	submitPassword("looking-glass")
	if e := b.text(ctx, ".error"); !strings.Contains(e, "password is wrong") {
		t.Errorf("wrong password: %q", e)
	}
	b.screenshot(ctx, "13-signin-wrong-password")
	submitPassword("wonderland")
	b.step(ctx, "allow", chromedp.WaitVisible(chromedp.CSS(`button[value=approve]`)), chromedp.Click(chromedp.CSS(`button[value=approve]`)))
	q := b.landed(ctx, "st-pw", "#signed-in")
	if _, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatalf("Exchange: %v", err)
	}
}
