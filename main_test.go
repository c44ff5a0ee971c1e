package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// ejabberdSecret is a valid ejabberd.secret.
const ejabberdSecret = "main-test-0123456789"

// clearEnv makes the test independent of the caller's XMPPOAUTH_ variables.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "XMPPOAUTH_") {
			t.Setenv(k, "")
		}
	}
}

// writeConfig writes yaml to a file in t.TempDir() and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckConfig(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantCode int
		want     string // in stdout when 0, in stderr otherwise
	}{
		{"defaults", "component: {secret: s}\n", 0, ": OK"},
		{"ejabberd backend", "component: {secret: s}\nejabberd: {listen: \"127.0.0.1:8081\", secret: " + ejabberdSecret + ", scopes: {xmpp: [ejabberd:user]}}\n", 0, ": OK"},
		{"ejabberd backend without a secret", "component: {secret: s}\nejabberd: {listen: \"127.0.0.1:8081\"}\n", 1, "ejabberd.secret: must be set"},
		{"ejabberd secret with a comma", "component: {secret: s}\nejabberd: {listen: \"127.0.0.1:8081\", secret: \"" + ejabberdSecret + ",x\"}\n", 1, "ejabberd.secret: must be printable ASCII"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			path := writeConfig(t, tc.yaml)
			var stdout, stderr bytes.Buffer
			code := run([]string{"check-config", "-config", path}, &stdout, &stderr)
			out := stdout.String()
			if tc.wantCode != 0 {
				out = stderr.String()
			}
			if code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Errorf("check-config = %d, stdout %q, stderr %q; want %d and %q", code, stdout.String(), stderr.String(), tc.wantCode, tc.want)
			}
		})
	}
}

func TestCheckOptionsUsesTheBackendsRules(t *testing.T) {
	cfg := config.Default()
	cfg.Ejabberd.Listen = "127.0.0.1:8081"
	cfg.Ejabberd.Secret = "short"
	if err := checkOptions(cfg); err == nil || !strings.Contains(err.Error(), "at least 16 characters") {
		t.Errorf("checkOptions with a short secret = %v, want oauthhttp's refusal", err)
	}
	cfg.Ejabberd.Listen = ""
	if err := checkOptions(cfg); err != nil {
		t.Errorf("checkOptions with the backend off = %v, want nil", err)
	}
}

// newProvider returns a core on a Badger store in t.TempDir() for cfg.
func newProvider(t *testing.T, cfg *config.Config) *oauth.Provider {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := oauth.New(t.Context(), cfg.OAuthConfig(), db)
	if err != nil {
		t.Fatalf("oauth.New: %v", err)
	}
	return p
}

// do sends a request and returns the status and body.
func do(t *testing.T, method, url string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestListen checks the wiring of both listeners: the web side with the
// XMPP login check under the issuer's path, and ejabberd's token backend on
// its own listener only.
func TestListen(t *testing.T) {
	clearEnv(t)
	cfg, err := config.Parse([]byte(`
issuer: http://127.0.0.1:8080/auth
site_name: Main Test
component: {secret: s}
http: {listen: "127.0.0.1:0"}
ejabberd: {listen: "127.0.0.1:0", secret: ` + ejabberdSecret + `}
`))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	p := newProvider(t, cfg)
	servers, err := listen(cfg, p, nil, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	urls := map[string]string{}
	for _, s := range servers {
		urls[s.name] = "http://" + s.ln.Addr().String()
		go func() { _ = s.srv.Serve(s.ln) }()
		t.Cleanup(func() { s.srv.Close() })
	}
	if len(urls) != 2 {
		t.Fatalf("listen opened %v, want http and ejabberd", urls)
	}
	web, backend := urls["http"], urls["ejabberd"]
	secret := http.Header{"X-Xmppoauth-Secret": {ejabberdSecret}, "Content-Type": {"application/json"}}
	lookup := `{"token": "not-a-token"}`

	tests := []struct {
		name, method, url string
		header            http.Header
		body              string
		wantStatus        int
		want              string
	}{
		{"oauthhttp under the issuer path", http.MethodGet, web + "/auth/.well-known/openid-configuration", nil, "", http.StatusOK, `"issuer":"http://127.0.0.1:8080/auth"`},
		{"XMPP login check without a token", http.MethodGet, web + "/auth/xmpp/userinfo?domain=localhost", nil, "", http.StatusUnauthorized, `"status":"invalid_token"`},
		{"XMPP login check with a bad token", http.MethodGet, web + "/auth/xmpp/userinfo?domain=localhost", http.Header{"Authorization": {"Bearer nope"}}, "", http.StatusUnauthorized, `"error":"invalid_token"`},
		{"XMPP login check only under the issuer path", http.MethodGet, web + "/xmpp/userinfo?domain=localhost", nil, "", http.StatusNotFound, ""},
		{"no token backend on the web listener", http.MethodPost, web + "/oauth/lookup", secret, lookup, http.StatusNotFound, ""},
		{"token backend", http.MethodPost, backend + "/oauth/lookup", secret, lookup, http.StatusNotFound, `"error":"invalid_token"`},
		{"token backend without the secret", http.MethodPost, backend + "/oauth/lookup", http.Header{"Content-Type": {"application/json"}}, lookup, http.StatusUnauthorized, ""},
		{"no web side on the backend listener", http.MethodGet, backend + "/auth/.well-known/openid-configuration", secret, "", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, tc.method, tc.url, tc.header, tc.body)
			if status != tc.wantStatus || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s = %d %s, want %d with %q", tc.method, tc.url, status, body, tc.wantStatus, tc.want)
			}
		})
	}
}

