package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/xmppoauth/xmppoauth/config"
)

// fakeXMPP accepts component connections (XEP-0114) on 127.0.0.1 with any
// handshake, and answers the closing </stream:stream>. drop ends the
// current connection, as an XMPP server that goes away does.
type fakeXMPP struct {
	ln net.Listener
	mu sync.Mutex
	nc net.Conn // the current connection
}

func newFakeXMPP(t *testing.T) *fakeXMPP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeXMPP{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		f.drop()
	})
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.nc = nc
			f.mu.Unlock()
			go f.serve(nc)
		}
	}()
	return f
}

// serve answers one component: stream header, handshake, then the close.
func (f *fakeXMPP) serve(nc net.Conn) {
	defer nc.Close()
	var got []byte
	// wait reads until the connection has sent s.
	wait := func(s string) bool {
		buf := make([]byte, 4096)
		for !bytes.Contains(got, []byte(s)) {
			n, err := nc.Read(buf)
			if err != nil {
				return false
			}
			got = append(got, buf[:n]...)
		}
		got = got[bytes.Index(got, []byte(s))+len(s):]
		return true
	}
	if !wait("<stream:stream") || !wait(">") {
		return
	}
	_, _ = nc.Write([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' " +
		"xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='auth.localhost'>"))
	if !wait("</handshake>") {
		return
	}
	_, _ = nc.Write([]byte("<handshake/>"))
	if wait("</stream:stream>") {
		_, _ = nc.Write([]byte("</stream:stream>"))
	}
}

// drop closes the current connection.
func (f *fakeXMPP) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nc != nil {
		f.nc.Close()
	}
}

// waitUntil polls cond with a generous deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeOps runs the whole service with an operations listener:
// /healthz and /readyz on both listeners, /metrics on the operations one
// only; readiness follows the component's connection; a real token request
// and a reconnection show in the scraped metrics.
func TestServeOps(t *testing.T) {
	clearEnv(t)
	xmpp := newFakeXMPP(t)
	cfg, err := config.Parse([]byte(`
component: {secret: s, address: "` + xmpp.ln.Addr().String() + `"}
data_dir: ` + t.TempDir() + `
http: {listen: "127.0.0.1:0"}
ops: {listen: "127.0.0.1:0"}
grant_types: [client_credentials]
`))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	h := addrs{slog.NewTextHandler(t.Output(), nil), make(chan map[string]string, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(h)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve = %v after shutdown, want nil", err)
		}
	})
	var got map[string]string
	select {
	case got = <-h.c:
	case err := <-done:
		t.Fatalf("serve = %v before serving", err)
	}
	web, ops := "http://"+got["http"], "http://"+got["ops"]
	if got["ops"] == "" {
		t.Fatalf("serving %v, want an ops listener", got)
	}

	for _, base := range []string{web, ops} {
		if status, body := do(t, http.MethodGet, base+"/healthz", nil, ""); status != http.StatusOK || body != "ok\n" {
			t.Errorf("GET %s/healthz = %d %q, want 200 ok", base, status, body)
		}
	}
	if status, _ := do(t, http.MethodGet, web+"/metrics", nil, ""); status != http.StatusNotFound {
		t.Errorf("GET /metrics on the public listener = %d, want 404", status)
	}

	ready := func(base string) (int, string) { return do(t, http.MethodGet, base+"/readyz", nil, "") }
	waitUntil(t, "/readyz to say ready once the component is connected", func() bool {
		status, _ := ready(web)
		return status == http.StatusOK
	})
	if status, body := ready(ops); status != http.StatusOK || body != "ready\nstore: ok\ncomponent: ok\n" {
		t.Errorf("GET /readyz on the ops listener = %d %q, want 200 with both checks ok", status, body)
	}

	// A real token request: register a client, then client_credentials.
	status, body := do(t, http.MethodPost, web+"/register", http.Header{"Content-Type": {"application/json"}},
		`{"client_name": "Bot", "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic", "scope": "xmpp:account:read"}`)
	if status != http.StatusCreated {
		t.Fatalf("register = %d %s", status, body)
	}
	var reg struct{ ClientID, ClientSecret string }
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	reg.ClientID, _ = raw["client_id"].(string)
	reg.ClientSecret, _ = raw["client_secret"].(string)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, web+"/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(url.QueryEscape(reg.ClientID), url.QueryEscape(reg.ClientSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client_credentials = %d", resp.StatusCode)
	}

	// The XMPP server goes away: not ready until the component is back.
	xmpp.drop()
	waitUntil(t, "/readyz to say not ready while the component is away", func() bool {
		status, body := ready(web)
		return status == http.StatusServiceUnavailable && strings.Contains(body, "component: not connected to the XMPP server at "+cfg.Component.Address)
	})
	waitUntil(t, "/readyz to say ready again after the reconnection", func() bool {
		status, _ := ready(web)
		return status == http.StatusOK
	})

	// The stored counts are read in the background when first scraped.
	var metrics string
	waitUntil(t, "the stored counts in the metrics", func() bool {
		var status int
		status, metrics = do(t, http.MethodGet, ops+"/metrics", nil, "")
		return status == http.StatusOK && strings.Contains(metrics, "\nxmppoauth_clients ")
	})
	for _, want := range []string{
		`xmppoauth_tokens_issued_total{grant_type="client_credentials"} 1`,
		`xmppoauth_http_requests_total{code="200",method="POST",route="/token"} 1`,
		`xmppoauth_http_requests_total{code="201",method="POST",route="/register"} 1`,
		"xmppoauth_component_connected 1",
		"xmppoauth_component_reconnects_total 1",
		"xmppoauth_clients 1",
		"xmppoauth_grants 1",
		"xmppoauth_tokens_active 1",
		"xmppoauth_device_codes_pending 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", metrics)
	}
}
