package oauthhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

const (
	alice      = "alice@example.test"
	userDomain = "example.test"
)

// testServer is the real provider and handler behind httptest.
type testServer struct {
	*httptest.Server
	t      *testing.T
	p      *oauth.Provider
	clock  *fakeclock.Clock
	notes  *notifier
	store  *faultyStore
	issuer string
}

// notifier records what the provider pushes to chat.
type notifier struct {
	mu      sync.Mutex
	signIns []oauth.SignInNotice
	devices []oauth.DeviceNotice
}

func (n *notifier) NotifySignIn(_ context.Context, s oauth.SignInNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.signIns = append(n.signIns, s)
	return nil
}

func (n *notifier) NotifyDevice(_ context.Context, d oauth.DeviceNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.devices = append(n.devices, d)
	return nil
}

func (n *notifier) signInNotices() []oauth.SignInNotice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]oauth.SignInNotice(nil), n.signIns...)
}

func (n *notifier) lastDevice() (oauth.DeviceNotice, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.devices) == 0 {
		return oauth.DeviceNotice{}, false
	}
	return n.devices[len(n.devices)-1], true
}

// faultyStore is the memory store with a switch that makes client lookups
// fail like a broken disk, to show that internal errors stay internal.
type faultyStore struct {
	oauth.Store
	mu     sync.Mutex
	broken bool
	panics bool
}

var errDisk = errors.New("disk on fire at /var/lib/secret-path")

func (s *faultyStore) GetClient(ctx context.Context, id string) (oauth.Client, error) {
	s.mu.Lock()
	broken, panics := s.broken, s.panics
	s.mu.Unlock()
	if panics {
		panic("store exploded")
	}
	if broken {
		return oauth.Client{}, errDisk
	}
	return s.Store.GetClient(ctx, id)
}

func (s *faultyStore) panicNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.panics = true
}

func (s *faultyStore) breakIt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken = true
}

// newTestServer starts the provider on the memory store, with a pinned clock,
// open registration, alice's domain as user domain and a recording
// notifier, behind an httptest server on 127.0.0.1; configure may change
// the configuration (the issuer is already set to the server's URL).
func newTestServer(t *testing.T, configure func(*oauth.Config), web ...func(*oauthhttp.Options)) *testServer {
	t.Helper()
	return startServer(t, false, configure, web...)
}

// newTLSTestServer is newTestServer over https.
func newTLSTestServer(t *testing.T, configure func(*oauth.Config), web ...func(*oauthhttp.Options)) *testServer {
	t.Helper()
	return startServer(t, true, configure, web...)
}

func startServer(t *testing.T, useTLS bool, configure func(*oauth.Config), web ...func(*oauthhttp.Options)) *testServer {
	t.Helper()
	scheme := "http://"
	if useTLS {
		scheme = "https://"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	clk := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	notes := &notifier{}
	st := &faultyStore{Store: storetest.Memory()}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := oauth.Config{
		Issuer:           scheme + ln.Addr().String(),
		UserDomains:      []string{userDomain},
		OpenRegistration: true,
		GrantTypes:       []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode, oauth.GrantClientCredentials},
		ResourceServers:  []oauth.ResourceServer{{ID: "api", Secret: "api-secret"}},
		Now:              clk.Now,
		Logger:           log,
		Notifier:         notes,
	}
	if configure != nil {
		configure(&cfg)
	}
	p, err := oauth.New(t.Context(), cfg, st)
	if err != nil {
		ln.Close()
		t.Fatalf("oauth.New: %v", err)
	}
	opts := oauthhttp.Options{Logger: log, SiteName: "Test Site"}
	for _, w := range web {
		w(&opts)
	}
	srv := httptest.NewUnstartedServer(oauthhttp.New(p, opts))
	srv.Listener.Close()
	srv.Listener = ln
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, t: t, p: p, clock: clk, notes: notes, store: st, issuer: p.Config().Issuer}
}

