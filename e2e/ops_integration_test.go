//go:build integration && unix

package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/prosodytest"
)

// TestIntegrationOpsProbes runs the real binary against a real Prosody with
// an operations listener: /readyz says ready once the component is
// connected, not ready while Prosody is stopped, and ready again once the
// component has reconnected by itself; /metrics, on the operations listener
// only, shows a token issued over HTTP and the reconnection.
func TestIntegrationOpsProbes(t *testing.T) {
	srv := prosodytest.Start(t, prosodytest.WithDomain(testDomain))
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	httpAddr, opsAddr := freeAddr(t), freeAddr(t)
	issuer := "http://" + httpAddr
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(`issuer: %s
http: {listen: "%s"}
data_dir: %s
xmpp: {user_domains: [%s]}
component: {address: "%s", domain: %s}
grant_types: [client_credentials]
ops: {listen: "%s"}
`, issuer, httpAddr, filepath.Join(dir, "data"), srv.Domain, srv.ComponentAddr, srv.ComponentDomain, opsAddr)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "XMPPOAUTH_COMPONENT_SECRET="+srv.Secret)
	d := startDaemon(t, bin, cfgPath, env, filepath.Join(dir, "xmppoauth.log"), issuer)
	web, ops := issuer, "http://"+opsAddr
	hc := &http.Client{Timeout: 10 * time.Second}

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	readyIs := func(what string, want int, body string) {
		t.Helper()
		waitFor(t, what, func() bool {
			status, got := get(web + "/readyz")
			return status == want && strings.Contains(got, body)
		})
	}

	readyIs("/readyz to say ready once the component is connected", http.StatusOK, "component: ok")
	for _, base := range []string{web, ops} {
		if status, body := get(base + "/healthz"); status != http.StatusOK || body != "ok\n" {
			t.Errorf("GET %s/healthz = %d %q, want 200 ok", base, status, body)
		}
	}
	if status, _ := get(web + "/metrics"); status != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener = %d, want 404", status)
	}

	// A client_credentials token over HTTP.
	resp, err := hc.Post(web+"/register", "application/json", strings.NewReader(
		`{"client_name": "Ops bot", "grant_types": ["client_credentials"], "scope": "xmpp:account:read"}`))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	err = json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register = %d, %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, web+"/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(reg.ClientID), url.QueryEscape(reg.ClientSecret))
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials = %d", resp.StatusCode)
	}

	srv.Stop()
	readyIs("/readyz to say not ready while Prosody is stopped", http.StatusServiceUnavailable,
		"component: not connected to the XMPP server at "+srv.ComponentAddr)
	if status, body := get(ops + "/metrics"); status != http.StatusOK || !strings.Contains(body, "xmppoauth_component_connected 0") {
		t.Errorf("metrics while Prosody is stopped = %d, want xmppoauth_component_connected 0", status)
	}
	srv.Restart(t)
	readyIs("/readyz to say ready again after the component reconnected", http.StatusOK, "component: ok")

	// The stored counts are read in the background when first scraped.
	var metrics string
	waitFor(t, "the stored counts in the metrics", func() bool {
		var status int
		status, metrics = get(ops + "/metrics")
		return status == http.StatusOK && strings.Contains(metrics, "\nxmppoauth_clients ")
	})
	for _, want := range []string{
		`xmppoauth_tokens_issued_total{grant_type="client_credentials"} 1`,
		`xmppoauth_http_requests_total{code="200",method="POST",route="/token"} 1`,
		"xmppoauth_component_connected 1",
		"xmppoauth_component_reconnects_total 1",
		"xmppoauth_clients 1",
		"xmppoauth_tokens_active 1",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	d.stop(t)
	if err := d.exitErr(); err != nil {
		t.Errorf("xmppoauth after SIGTERM: %v, want exit status 0", err)
	}
}
