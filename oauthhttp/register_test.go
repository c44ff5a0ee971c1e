package oauthhttp_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

const nativeMetadata = `{"client_name":"Chat App","application_type":"native",
	"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none",
	"grant_types":["authorization_code","refresh_token"]}`

func TestRegister(t *testing.T) {
	tests := []struct {
		name        string
		closed      bool // registration needs an initial access token
		contentType string
		auth        string
		body        string
		wantStatus  int
		wantError   string
		wantBearer  bool // WWW-Authenticate: Bearer
	}{
		{name: "public native client", contentType: "application/json", body: nativeMetadata, wantStatus: http.StatusCreated},
		{name: "charset parameter allowed", contentType: "application/json; charset=utf-8", body: nativeMetadata, wantStatus: http.StatusCreated},
		{name: "confidential client", contentType: "application/json", body: `{"client_name":"Backend","grant_types":["client_credentials"]}`, wantStatus: http.StatusCreated},
		{name: "unknown members ignored", contentType: "application/json", body: `{"client_name":"X","grant_types":["client_credentials"],"jwks_uri":"https://x","software_statement":"e30"}`, wantStatus: http.StatusCreated},
		{name: "form body", contentType: formType, body: "client_name=x", wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "no content type", body: nativeMetadata, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "malformed JSON", contentType: "application/json", body: `{"client_name":`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "array body", contentType: "application/json", body: `[1,2]`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "trailing data", contentType: "application/json", body: `{} {}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "wrong member type", contentType: "application/json", body: `{"client_name":"x","redirect_uris":"http://127.0.0.1/cb"}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "member names are case-sensitive", contentType: "application/json", body: `{"CLIENT_NAME":"x","grant_types":["client_credentials"]}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "missing name", contentType: "application/json", body: `{"grant_types":["client_credentials"]}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "bad redirect URI", contentType: "application/json", body: `{"client_name":"x","application_type":"native","redirect_uris":["javascript:alert(1)"]}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRedirectURI},
		{name: "body too large", contentType: "application/json", body: `{"client_name":"` + strings.Repeat("a", 70<<10) + `"}`, wantStatus: http.StatusRequestEntityTooLarge, wantError: oauth.InvalidRequest},
		{name: "closed without token", closed: true, contentType: "application/json", body: nativeMetadata, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken, wantBearer: true},
		{name: "closed with wrong token", closed: true, contentType: "application/json", auth: "Bearer nope", body: nativeMetadata, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken, wantBearer: true},
		{name: "closed with Basic", closed: true, contentType: "application/json", auth: basic("a", "b"), body: nativeMetadata, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken, wantBearer: true},
		{name: "closed with initial access token", closed: true, contentType: "application/json", auth: "Bearer let-me-in", body: nativeMetadata, wantStatus: http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *oauth.Config) {
				if tc.closed {
					c.OpenRegistration = false
					c.InitialAccessTokens = []string{"let-me-in"}
				}
			})
			req := ts.newRequest(http.MethodPost, "/register", tc.contentType, tc.body)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			r := ts.do(nil, req)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("POST /register = %d %s, want %d", r.StatusCode, r.body, tc.wantStatus)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tc.wantError != "" {
				if got := r.errorCode(t); got != tc.wantError {
					t.Errorf("error = %q, want %q", got, tc.wantError)
				}
			}
			if got := r.Header.Get("WWW-Authenticate"); strings.HasPrefix(got, `Bearer realm="Test Site", error="invalid_token"`) != tc.wantBearer {
				t.Errorf("WWW-Authenticate = %q, want Bearer challenge: %v", got, tc.wantBearer)
			}
			if tc.wantStatus != http.StatusCreated {
				return
			}
			m := r.json(t)
			id, _ := m["client_id"].(string)
			if id == "" || m["registration_access_token"] == "" || m["client_id_issued_at"] == nil {
				t.Errorf("response lacks client_id, registration_access_token or client_id_issued_at: %v", m)
			}
			if got, want := m["registration_client_uri"], ts.issuer+"/register/"+id; got != want {
				t.Errorf("registration_client_uri = %v, want %s", got, want)
			}
			if m["token_endpoint_auth_method"] == oauth.AuthNone {
				if _, ok := m["client_secret"]; ok {
					t.Errorf("public client got a secret: %v", m)
				}
			} else if m["client_secret"] == "" || m["client_secret_expires_at"] != float64(0) {
				t.Errorf("confidential client lacks client_secret or client_secret_expires_at=0: %v", m)
			}
			if m["client_name"] == nil || m["grant_types"] == nil {
				t.Errorf("metadata not echoed: %v", m)
			}
		})
	}
}

func TestRegistrationManagement(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.do(nil, ts.newRequest(http.MethodPost, "/register", "application/json", nativeMetadata))
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("register = %d %s", r.StatusCode, r.body)
	}
	m := r.json(t)
	id, token := m["client_id"].(string), m["registration_access_token"].(string)
	path := "/register/" + id

	send := func(method, auth, body string) response {
		t.Helper()
		ct := ""
		if body != "" {
			ct = "application/json"
		}
		req := ts.newRequest(method, path, ct, body)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return ts.do(nil, req)
	}

	steps := []struct {
		name       string
		method     string
		auth       string
		body       string
		wantStatus int
		wantError  string
		check      func(t *testing.T, m map[string]any)
	}{
		{name: "read without token", method: http.MethodGet, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken},
		{name: "read with wrong token", method: http.MethodGet, auth: "Bearer wrong", wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken},
		{name: "read", method: http.MethodGet, auth: "Bearer " + token, wantStatus: http.StatusOK, check: func(t *testing.T, m map[string]any) {
			if m["client_id"] != id || m["client_name"] != "Chat App" || m["registration_access_token"] != token {
				t.Errorf("read = %v", m)
			}
		}},
		{name: "update with another client_id", method: http.MethodPut, auth: "Bearer " + token,
			body:       `{"client_id":"other","client_name":"Renamed","application_type":"native","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`,
			wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "update with bad metadata", method: http.MethodPut, auth: "Bearer " + token, body: `{"client_id":"` + id + `"}`,
			wantStatus: http.StatusBadRequest, wantError: oauth.InvalidClientMetadata},
		{name: "update", method: http.MethodPut, auth: "Bearer " + token,
			body:       `{"client_id":"` + id + `","client_name":"Renamed","application_type":"native","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`,
			wantStatus: http.StatusOK, check: func(t *testing.T, m map[string]any) {
				if m["client_name"] != "Renamed" {
					t.Errorf("client_name = %v after update", m["client_name"])
				}
			}},
		{name: "delete with wrong token", method: http.MethodDelete, auth: "Bearer wrong", wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken},
		{name: "delete", method: http.MethodDelete, auth: "Bearer " + token, wantStatus: http.StatusNoContent},
		{name: "read after delete", method: http.MethodGet, auth: "Bearer " + token, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := send(s.method, s.auth, s.body)
			if r.StatusCode != s.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", s.method, path, r.StatusCode, r.body, s.wantStatus)
			}
			if s.wantError != "" {
				if got := r.errorCode(t); got != s.wantError {
					t.Errorf("error = %q, want %q", got, s.wantError)
				}
				if r.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer ") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
				}
			}
			if s.check != nil {
				s.check(t, r.json(t))
			}
		})
	}
}
