package oauthhttp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestCommonBehaviour(t *testing.T) {
	ts := newTestServer(t, func(c *oauth.Config) { c.Issuer += "/auth" })
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantType   string
	}{
		{"stylesheet", "/auth/static/style.css", http.StatusOK, "text/css"},
		{"unknown path", "/auth/nowhere", http.StatusNotFound, "text/plain"},
		{"endpoint outside the issuer path", "/jwks", http.StatusNotFound, "text/plain"},
		{"endpoint inside the issuer path", "/auth/jwks", http.StatusOK, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+tc.path, nil)
			r := ts.do(nil, req)
			if r.StatusCode != tc.wantStatus || !strings.HasPrefix(r.Header.Get("Content-Type"), tc.wantType) {
				t.Errorf("GET %s = %d %s, want %d %s", tc.path, r.StatusCode, r.Header.Get("Content-Type"), tc.wantStatus, tc.wantType)
			}
			if r.Header.Get("X-Request-Id") == "" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers = %v, want X-Request-Id and nosniff", r.Header)
			}
		})
	}
}

func TestPanicBecomesServerError(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	ts.store.panicNow()
	r := ts.postForm("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {client}}, "")
	if r.StatusCode != http.StatusInternalServerError || r.errorCode(t) != oauth.ServerError || strings.Contains(r.body, "exploded") {
		t.Errorf("POST /token = %d %s, want a bare 500 server_error", r.StatusCode, r.body)
	}
	if r := ts.get("/jwks"); r.StatusCode != http.StatusOK {
		t.Errorf("server unusable after a panic: GET /jwks = %d", r.StatusCode)
	}
}
