package oauthhttp_test

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// The fuzz targets of this file drive the gin handlers as main wires them,
// on the real core and the memory store, through httptest recorders (no
// sockets), and check what the RFCs promise a client whatever it sends:
// no 5xx for a bad request, and every error a JSON object with an "error"
// member (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 6750 §3).

// fuzzIssuer is the issuer of the fuzzed provider; nothing listens there.
const fuzzIssuer = "https://auth.example.test"

// unlimited is a rate limit that fuzzing does not reach.
var unlimited = oauth.Rate{Count: math.MaxInt32, Window: time.Second}

// fuzzServer is the web side and ejabberd's token backend of one provider.
type fuzzServer struct {
	p        *oauth.Provider
	web      http.Handler
	ejabberd http.Handler
	native   oauth.ClientRegistration // public, loopback and custom-scheme redirects
	web2     oauth.ClientRegistration // confidential web client with an https redirect
	conf     oauth.ClientRegistration // confidential, client_credentials
	token    string                   // alice's access token with the xmpp scope
}

// newFuzzServer builds the provider with its clients and one token of alice.
func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	ctx := f.Context()
	p, err := oauth.New(ctx, oauth.Config{
		Issuer:           fuzzIssuer,
		UserDomains:      []string{userDomain},
		OpenRegistration: true,
		GrantTypes:       []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode, oauth.GrantClientCredentials},
		ResourceServers:  []oauth.ResourceServer{{ID: "api", Secret: "api-secret"}},
		// Rate limits have tests of their own; here they would turn every
		// input after the first few into the same 429.
		Limits: oauth.Limits{ClientAuthFailures: unlimited},
		Logger: slog.New(slog.DiscardHandler),
	}, storetest.Memory())
	if err != nil {
		f.Fatalf("oauth.New: %v", err)
	}
	s := &fuzzServer{
		p: p,
		web: oauthhttp.New(p, oauthhttp.Options{
			Logger: slog.New(slog.DiscardHandler), SiteName: "Fuzz",
			Limits: oauthhttp.Limits{RegistrationPerIP: unlimited, AuthorizePerIP: unlimited},
		}),
		ejabberd: oauthhttp.EjabberdHandler(p, oauthhttp.EjabberdOptions{
			Secret: ejabberdSecret,
			Scopes: map[string][]string{oauth.ScopeXMPP: {"ejabberd:user"}},
			Logger: slog.New(slog.DiscardHandler),
		}),
	}
	register := func(m oauth.ClientMetadata) oauth.ClientRegistration {
		reg, err := p.Register(ctx, m, "")
		if err != nil {
			f.Fatalf("Register(%s): %v", m.ClientName, err)
		}
		return reg
	}
	s.native = register(oauth.ClientMetadata{
		ClientName:              "Native",
		ApplicationType:         oauth.AppNative,
		RedirectURIs:            []string{"http://127.0.0.1/cb", "com.example.app:/cb", "urn:ietf:wg:oauth:2.0:oob"},
		TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:              []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode},
	})
	s.web2 = register(oauth.ClientMetadata{
		ClientName:   "Web",
		ClientURI:    "https://app.example.com",
		RedirectURIs: []string{"https://app.example.com/cb?tenant=1"},
		GrantTypes:   []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
	})
	s.conf = register(oauth.ClientMetadata{
		ClientName: "Backend",
		GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantClientCredentials},
	})
	cred := oauth.ClientCredentials{ID: s.native.Client.ID, Method: oauth.AuthNone}
	da, err := p.DeviceAuthorize(ctx, cred, "openid xmpp")
	if err != nil {
		f.Fatalf("DeviceAuthorize: %v", err)
	}
	if err := p.DecideDevice(ctx, alice, da.UserCode, true); err != nil {
		f.Fatalf("DecideDevice: %v", err)
	}
	tr, err := p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode})
	if err != nil {
		f.Fatalf("Token: %v", err)
	}
	s.token = tr.AccessToken
	return s
}

