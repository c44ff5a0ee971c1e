package oauthhttp_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

func TestParseTokenRequest(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		contentType string
		auth        string
		body        string
		wantCred    oauth.ClientCredentials
		wantReq     oauth.TokenRequest
		wantError   string
	}{
		{
			name: "public client in the body", body: "grant_type=authorization_code&code=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_verifier=v&client_id=app",
			wantCred: oauth.ClientCredentials{ID: "app", Method: oauth.AuthNone},
			wantReq:  oauth.TokenRequest{GrantType: "authorization_code", Code: "c", RedirectURI: "http://127.0.0.1/cb", CodeVerifier: "v"},
		},
		{
			name: "client_secret_post", body: "grant_type=refresh_token&refresh_token=r&client_id=app&client_secret=s&scope=openid",
			wantCred: oauth.ClientCredentials{ID: "app", Secret: "s", Method: oauth.AuthClientSecretPost},
			wantReq:  oauth.TokenRequest{GrantType: "refresh_token", RefreshToken: "r", Scope: "openid"},
		},
		{
			name: "client_secret_basic is form-urlencoded (RFC 6749 §2.3.1)", auth: basic("a:b c", "p+q%&"), body: "grant_type=client_credentials",
			wantCred: oauth.ClientCredentials{ID: "a:b c", Secret: "p+q%&", Method: oauth.AuthClientSecretBasic},
			wantReq:  oauth.TokenRequest{GrantType: "client_credentials"},
		},
		{
			name: "Basic with '+' for space", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("my+app:s+s")), body: "grant_type=client_credentials",
			wantCred: oauth.ClientCredentials{ID: "my app", Secret: "s s", Method: oauth.AuthClientSecretBasic},
			wantReq:  oauth.TokenRequest{GrantType: "client_credentials"},
		},
		{
			name: "Basic scheme is case-insensitive", auth: "basic " + base64.StdEncoding.EncodeToString([]byte("app:s")), body: "grant_type=client_credentials&client_id=app",
			wantCred: oauth.ClientCredentials{ID: "app", Secret: "s", Method: oauth.AuthClientSecretBasic},
			wantReq:  oauth.TokenRequest{GrantType: "client_credentials"},
		},
		{
			name: "Basic with empty password is a public client", auth: basic("app", ""), body: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=d",
			wantCred: oauth.ClientCredentials{ID: "app", Method: oauth.AuthNone},
			wantReq:  oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: "d"},
		},
		{
			name: "query parameters are ignored", body: "grant_type=refresh_token&refresh_token=r&client_id=app",
			wantCred: oauth.ClientCredentials{ID: "app", Method: oauth.AuthNone},
			wantReq:  oauth.TokenRequest{GrantType: "refresh_token", RefreshToken: "r"},
		},
		{name: "GET", method: http.MethodGet, body: "grant_type=refresh_token", wantError: oauth.InvalidRequest},
		{name: "JSON body", contentType: "application/json", body: `{"grant_type":"refresh_token"}`, wantError: oauth.InvalidRequest},
		{name: "no content type", contentType: "-", body: "grant_type=refresh_token", wantError: oauth.InvalidRequest},
		{name: "repeated parameter", body: "grant_type=refresh_token&refresh_token=a&refresh_token=b", wantError: oauth.InvalidRequest},
		{name: "repeated client_id", body: "grant_type=refresh_token&client_id=a&client_id=a", wantError: oauth.InvalidRequest},
		{name: "bad form encoding", body: "grant_type=%zz", wantError: oauth.InvalidRequest},
		{name: "missing grant_type", body: "code=x&client_id=app", wantError: oauth.InvalidRequest},
		{name: "secret in header and body", auth: basic("app", "s"), body: "grant_type=client_credentials&client_secret=s", wantError: oauth.InvalidRequest},
		{name: "different client_id in header and body", auth: basic("app", "s"), body: "grant_type=client_credentials&client_id=other", wantError: oauth.InvalidRequest},
		{name: "secret without client_id", body: "grant_type=client_credentials&client_secret=s", wantError: oauth.InvalidRequest},
		{name: "malformed Basic", auth: "Basic !!!", body: "grant_type=client_credentials", wantError: oauth.InvalidClient},
		{name: "Basic without colon", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("app")), body: "grant_type=client_credentials", wantError: oauth.InvalidClient},
		{name: "Basic with bad escape", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("a%zz:s")), body: "grant_type=client_credentials", wantError: oauth.InvalidClient},
		{name: "Bearer instead of Basic", auth: "Bearer abc", body: "grant_type=client_credentials", wantError: oauth.InvalidClient},
		{name: "body too large", body: "grant_type=refresh_token&refresh_token=" + strings.Repeat("a", 70<<10), wantError: oauth.InvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			target := "/token"
			if strings.HasPrefix(tc.name, "query parameters") {
				target += "?client_secret=leaked&grant_type=client_credentials"
			}
			req := httptest.NewRequest(method, target, strings.NewReader(tc.body))
			switch tc.contentType {
			case "":
				req.Header.Set("Content-Type", formType)
			case "-":
			default:
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			cred, treq, err := oauthhttp.ParseTokenRequest(req)
			if tc.wantError != "" {
				e, ok := oauth.AsError(err)
				if !ok || e.Code != tc.wantError {
					t.Fatalf("ParseTokenRequest() error = %v, want %s", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTokenRequest() error = %v", err)
			}
			if cred != tc.wantCred {
				t.Errorf("credentials = %+v, want %+v", cred, tc.wantCred)
			}
			if treq != tc.wantReq {
				t.Errorf("request = %+v, want %+v", treq, tc.wantReq)
			}
		})
	}
}

