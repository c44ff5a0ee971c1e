package oauthhttp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

const ejabberdSecret = "0123456789abcdef-shared"

// ejabberdServer serves oauthhttp.EjabberdHandler for ts's provider, with
// tokens of the xmpp scope also mapped to ejabberd:user.
func ejabberdServer(t *testing.T, ts *testServer) *httptest.Server {
	t.Helper()
	h := oauthhttp.EjabberdHandler(ts.p, oauthhttp.EjabberdOptions{
		Secret: ejabberdSecret,
		Scopes: map[string][]string{oauth.ScopeXMPP: {"ejabberd:user"}},
		Logger: ts.p.Config().Logger,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// ejabberdRequest is a request shaped as ejabberd 23.01's rest module sends
// it: rest:request/6 adds Accept, User-Agent and the ext_api_headers, which
// custom_headers/1 splits at the colon without trimming, so the value
// starts with a space.
func ejabberdRequest(t *testing.T, method, url, contentType, body string, secret *string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ejabberd")
	if secret != nil {
		req.Header.Set(oauthhttp.DefaultEjabberdHeader, " "+*secret)
	}
	return req
}

// lookupBody is the JSON of ejabberd_oauth_rest:lookup/1's request.
func lookupBody(token string) string {
	b, _ := json.Marshal(map[string]string{"token": token})
	return string(b)
}

func TestEjabberdLookup(t *testing.T) {
	ts := newTestServer(t, nil)
	ej := ejabberdServer(t, ts)
	issued := ts.clock.Now()
	xmpp := ts.deviceTokens(ts.nativeClient().Client.ID, "openid xmpp")
	client := ts.deviceTokens(ts.nativeClient().Client.ID, oauth.ScopeXMPPClient)
	openid := ts.deviceTokens(ts.nativeClient().Client.ID, "openid profile")
	conf := ts.confidentialClient()
	cc := ts.postForm("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"xmpp"}}, basic(conf.Client.ID, conf.Secret.Reveal())).json(t)
	if cc["access_token"] == nil {
		t.Fatalf("client_credentials token response = %v", cc)
	}
	wantExpire := float64(issued.Add(10 * time.Minute).Unix())

	secret, wrong := ejabberdSecret, "0123456789abcdef-wrong!"
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		secret      *string
		wantStatus  int
		wantError   string
		wantScope   []string
	}{
		{name: "xmpp token", body: lookupBody(xmpp["access_token"].(string)), wantStatus: http.StatusOK,
			wantScope: []string{oauthhttp.EjabberdSASLScope, "ejabberd:user"}},
		{name: "XEP-0493 client token", body: lookupBody(client["access_token"].(string)), wantStatus: http.StatusOK,
			wantScope: []string{oauthhttp.EjabberdSASLScope}},
		{name: "sign-in token does not log in", body: lookupBody(openid["access_token"].(string)), wantStatus: http.StatusNotFound, wantError: oauth.InvalidToken},
		{name: "refresh token is no access token", body: lookupBody(xmpp["refresh_token"].(string)), wantStatus: http.StatusNotFound, wantError: oauth.InvalidToken},
		{name: "client_credentials token has no user", body: lookupBody(cc["access_token"].(string)), wantStatus: http.StatusNotFound, wantError: oauth.InvalidToken},
		{name: "unknown token", body: lookupBody("no-such-token"), wantStatus: http.StatusNotFound, wantError: oauth.InvalidToken},
		{name: "empty token", body: lookupBody(""), wantStatus: http.StatusNotFound, wantError: oauth.InvalidToken},
		{name: "no secret", body: lookupBody(xmpp["access_token"].(string)), secret: new(string), wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "wrong secret", body: lookupBody(xmpp["access_token"].(string)), secret: &wrong, wantStatus: http.StatusForbidden, wantError: oauth.AccessDenied},
		{name: "no secret, unknown path", path: "/nothing", secret: new(string), wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "form body", contentType: formType, body: "token=x", wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "not JSON", body: "token", wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "token missing", body: `{"tok":"x"}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "token not a string", body: `{"token":1}`, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
		{name: "GET", method: http.MethodGet, wantStatus: http.StatusMethodNotAllowed, wantError: oauth.InvalidRequest},
		{name: "unknown path", path: "/oauth/revoke", body: lookupBody("x"), wantStatus: http.StatusNotFound, wantError: oauth.InvalidRequest},
		{name: "lookup_client", path: "/oauth/lookup_client", body: `{"client_id":"x"}`, wantStatus: http.StatusNotFound, wantError: oauth.InvalidClient},
		{name: "store", path: "/oauth/store", body: `{"token":"t","user":"alice@example.test","scope":["sasl_auth"],"expire":1}`, wantStatus: http.StatusForbidden, wantError: oauth.AccessDenied},
		{name: "store_client", path: "/oauth/store_client", body: `{"client_id":"c","client_name":"n","grant_type":"password","options":"g2o="}`, wantStatus: http.StatusForbidden, wantError: oauth.AccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, path, ct, sec := http.MethodPost, "/oauth/lookup", "application/json", &secret
			if tc.method != "" {
				method = tc.method
			}
			if tc.path != "" {
				path = tc.path
			}
			if tc.contentType != "" {
				ct = tc.contentType
			}
			if tc.secret != nil {
				sec = tc.secret
				if *sec == "" {
					sec = nil
				}
			}
			r := ts.do(nil, ejabberdRequest(t, method, ej.URL+path, ct, tc.body, sec))
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", method, path, r.StatusCode, r.body, tc.wantStatus)
			}
			// ejabberd's rest module JSON-decodes every answer; an
			// undecodable one counts as a backend fault.
			body := r.json(t)
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tc.wantError != "" {
				if got := r.errorCode(t); got != tc.wantError {
					t.Errorf("error = %q, want %q", got, tc.wantError)
				}
				if tc.wantStatus == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				return
			}
			if body["user"] != alice {
				t.Errorf("user = %v, want %s", body["user"], alice)
			}
			if body["expire"] != wantExpire {
				t.Errorf("expire = %v, want %v (absolute seconds)", body["expire"], wantExpire)
			}
			var scope []string
			for _, s := range body["scope"].([]any) {
				scope = append(scope, s.(string))
			}
			if !slices.Equal(scope, tc.wantScope) {
				t.Errorf("scope = %q, want %q", scope, tc.wantScope)
			}
		})
	}
}

// TestEjabberdLookupLifecycle shows that a token stops working for ejabberd
// when it expires or when the user revokes the app.
func TestEjabberdLookupLifecycle(t *testing.T) {
	ts := newTestServer(t, nil)
	ej := ejabberdServer(t, ts)
	secret := ejabberdSecret
	lookup := func(token string) int {
		t.Helper()
		return ts.do(nil, ejabberdRequest(t, http.MethodPost, ej.URL+"/oauth/lookup", "application/json", lookupBody(token), &secret)).StatusCode
	}

	revoked := ts.deviceTokens(ts.nativeClient().Client.ID, "xmpp")["access_token"].(string)
	expiring := ts.deviceTokens(ts.nativeClient().Client.ID, "xmpp")["access_token"].(string)
	for _, tok := range []string{revoked, expiring} {
		if got := lookup(tok); got != http.StatusOK {
			t.Fatalf("lookup of a fresh token = %d, want 200", got)
		}
	}

	tok, err := ts.p.ValidateAccessToken(t.Context(), revoked)
	if err != nil {
		t.Fatalf("ValidateAccessToken: %v", err)
	}
	if err := ts.p.RevokeGrants(t.Context(), alice, tok.GrantID); err != nil {
		t.Fatalf("RevokeGrants: %v", err)
	}
	if got := lookup(revoked); got != http.StatusNotFound {
		t.Errorf("lookup after revocation = %d, want 404", got)
	}
	if got := lookup(expiring); got != http.StatusOK {
		t.Errorf("lookup of another app's token after revocation = %d, want 200", got)
	}
	ts.clock.Advance(10*time.Minute + time.Second)
	if got := lookup(expiring); got != http.StatusNotFound {
		t.Errorf("lookup after expiry = %d, want 404", got)
	}
}

func TestEjabberdHandlerUnderPrefix(t *testing.T) {
	ts := newTestServer(t, nil)
	tok := ts.deviceTokens(ts.nativeClient().Client.ID, "xmpp")["access_token"].(string)
	h := oauthhttp.EjabberdHandler(ts.p, oauthhttp.EjabberdOptions{Header: "X-Ejabberd", Secret: ejabberdSecret})
	srv := httptest.NewServer(http.StripPrefix("/ejabberd", h))
	t.Cleanup(srv.Close)

	req := ejabberdRequest(t, http.MethodPost, srv.URL+"/ejabberd/oauth/lookup", "application/json", lookupBody(tok), nil)
	req.Header.Set("X-Ejabberd", ejabberdSecret)
	if r := ts.do(nil, req); r.StatusCode != http.StatusOK {
		t.Fatalf("lookup under /ejabberd = %d %s, want 200", r.StatusCode, r.body)
	}
	secret := ejabberdSecret
	req = ejabberdRequest(t, http.MethodPost, srv.URL+"/ejabberd/oauth/lookup", "application/json", lookupBody(tok), &secret)
	if r := ts.do(nil, req); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("secret in the default header when another is configured = %d, want 401", r.StatusCode)
	}
}

func TestEjabberdOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    oauthhttp.EjabberdOptions
		wantErr string
	}{
		{name: "secret only", opts: oauthhttp.EjabberdOptions{Secret: ejabberdSecret}},
		{name: "full", opts: oauthhttp.EjabberdOptions{Header: "X-Secret", Secret: ejabberdSecret,
			Scopes: map[string][]string{"xmpp": {"ejabberd:user", "ejabberd:admin"}, "xmpp:account:read": {"read.only"}}}},
		{name: "no secret", opts: oauthhttp.EjabberdOptions{}, wantErr: "secret is required"},
		{name: "short secret", opts: oauthhttp.EjabberdOptions{Secret: "short"}, wantErr: "at least 16"},
		{name: "comma in secret", opts: oauthhttp.EjabberdOptions{Secret: "0123456789abcdef,"}, wantErr: "without spaces or commas"},
		{name: "space in secret", opts: oauthhttp.EjabberdOptions{Secret: "0123456789 abcdef"}, wantErr: "without spaces or commas"},
		{name: "bad header", opts: oauthhttp.EjabberdOptions{Header: "X Secret:", Secret: ejabberdSecret}, wantErr: "not a valid HTTP header name"},
		{name: "wildcard scope", opts: oauthhttp.EjabberdOptions{Secret: ejabberdSecret, Scopes: map[string][]string{"xmpp": {"ejabberd.*"}}}, wantErr: "without '*'"},
		{name: "empty mapping", opts: oauthhttp.EjabberdOptions{Secret: ejabberdSecret, Scopes: map[string][]string{"xmpp": nil}}, wantErr: "maps to no ejabberd scope"},
		{name: "bad scope name", opts: oauthhttp.EjabberdOptions{Secret: ejabberdSecret, Scopes: map[string][]string{"a b": {"c"}}}, wantErr: "not a valid scope token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestEjabberdHandlerPanicsOnInvalidOptions(t *testing.T) {
	ts := newTestServer(t, nil)
	defer func() {
		if recover() == nil {
			t.Errorf("EjabberdHandler without a secret did not panic")
		}
	}()
	oauthhttp.EjabberdHandler(ts.p, oauthhttp.EjabberdOptions{})
}

// prosodyValidate sends the request that Prosody's mod_auth_oauth_external
// sends to oauth_external_validation_endpoint (profile:oauthbearer in
// prosody-modules): net.http's request with only these headers and no body,
// hence GET. It returns the status and the body as util.json.decode sees
// it (nil when not a JSON object).
func prosodyValidate(t *testing.T, client *http.Client, endpoint, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		m = nil
	}
	return resp.StatusCode, m
}

// prosodyUsername is how mod_auth_oauth_external reads the answer: a 2xx
// status and a string in the username field, else a failed login.
func prosodyUsername(status int, resp map[string]any, field string) (string, bool) {
	if status < 200 || status >= 300 {
		return "", false
	}
	name, ok := resp[field].(string)
	return name, ok
}

// TestUserInfoProsodyContract checks the UserInfo endpoint against the
// contract of mod_auth_oauth_external with its default
// oauth_external_username_field, preferred_username: it answers with the
// localpart for a token with the openid scope. (Any openid token passes
// there, which is why docs/prosody.md points Prosody at XMPPLoginHandler.)
func TestUserInfoProsodyContract(t *testing.T) {
	ts := newTestServer(t, nil)
	withOpenID := ts.deviceTokens(ts.nativeClient().Client.ID, "openid xmpp")["access_token"].(string)
	withoutOpenID := ts.deviceTokens(ts.nativeClient().Client.ID, "xmpp")["access_token"].(string)

	tests := []struct {
		name      string
		token     string
		wantLogin bool
	}{
		{name: "openid and xmpp", token: withOpenID, wantLogin: true},
		{name: "no openid scope", token: withoutOpenID},
		{name: "unknown token", token: "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := prosodyValidate(t, ts.Client(), ts.issuer+"/userinfo", tc.token)
			name, ok := prosodyUsername(status, resp, "preferred_username")
			if ok != tc.wantLogin {
				t.Fatalf("login = %v (status %d, body %v), want %v", ok, status, resp, tc.wantLogin)
			}
			if ok && name != "alice" {
				t.Errorf("preferred_username = %q, want alice (the localpart)", name)
			}
			if !ok && resp == nil {
				t.Errorf("refusal %d has no JSON body for Prosody to relay", status)
			}
		})
	}
}

// TestXMPPLoginProsodyContract checks XMPPLoginHandler, the validation
// endpoint docs/prosody.md configures, against mod_auth_oauth_external: only
// tokens with a login scope log in, and refusals carry the RFC 7628 status
// and scope that Prosody relays to the client.
func TestXMPPLoginProsodyContract(t *testing.T) {
	ts := newTestServer(t, nil)
	srv := httptest.NewServer(oauthhttp.XMPPLoginHandler(ts.p, oauthhttp.XMPPLoginOptions{Realm: "Test Site"}))
	t.Cleanup(srv.Close)
	xmpp := ts.deviceTokens(ts.nativeClient().Client.ID, "xmpp")["access_token"].(string)
	client := ts.deviceTokens(ts.nativeClient().Client.ID, "openid xmpp:client:normal")["access_token"].(string)
	openid := ts.deviceTokens(ts.nativeClient().Client.ID, "openid profile")["access_token"].(string)
	conf := ts.confidentialClient()
	cc := ts.postForm("/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"xmpp"}}, basic(conf.Client.ID, conf.Secret.Reveal())).json(t)["access_token"].(string)
	// What Prosody 13 relays to the client as openid-configuration.
	discovery := ts.issuer + "/.well-known/openid-configuration"

	tests := []struct {
		name       string
		token      string
		domain     string
		wantStatus int
		wantError  string
	}{
		{name: "xmpp without openid", token: xmpp, domain: userDomain, wantStatus: http.StatusOK},
		{name: "domain in upper case", token: xmpp, domain: "Example.TEST", wantStatus: http.StatusOK},
		{name: "XEP-0493 client scope", token: client, domain: userDomain, wantStatus: http.StatusOK},
		{name: "sign-in token", token: openid, domain: userDomain, wantStatus: http.StatusForbidden, wantError: oauth.InsufficientScope},
		{name: "app's own token", token: cc, domain: userDomain, wantStatus: http.StatusForbidden, wantError: oauth.InsufficientScope},
		{name: "unknown token", token: "nope", domain: userDomain, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken},
		{name: "token of another domain", token: xmpp, domain: "other.test", wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidToken},
		{name: "no domain", token: xmpp, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := prosodyValidate(t, srv.Client(), srv.URL+"/xmpp/userinfo?domain="+tc.domain, tc.token)
			if status != tc.wantStatus {
				t.Fatalf("status = %d (%v), want %d", status, resp, tc.wantStatus)
			}
			name, ok := prosodyUsername(status, resp, "preferred_username")
			if tc.wantError == "" {
				if !ok || name != "alice" || resp["jid"] != alice || resp["sub"] != alice {
					t.Errorf("answer = %v, want preferred_username alice, jid and sub %s", resp, alice)
				}
				return
			}
			if ok {
				t.Fatalf("login allowed: %v", resp)
			}
			if tc.wantStatus == http.StatusBadRequest {
				if resp["error"] != tc.wantError {
					t.Errorf("refusal = %v, want error %q", resp, tc.wantError)
				}
				return
			}
			if resp["error"] != tc.wantError || resp["status"] != tc.wantError || resp["scope"] != oauth.ScopeXMPP || resp["oidc_discovery_url"] != discovery {
				t.Errorf("refusal = %v, want error and status %q, scope xmpp, oidc_discovery_url %s", resp, tc.wantError, discovery)
			}
		})
	}

	t.Run("no token", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "?domain=" + userDomain)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="Test Site"` {
			t.Errorf("no token = %d %q, want 401 with a bare challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["status"] != oauth.InvalidToken || body["oidc_discovery_url"] != discovery {
			t.Errorf("no token: body = %v (%v), want status invalid_token and oidc_discovery_url %s", body, err, discovery)
		}
	})
	t.Run("POST", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"?domain="+userDomain, nil)
		req.Header.Set("Authorization", "Bearer "+xmpp)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("PUT", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+xmpp)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("PUT = %d, want 405", resp.StatusCode)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		tok, err := ts.p.ValidateAccessToken(t.Context(), xmpp)
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.p.RevokeGrants(t.Context(), alice, tok.GrantID); err != nil {
			t.Fatalf("RevokeGrants: %v", err)
		}
		status, resp := prosodyValidate(t, srv.Client(), srv.URL+"?domain="+userDomain, xmpp)
		if _, ok := prosodyUsername(status, resp, "preferred_username"); ok || status != http.StatusUnauthorized {
			t.Errorf("revoked token = %d %v, want 401", status, resp)
		}
	})
}