// browser returns a client with a cookie jar that does not follow redirects.
func (ts *testServer) browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		ts.t.Fatalf("cookie jar: %v", err)
	}
	return &http.Client{
		Transport:     ts.Client().Transport, // trusts the test certificate
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

// json decodes the body into a map.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// errorCode is the "error" member of a JSON error body.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	s, _ := r.json(t)["error"].(string)
	return s
}

// do sends req with client (http.DefaultClient when nil) and reads the answer.
func (ts *testServer) do(client *http.Client, req *http.Request) response {
	ts.t.Helper()
	if client == nil {
		client = ts.browser()
	}
	resp, err := client.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("read body: %v", err)
	}
	return response{Response: resp, body: string(b)}
}

// newRequest builds a request to path (relative to the issuer).
func (ts *testServer) newRequest(method, path, contentType, body string) *http.Request {
	ts.t.Helper()
	req, err := http.NewRequestWithContext(ts.t.Context(), method, ts.issuer+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatalf("new request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

const formType = "application/x-www-form-urlencoded"

// postForm posts form to path with an optional Authorization header.
func (ts *testServer) postForm(path string, form url.Values, auth string) response {
	ts.t.Helper()
	req := ts.newRequest(http.MethodPost, path, formType, form.Encode())
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return ts.do(nil, req)
}

// get fetches path.
func (ts *testServer) get(path string) response {
	ts.t.Helper()
	return ts.do(nil, ts.newRequest(http.MethodGet, path, "", ""))
}

// register registers a client through the core.
func (ts *testServer) register(m oauth.ClientMetadata) oauth.ClientRegistration {
	ts.t.Helper()
	reg, err := ts.p.Register(ts.t.Context(), m, "")
	if err != nil {
		ts.t.Fatalf("Register: %v", err)
	}
	return reg
}

// nativeClient registers a public native client with a loopback redirect URI.
func (ts *testServer) nativeClient() oauth.ClientRegistration {
	return ts.register(oauth.ClientMetadata{
		ClientName:              "Test App",
		ApplicationType:         oauth.AppNative,
		RedirectURIs:            []string{"http://127.0.0.1/callback", "urn:ietf:wg:oauth:2.0:oob"},
		TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:              []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode},
	})
}

// confidentialClient registers a client_secret_basic client for the device
// and client_credentials grants.
func (ts *testServer) confidentialClient() oauth.ClientRegistration {
	return ts.register(oauth.ClientMetadata{
		ClientName: "Backend",
		GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken, oauth.GrantClientCredentials},
	})
}

// basic is an HTTP Basic Authorization value per RFC 6749 §2.3.1.
func basic(id, secret string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return req.Header.Get("Authorization")
}

// deviceTokens runs the device flow for a public client through HTTP and
// the core and returns the token response.
func (ts *testServer) deviceTokens(clientID, scope string) map[string]any {
	ts.t.Helper()
	r := ts.postForm("/device_authorization", url.Values{"client_id": {clientID}, "scope": {scope}}, "")
	if r.StatusCode != http.StatusOK {
		ts.t.Fatalf("device_authorization: %d %s", r.StatusCode, r.body)
	}
	da := r.json(ts.t)
	if err := ts.p.DecideDevice(ts.t.Context(), alice, da["user_code"].(string), true); err != nil {
		ts.t.Fatalf("DecideDevice: %v", err)
	}
	r = ts.postForm("/token", url.Values{
		"grant_type": {oauth.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {clientID},
	}, "")
	if r.StatusCode != http.StatusOK {
		ts.t.Fatalf("token: %d %s", r.StatusCode, r.body)
	}
	return r.json(ts.t)
}

// checkPageHeaders checks the security headers every HTML page carries.
func checkPageHeaders(t *testing.T, r response) {
	t.Helper()
	if got := r.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'self'; frame-ancestors 'none'") {
		t.Errorf("header Content-Security-Policy = %q", got)
	}
	want := map[string]string{
		"X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer",
		"Cache-Control":   "no-store",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("page has Access-Control-Allow-Origin %q", got)
	}
}