// serve sends one request to h and returns the recorded answer.
func serve(h http.Handler, method, target, contentType, auth, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://auth.example.test/", strings.NewReader(body))
	// The query is set after NewRequest, which panics on a target that does
	// not parse: a fuzzed query reaches the handler as it came, as it would
	// from the network.
	path, query, _ := strings.Cut(target, "?")
	req.URL = &url.URL{Path: path, RawQuery: query}
	req.RequestURI = req.URL.RequestURI()
	if contentType != "" {
		req.Header["Content-Type"] = []string{contentType}
	}
	if auth != "" {
		req.Header["Authorization"] = []string{auth}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkJSONError checks that a 4xx answer is a JSON error object of RFC 6749
// §5.2: an "error" member whose value is a code in the characters §5.2
// allows, and an optional string "error_description".
func checkJSONError(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s = %d %s, want no server error for a client's input", what, rec.Code, rec.Body)
	}
	if rec.Code < 400 {
		return
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s = %d with Content-Type %q, want a JSON error", what, rec.Code, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s = %d %q: not a JSON object: %v", what, rec.Code, rec.Body, err)
	}
	code, ok := body["error"].(string)
	if !ok || code == "" {
		t.Fatalf("%s = %d %s: no \"error\" member", what, rec.Code, rec.Body)
	}
	for _, r := range code {
		if r < 0x20 || r == 0x22 || r == 0x5c || r > 0x7e {
			t.Fatalf("%s: error code %q has characters RFC 6749 §5.2 does not allow", what, code)
		}
	}
	if d, ok := body["error_description"]; ok {
		if _, ok := d.(string); !ok {
			t.Fatalf("%s: error_description %v is not a string", what, d)
		}
	}
	if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("%s = 401 without WWW-Authenticate (RFC 9110 §15.5.2)", what)
	}
	if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
		t.Fatalf("%s = 429 without Retry-After", what)
	}
}