func TestListenFailsOnAPortInUse(t *testing.T) {
	clearEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg, err := config.Parse([]byte("component: {secret: s}\nhttp: {listen: \"127.0.0.1:0\"}\nejabberd: {listen: \"" + busy.Addr().String() + "\", secret: " + ejabberdSecret + "}\n"))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	_, err = listen(cfg, newProvider(t, cfg), nil, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "ejabberd: listen on "+busy.Addr().String()) {
		t.Errorf("listen = %v, want an ejabberd listen error", err)
	}
}

// addrs is a slog handler that hands on the listener addresses of the
// "xmppoauth serving" line.
type addrs struct {
	slog.Handler
	c chan map[string]string
}

func (h addrs) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "xmppoauth serving" {
		m := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			m[a.Key] = a.Value.String()
			return true
		})
		h.c <- m
	}
	return h.Handler.Handle(ctx, r)
}

func (h addrs) WithAttrs(as []slog.Attr) slog.Handler {
	return addrs{h.Handler.WithAttrs(as), h.c}
}

func (h addrs) WithGroup(name string) slog.Handler {
	return addrs{h.Handler.WithGroup(name), h.c}
}

// TestServe runs the whole service with both listeners (the XMPP server
// is absent: the component keeps retrying) and stops it.
func TestServe(t *testing.T) {
	clearEnv(t)
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	component := refused.Addr().String()
	refused.Close() // nothing listens there now: the component cannot connect
	cfg, err := config.Parse([]byte(`
component: {secret: s, address: "` + component + `"}
data_dir: ` + t.TempDir() + `
http: {listen: "127.0.0.1:0"}
ejabberd: {listen: "127.0.0.1:0", secret: ` + ejabberdSecret + `}
`))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	h := addrs{slog.NewTextHandler(t.Output(), nil), make(chan map[string]string, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(h)) }()
	var got map[string]string
	select {
	case got = <-h.c:
	case err := <-done:
		t.Fatalf("serve = %v before serving", err)
	}
	if status, body := do(t, http.MethodGet, "http://"+got["http"]+"/xmpp/userinfo?domain=localhost", nil, ""); status != http.StatusUnauthorized {
		t.Errorf("XMPP login check = %d %s, want 401", status, body)
	}
	lookup := http.Header{"X-Xmppoauth-Secret": {ejabberdSecret}, "Content-Type": {"application/json"}}
	if status, body := do(t, http.MethodPost, "http://"+got["ejabberd"]+"/oauth/lookup", lookup, `{"token":"x"}`); status != http.StatusNotFound {
		t.Errorf("ejabberd lookup = %d %s, want 404", status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve = %v after shutdown, want nil", err)
	}
	for _, name := range []string{"http", "ejabberd"} {
		if c, err := net.Dial("tcp", got[name]); err == nil {
			c.Close()
			t.Errorf("%s listener %s still accepts connections after shutdown", name, got[name])
		}
	}
}
