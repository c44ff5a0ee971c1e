package oauthhttp_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestRevoke(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	other := ts.nativeClient().Client.ID
	tok := ts.deviceTokens(public, "openid xmpp")
	access := tok["access_token"].(string)

	tests := []struct {
		name       string
		auth       string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{name: "missing token", form: url.Values{"client_id": {public}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "no client", form: url.Values{"token": {access}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "unknown token", form: url.Values{"client_id": {public}, "token": {"nope"}}, wantStatus: http.StatusOK},
		{name: "unknown hint ignored", form: url.Values{"client_id": {public}, "token": {"nope"}, "token_type_hint": {"id_token"}}, wantStatus: http.StatusOK},
		{name: "another client's token", form: url.Values{"client_id": {other}, "token": {access}}, wantStatus: http.StatusBadRequest, wantError: oauth.UnauthorizedClient},
		{name: "repeated token", form: url.Values{"client_id": {public}, "token": {access, access}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "access token", form: url.Values{"client_id": {public}, "token": {access}, "token_type_hint": {"access_token"}}, wantStatus: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm("/revoke", tc.form, tc.auth)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("POST /revoke = %d %s, want %d", r.StatusCode, r.body, tc.wantStatus)
			}
			if tc.wantError != "" {
				if got := r.errorCode(t); got != tc.wantError {
					t.Errorf("error = %q, want %q", got, tc.wantError)
				}
			} else if r.body != "" {
				t.Errorf("body = %q, want empty", r.body)
			}
		})
	}
	if _, err := ts.p.ValidateAccessToken(t.Context(), access); err == nil {
		t.Errorf("access token still valid after revocation")
	}
}

func TestIntrospect(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	conf := ts.confidentialClient()
	tok := ts.deviceTokens(public, "openid xmpp")
	access := tok["access_token"].(string)
	confTok := ts.postForm("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"xmpp:account:read"}}, basic(conf.Client.ID, conf.Secret.Reveal())).json(t)

	tests := []struct {
		name       string
		auth       string
		form       url.Values
		wantStatus int
		wantError  string
		wantActive bool
	}{
		{name: "no credentials", form: url.Values{"token": {access}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "public client", form: url.Values{"token": {access}, "client_id": {public}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "wrong resource server secret", auth: basic("api", "nope"), form: url.Values{"token": {access}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "missing token", auth: basic("api", "api-secret"), wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "resource server, live token", auth: basic("api", "api-secret"), form: url.Values{"token": {access}}, wantStatus: http.StatusOK, wantActive: true},
		{name: "resource server, client_secret_post", form: url.Values{"token": {access}, "client_id": {"api"}, "client_secret": {"api-secret"}}, wantStatus: http.StatusOK, wantActive: true},
		{name: "resource server, unknown token", auth: basic("api", "api-secret"), form: url.Values{"token": {"nope"}}, wantStatus: http.StatusOK},
		{name: "confidential client, own token", auth: basic(conf.Client.ID, conf.Secret.Reveal()), form: url.Values{"token": {confTok["access_token"].(string)}}, wantStatus: http.StatusOK, wantActive: true},
		{name: "confidential client, another's token", auth: basic(conf.Client.ID, conf.Secret.Reveal()), form: url.Values{"token": {access}}, wantStatus: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm("/introspect", tc.form, tc.auth)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("POST /introspect = %d %s, want %d", r.StatusCode, r.body, tc.wantStatus)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tc.wantError != "" {
				if got := r.errorCode(t); got != tc.wantError {
					t.Errorf("error = %q, want %q", got, tc.wantError)
				}
				if got := r.Header.Get("WWW-Authenticate"); tc.wantStatus == http.StatusUnauthorized && !strings.HasPrefix(got, "Basic ") {
					t.Errorf("WWW-Authenticate = %q, want a Basic challenge", got)
				}
				return
			}
			m := r.json(t)
			if m["active"] != tc.wantActive {
				t.Errorf("active = %v, want %v (%v)", m["active"], tc.wantActive, m)
			}
			if tc.wantActive && (m["scope"] == "" || m["client_id"] == "" || m["exp"] == nil) {
				t.Errorf("active response lacks scope, client_id or exp: %v", m)
			}
			if !tc.wantActive && len(m) != 1 {
				t.Errorf("inactive response says more than active=false: %v", m)
			}
		})
	}
}

func TestUserInfo(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	withOpenID := ts.deviceTokens(public, "openid profile xmpp")["access_token"].(string)
	withoutOpenID := ts.deviceTokens(public, "xmpp")["access_token"].(string)

	tests := []struct {
		name          string
		method        string
		auth          string
		contentType   string
		body          string
		wantStatus    int
		wantChallenge string
	}{
		{name: "header, GET", method: http.MethodGet, auth: "Bearer " + withOpenID, wantStatus: http.StatusOK},
		{name: "header, POST", method: http.MethodPost, auth: "Bearer " + withOpenID, wantStatus: http.StatusOK},
		{name: "form body", method: http.MethodPost, contentType: formType, body: "access_token=" + withOpenID, wantStatus: http.StatusOK},
		{name: "no token", method: http.MethodGet, wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer realm="Test Site"`},
		{name: "query is not accepted", method: http.MethodGet, body: "", wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer realm="Test Site"`},
		{name: "bad token", method: http.MethodGet, auth: "Bearer nope", wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer realm="Test Site", error="invalid_token"`},
		{name: "Basic instead of Bearer", method: http.MethodGet, auth: basic("a", "b"), wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer realm="Test Site", error="invalid_token"`},
		{name: "token twice", method: http.MethodPost, auth: "Bearer " + withOpenID, contentType: formType, body: "access_token=" + withOpenID, wantStatus: http.StatusBadRequest},
		{name: "no openid scope", method: http.MethodGet, auth: "Bearer " + withoutOpenID, wantStatus: http.StatusForbidden, wantChallenge: `Bearer realm="Test Site", error="insufficient_scope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "/userinfo"
			if strings.HasPrefix(tc.name, "query") {
				path += "?access_token=" + withOpenID
			}
			req := ts.newRequest(tc.method, path, tc.contentType, tc.body)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			r := ts.do(nil, req)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("%s /userinfo = %d %s, want %d", tc.method, r.StatusCode, r.body, tc.wantStatus)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, tc.wantChallenge) || (tc.wantChallenge == "") != (got == "") {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			m := r.json(t)
			if m["sub"] != alice || m["jid"] != alice || m["preferred_username"] != "alice" || m["name"] != "alice" {
				t.Errorf("claims = %v", m)
			}
		})
	}

	t.Run("CORS preflight", func(t *testing.T) {
		req := ts.newRequest(http.MethodOptions, "/userinfo", "", "")
		req.Header.Set("Origin", "https://spa.example")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		r := ts.do(nil, req)
		if r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight = %d %v", r.StatusCode, r.Header)
		}
	})
}
