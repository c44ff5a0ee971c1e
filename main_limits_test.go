package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

func TestWebOptionsCarryTheLimits(t *testing.T) {
	clearEnv(t)
	cfg, err := config.Parse([]byte(`component: {secret: s}
http: {trusted_proxies: ["10.0.0.0/8"]}
limits: {registration_per_ip: 1/1h, authorize_per_ip: 7/1m, max_body_bytes: 8192}
`))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	o := webOptions(cfg, nil)
	if o.Limits.RegistrationPerIP != (oauth.Rate{Count: 1, Window: time.Hour}) ||
		o.Limits.AuthorizePerIP != (oauth.Rate{Count: 7, Window: time.Minute}) || o.Limits.MaxBodyBytes != 8192 {
		t.Errorf("webOptions().Limits = %+v", o.Limits)
	}
	if len(o.TrustedProxies) != 1 || o.TrustedProxies[0] != "10.0.0.0/8" {
		t.Errorf("webOptions().TrustedProxies = %v", o.TrustedProxies)
	}

	// The web side applies them: one registration per address, and the
	// proxy's X-Forwarded-For names the address.
	h := oauthhttp.New(newProvider(t, cfg), webOptions(cfg, slog.New(slog.DiscardHandler)))
	register := func(remote, forwarded string) int {
		req := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(`{"client_name":"A","application_type":"native","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = remote
		if forwarded != "" {
			req.Header.Set("X-Forwarded-For", forwarded)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, tt := range []struct {
		remote, forwarded string
		want              int
	}{
		{"10.1.2.3:4000", "192.0.2.1", http.StatusCreated},
		{"10.1.2.3:4000", "192.0.2.1", http.StatusTooManyRequests},
		{"10.1.2.3:4000", "192.0.2.2", http.StatusCreated},
		{"192.0.2.9:4000", "192.0.2.3", http.StatusCreated},
		{"192.0.2.9:4000", "192.0.2.4", http.StatusTooManyRequests}, // not a proxy: its own address counts
	} {
		if got := register(tt.remote, tt.forwarded); got != tt.want {
			t.Errorf("register from %s as %s = %d, want %d", tt.remote, tt.forwarded, got, tt.want)
		}
	}
	big := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=x&pad="+strings.Repeat("a", 9000)))
	big.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, big)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /token of 9 KB = %d, want 413", rec.Code)
	}
}