// FuzzTokenOperation sends arbitrary introspection (RFC 7662 §2.1) and
// revocation (RFC 7009 §2.1) requests: whatever the body, media type and
// Authorization header, the answer is 200 or a JSON 4xx error; an
// introspection answer is a JSON object with a boolean "active", and an
// inactive token reveals nothing else (RFC 7662 §2.2); a revocation answer
// has an empty body.
func FuzzTokenOperation(f *testing.F) {
	s := newFuzzServer(f)
	confBasic := basic(s.conf.Client.ID, s.conf.Secret.Reveal())
	seeds := []struct {
		introspect  bool
		contentType string
		auth, body  string
	}{
		{true, formType, basic("api", "api-secret"), "token=" + s.token},
		{true, formType, basic("api", "api-secret"), "token=" + s.token + "&token_type_hint=access_token"},
		{true, formType, confBasic, "token=nope&token_type_hint=refresh_token"},
		{true, formType, "", "token=x&client_id=api&client_secret=api-secret"},
		{true, formType, "", "token=x&client_id=" + s.native.Client.ID},
		{true, formType, basic("api", "wrong"), "token=x"},
		{true, formType, "Basic !!!", "token=x"},
		{true, formType, "Bearer " + s.token, "token=" + s.token},
		{true, "application/json", confBasic, `{"token":"x"}`},
		{true, formType, confBasic, "token=a&token=b"},
		{true, formType, confBasic, "token=%zz"},
		{false, formType, "", "token=" + s.token + "&client_id=" + s.native.Client.ID},
		{false, formType, confBasic, "token=unknown&token_type_hint=access_token"},
		{false, formType, "", "token=x"},
		{false, formType, basic("a:b", "s%+"), "token=x"},
		{false, formType + "; charset=utf-8", "", "client_id=" + s.native.Client.ID},
		{false, "", "", ""},
		{false, "multipart/form-data; boundary=x", "", "--x--"},
	}
	for _, sd := range seeds {
		f.Add(sd.introspect, sd.contentType, sd.auth, sd.body)
	}
	f.Fuzz(func(t *testing.T, introspect bool, contentType, auth, body string) {
		path := "/revoke"
		if introspect {
			path = "/introspect"
		}
		rec := serve(s.web, http.MethodPost, path, contentType, auth, body)
		what := "POST " + path
		checkJSONError(t, what, rec)
		if rec.Code >= 300 {
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("%s = %d, want 200 or an error", what, rec.Code)
		}
		if !introspect {
			if rec.Body.Len() != 0 {
				t.Fatalf("%s = 200 with body %q, want none (RFC 7009 §2.2)", what, rec.Body)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s = 200 %q: not a JSON object: %v", what, rec.Body, err)
		}
		active, ok := m["active"].(bool)
		if !ok {
			t.Fatalf("%s = 200 %s without a boolean active", what, rec.Body)
		}
		if !active && len(m) != 1 {
			t.Fatalf("%s = %s: an inactive token reveals more than active", what, rec.Body)
		}
	})
}

// FuzzRegisterEndpoint posts arbitrary bodies to the registration endpoint
// (RFC 7591 §3): the answer is 201 with a client whose redirect URIs have no
// fragment and none of the dangerous schemes (RFC 6749 §3.1.2), or a JSON
// 4xx error.
func FuzzRegisterEndpoint(f *testing.F) {
	s := newFuzzServer(f)
	for _, sd := range []struct{ contentType, body string }{
		{"application/json", nativeMetadata},
		{"application/json", `{"client_name":"Web","client_uri":"https://a.example","redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code"]}`},
		{"application/json", `{"client_name":"x","redirect_uris":["https://a.example/cb#frag"],"client_uri":"https://a.example"}`},
		{"application/json", `{"client_name":"x","application_type":"native","redirect_uris":["javascript:alert(1)"]}`},
		{"application/json", `{"client_name":"x","application_type":"native","redirect_uris":["com.example.app:/cb"],"token_endpoint_auth_method":"none"}`},
		{"application/json", `{"client_name":"x","grant_types":["client_credentials"],"scope":"xmpp openid"}`},
		{"application/json", `{"client_name":"x","grant_types":["client_credentials"],"token_endpoint_auth_method":"none"}`},
		{"application/json", `{"client_name":"x","contacts":["a@b\r\nx"],"tos_uri":"https://evil.example/"}`},
		{"application/json; charset=utf-8", `{"client_name":"\u0000","redirect_uris":[]}`},
		{"application/json", `{"client_name":"x"} {"client_name":"y"}`},
		{"application/x-www-form-urlencoded", "client_name=x"},
		{"", ""},
		{"application/json", `[`},
	} {
		f.Add(sd.contentType, sd.body)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		rec := serve(s.web, http.MethodPost, "/register", contentType, "", body)
		checkJSONError(t, "POST /register", rec)
		if rec.Code >= 300 {
			return
		}
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST /register = %d %s, want 201 or an error", rec.Code, rec.Body)
		}
		var reg struct {
			ClientID     string   `json:"client_id"`
			RedirectURIs []string `json:"redirect_uris"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &reg); err != nil || reg.ClientID == "" {
			t.Fatalf("POST /register = 201 %s: no client_id (%v)", rec.Body, err)
		}
		for _, u := range reg.RedirectURIs {
			checkRedirectURI(t, u)
		}
	})
}

// checkRedirectURI checks what every accepted redirect URI must be: absolute,
// without a fragment (RFC 6749 §3.1.2), of no scheme that runs code in the
// browser.
func checkRedirectURI(t *testing.T, raw string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		t.Fatalf("accepted redirect URI %q is not absolute (%v)", raw, err)
	}
	if strings.Contains(raw, "#") {
		t.Fatalf("accepted redirect URI %q has a fragment", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		t.Fatalf("accepted redirect URI %q has a dangerous scheme", raw)
	}
}

// FuzzAuthorizeEndpoint sends arbitrary authorization requests (RFC 6749
// §4.1.1): the answer is never a server error, and a redirect goes either to
// this server's own pages or to a redirect URI the client registered
// (RFC 6749 §4.1.2.1: an invalid client or redirect URI is never
// redirected to), with the iss parameter of RFC 9207 and without a fragment.
func FuzzAuthorizeEndpoint(f *testing.F) {
	s := newFuzzServer(f)
	good := url.Values{
		"client_id": {s.native.Client.ID}, "redirect_uri": {"http://127.0.0.1/cb"}, "response_type": {"code"},
		"scope": {"openid xmpp"}, "state": {"xyz"}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"},
	}
	vary := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q.Encode()
	}
	for _, q := range []string{
		good.Encode(),
		vary("redirect_uri", "http://127.0.0.1:49152/cb"),
		vary("redirect_uri", "http://127.0.0.1/cb#x"),
		vary("redirect_uri", "https://evil.example/cb"),
		vary("redirect_uri", "com.example.app:/cb"),
		vary("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
		vary("client_id", s.web2.Client.ID) + "&redirect_uri=" + url.QueryEscape("https://app.example.com/cb?tenant=1"),
		vary("client_id", "nope"),
		vary("response_type", "token"),
		vary("scope", "openid bogus"),
		vary("scope", "\x00"),
		vary("prompt", "none"),
		vary("code_challenge_method", "plain"),
		vary("code_challenge", ""),
		vary("request", "eyJhbGciOiJub25lIn0.e30."),
		good.Encode() + "&state=again",
		good.Encode() + "&scope=%zz",
		"",
	} {
		f.Add(http.MethodGet, q)
	}
	f.Add(http.MethodPost, good.Encode())
	f.Fuzz(func(t *testing.T, method, query string) {
		if method != http.MethodPost {
			method = http.MethodGet
		}
		rec := serve(s.web, method, "/authorize?"+query, "", "", "")
		what := method + " /authorize?" + query
		if rec.Code >= 500 {
			t.Fatalf("%s = %d %s, want no server error", what, rec.Code, rec.Body)
		}
		if rec.Code < 300 || rec.Code >= 400 {
			return
		}
		loc := rec.Header().Get("Location")
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("%s redirects to %q, which does not parse: %v", what, loc, err)
		}
		if u.Fragment != "" || strings.Contains(loc, "#") {
			t.Fatalf("%s redirects to %q, with a fragment", what, loc)
		}
		if u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(loc, "//") {
			return // one of our own pages
		}
		registered := append(append([]string{}, s.native.Client.RedirectURIs...), s.web2.Client.RedirectURIs...)
		ok := false
		for _, r := range registered {
			ru, _ := url.Parse(r)
			if u.Scheme == ru.Scheme && u.Hostname() == ru.Hostname() && u.Path == ru.Path && u.Opaque == ru.Opaque {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("%s redirects to %q, which no client registered", what, loc)
		}
		if got := u.Query().Get("iss"); got != fuzzIssuer {
			t.Fatalf("%s redirects to %q with iss %q, want %q (RFC 9207)", what, loc, got, fuzzIssuer)
		}
	})
}

// FuzzEjabberdLookup sends arbitrary /oauth/lookup requests to ejabberd's
// token backend: a request with the right secret is answered 200 (alice's
// token, with her JID and mapped scopes), 404 (any other token) or a JSON
// 4xx error; never 5xx, which ejabberd would take for a fault of the backend.
func FuzzEjabberdLookup(f *testing.F) {
	s := newFuzzServer(f)
	for _, sd := range []struct{ contentType, secret, body string }{
		{"application/json", " " + ejabberdSecret, lookupBody(s.token)},
		{"application/json", ejabberdSecret, lookupBody("nope")},
		{"application/json", ejabberdSecret, `{"token":null}`},
		{"application/json", ejabberdSecret, `{"token":1}`},
		{"application/json", ejabberdSecret, `{}`},
		{"application/json", ejabberdSecret, `{"token":"a","token":"b"}`},
		{"application/json", ejabberdSecret, `["token"]`},
		{"application/json; charset=utf-8", ejabberdSecret, `{"token":"\ud800"}`},
		{"text/plain", ejabberdSecret, lookupBody(s.token)},
		{"application/json", "wrong-secret-but-long", lookupBody(s.token)},
		{"application/json", "", lookupBody(s.token)},
		{"", ejabberdSecret, ""},
	} {
		f.Add(sd.contentType, sd.secret, sd.body)
	}
	f.Fuzz(func(t *testing.T, contentType, secret, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/oauth/lookup", strings.NewReader(body))
		if contentType != "" {
			req.Header["Content-Type"] = []string{contentType}
		}
		if secret != "" {
			req.Header[oauthhttp.DefaultEjabberdHeader] = []string{secret}
		}
		rec := httptest.NewRecorder()
		s.ejabberd.ServeHTTP(rec, req)
		checkJSONError(t, "POST /oauth/lookup", rec)
		if rec.Code != http.StatusOK {
			return
		}
		if strings.TrimSpace(secret) != ejabberdSecret {
			t.Fatalf("lookup with secret %q = 200, want refused", secret)
		}
		var tok struct {
			User   string   `json:"user"`
			Scope  []string `json:"scope"`
			Expire int64    `json:"expire"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
			t.Fatalf("lookup = 200 %q: %v", rec.Body, err)
		}
		if tok.User != alice || len(tok.Scope) == 0 || tok.Expire == 0 {
			t.Fatalf("lookup = 200 %s, want alice's token with scopes and expiry", rec.Body)
		}
	})
}