func TestTokenEndpoint(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	conf := ts.confidentialClient()
	confID, confSecret := conf.Client.ID, conf.Secret.Reveal()

	tests := []struct {
		name        string
		method      string
		contentType string
		auth        string
		form        url.Values
		wantStatus  int
		wantError   string
		wantBasic   bool // WWW-Authenticate: Basic
	}{
		{name: "client_credentials with Basic", auth: basic(confID, confSecret), form: url.Values{"grant_type": {"client_credentials"}, "scope": {"xmpp:account:read"}}, wantStatus: http.StatusOK},
		{name: "GET", method: http.MethodGet, wantStatus: http.StatusMethodNotAllowed, wantError: oauth.InvalidRequest},
		{name: "JSON", contentType: "application/json", wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "wrong secret", auth: basic(confID, "nope"), form: url.Values{"grant_type": {"client_credentials"}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient, wantBasic: true},
		{name: "unknown client in the body", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"x"}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient, wantBasic: true},
		{name: "no client at all", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient, wantBasic: true},
		{name: "secret in header and body", auth: basic(confID, confSecret), form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {confSecret}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "unsupported grant type", form: url.Values{"grant_type": {"password"}, "client_id": {public}}, wantStatus: http.StatusBadRequest, wantError: oauth.UnsupportedGrantType},
		{name: "missing grant_type", form: url.Values{"client_id": {public}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "unknown code", form: url.Values{"grant_type": {"authorization_code"}, "client_id": {public}, "code": {"x"}, "code_verifier": {strings.Repeat("v", 43)}, "redirect_uri": {"http://127.0.0.1/callback"}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidGrant},
		{name: "unknown refresh token", form: url.Values{"grant_type": {"refresh_token"}, "client_id": {public}, "refresh_token": {"x"}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidGrant},
		{name: "grant the client is not registered for", auth: basic(confID, confSecret), form: url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, wantStatus: http.StatusBadRequest, wantError: oauth.UnauthorizedClient},
		{name: "bad scope", auth: basic(confID, confSecret), form: url.Values{"grant_type": {"client_credentials"}, "scope": {"nonsense"}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, ct := tc.method, tc.contentType
			if method == "" {
				method = http.MethodPost
			}
			if ct == "" {
				ct = formType
			}
			req := ts.newRequest(method, "/token", ct, tc.form.Encode())
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			r := ts.do(nil, req)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("%s /token = %d %s, want %d", method, r.StatusCode, r.body, tc.wantStatus)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if got := r.Header.Get("Pragma"); got != "no-cache" {
				t.Errorf("Pragma = %q, want no-cache", got)
			}
			if got := r.Header.Get("WWW-Authenticate"); (got == `Basic realm="Test Site"`) != tc.wantBasic {
				t.Errorf("WWW-Authenticate = %q, want Basic challenge: %v", got, tc.wantBasic)
			}
			if tc.wantError != "" {
				if got := r.errorCode(t); got != tc.wantError {
					t.Errorf("error = %q, want %q", got, tc.wantError)
				}
				return
			}
			m := r.json(t)
			if m["access_token"] == "" || m["token_type"] != "Bearer" {
				t.Errorf("token response = %v", m)
			}
		})
	}
}

// TestServerErrorHidesDetails shows that a store fault becomes a bare
// server_error: the client never sees internal text.
func TestServerErrorHidesDetails(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	ts.store.breakIt()
	r := ts.postForm("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {public}}, "")
	if r.StatusCode != http.StatusInternalServerError {
		t.Fatalf("POST /token = %d %s, want 500", r.StatusCode, r.body)
	}
	if got := r.errorCode(t); got != oauth.ServerError {
		t.Errorf("error = %q, want server_error", got)
	}
	if strings.Contains(r.body, "disk") || strings.Contains(r.body, "secret-path") {
		t.Errorf("body leaks the internal error: %s", r.body)
	}
	page := ts.get("/authorize?client_id=" + url.QueryEscape(public))
	if page.StatusCode != http.StatusInternalServerError || strings.Contains(page.body, "disk") {
		t.Errorf("GET /authorize = %d %s, want a 500 page without details", page.StatusCode, page.body)
	}
	checkPageHeaders(t, page)
}
