package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
	"github.com/xmppoauth/xmppoauth/store"
)

const (
	alice = "alice@example.test"
	// The introspecting API (RFC 7662 §2.1).
	apiID, apiSecret = "api", "api-secret"
	redirectURI      = "http://127.0.0.1/callback"
)

// env is one running server with an OIDC client configuration.
type env struct {
	t      *testing.T
	issuer string
	p      *oauth.Provider
	oidc   *oidc.Provider
	// user signs in; approve approves the sign-in with this ID as the user
	// would (the core's DecideSignIn unless a test answers in chat).
	user    string
	approve func(id string)
	cfg     oauth2.Config
}

// start runs the provider on a Badger store in t.TempDir() (SyncWrites, as
// in production) behind an httptest server on 127.0.0.1, discovers it with
// go-oidc and registers a public native client over HTTP.
func start(t *testing.T, mods ...func(*oauth.Config)) *env {
	t.Helper()
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := store.Open(t.TempDir(), store.Options{SyncWrites: true, Logger: log})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := oauth.Config{
		Issuer:           "http://" + ln.Addr().String(),
		UserDomains:      []string{"example.test"},
		OpenRegistration: true,
		// The smallest interval x/oauth2 honours; it waits this long
		// before its first poll.
		DevicePollInterval: time.Second,
		ResourceServers:    []oauth.ResourceServer{{ID: apiID, Secret: apiSecret}},
		Logger:             log,
	}
	for _, m := range mods {
		m(&cfg)
	}
	p, err := oauth.New(ctx, cfg, db)
	if err != nil {
		ln.Close()
		t.Fatalf("oauth.New: %v", err)
	}
	srv := httptest.NewUnstartedServer(oauthhttp.New(p, oauthhttp.Options{Logger: log, SiteName: "E2E"}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close) // runs before db.Close

	e := &env{t: t, issuer: p.Config().Issuer, p: p, user: alice}
	e.approve = func(id string) {
		if _, err := p.DecideSignIn(ctx, e.user, id, true); err != nil {
			t.Fatalf("DecideSignIn: %v", err)
		}
	}
	e.oidc, err = oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	var meta struct {
		RegistrationEndpoint string `json:"registration_endpoint"`
		IntrospectionURI     string `json:"introspection_endpoint"`
		RevocationURI        string `json:"revocation_endpoint"`
	}
	if err := e.oidc.Claims(&meta); err != nil {
		t.Fatalf("discovery claims: %v", err)
	}
	if meta.RegistrationEndpoint != e.issuer+"/register" || meta.IntrospectionURI != e.issuer+"/introspect" || meta.RevocationURI != e.issuer+"/revoke" {
		t.Fatalf("discovery = %+v", meta)
	}
	clientID := e.register(meta.RegistrationEndpoint)
	endpoint := e.oidc.Endpoint()
	if endpoint.DeviceAuthURL != e.issuer+"/device_authorization" {
		t.Fatalf("discovered device endpoint = %q", endpoint.DeviceAuthURL)
	}
	endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client: client_id alone
	e.cfg = oauth2.Config{
		ClientID:    clientID,
		Endpoint:    endpoint,
		RedirectURL: redirectURI,
		Scopes:      []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess, "xmpp"},
	}
	return e
}

// register registers a public native client (RFC 7591) and returns its ID.
func (e *env) register(endpoint string) string {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"client_name":                "E2E Chat",
		"application_type":           "native",
		"redirect_uris":              []string{redirectURI},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode},
	})
	req, _ := http.NewRequestWithContext(e.t.Context(), http.MethodPost, endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("register: %v", err)
	}
	defer resp.Body.Close()
	var reg struct {
		ClientID                string `json:"client_id"`
		ClientSecret            string `json:"client_secret"`
		RegistrationAccessToken string `json:"registration_access_token"`
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("register = %d %s, want 201", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&reg); err != nil {
		e.t.Fatalf("register: decode: %v", err)
	}
	if reg.ClientID == "" || reg.ClientSecret != "" || reg.RegistrationAccessToken == "" {
		e.t.Fatalf("registration = %+v, want a public client with a registration token", reg)
	}
	return reg.ClientID
}

var (
	csrfRE    = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	requestRE = regexp.MustCompile(`name="request" value="([^"]*)"`)
	jidRE     = regexp.MustCompile(`name="jid" value="([^"]*)"`)
)

// authorize drives the browser side of the code flow like a user would:
// open the authorization URL, type the XMPP address, approve in "chat"
// (the core's DecideSignIn), follow the wait page to the consent page and
// allow there. It returns the query of the redirect to the client.
func (e *env) authorize(state, nonce, verifier string) url.Values {
	e.t.Helper()
	ctx := e.t.Context()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string) {
		e.t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := browser.Do(req)
		if err != nil {
			e.t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	field := func(re *regexp.Regexp, page string) string {
		e.t.Helper()
		m := re.FindStringSubmatch(page)
		if m == nil {
			e.t.Fatalf("no %s on page:\n%s", re, page)
		}
		return html.UnescapeString(m[1])
	}

	authURL := e.cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	resp, page := get(authURL)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s = %d %s", authURL, resp.StatusCode, page)
	}
	form := url.Values{"csrf_token": {field(csrfRE, page)}, "request": {field(requestRE, page)}, "jid": {e.user}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.issuer+"/authorize/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := browser.Do(req)
	if err != nil {
		e.t.Fatalf("POST sign-in: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("POST sign-in = %d, want 303", resp.StatusCode)
	}
	wait := e.issuer + resp.Header.Get("Location")
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/authorize/wait/")

	if resp, page := get(wait); resp.StatusCode != http.StatusOK || !strings.Contains(page, `http-equiv="refresh"`) {
		e.t.Fatalf("wait page = %d, want 200 with a refresh:\n%s", resp.StatusCode, page)
	}
	e.approve(id)
	resp, page = get(wait)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("wait page after approval = %d %s, want 303", resp.StatusCode, page)
	}
	// Signed in, the browser goes back to /authorize, which shows the
	// consent page; allowing there sends it on to the client.
	resp, page = get(e.issuer + resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `value="approve"`) {
		e.t.Fatalf("consent page = %d, want 200:\n%s", resp.StatusCode, page)
	}
	form = url.Values{"csrf_token": {field(csrfRE, page)}, "request": {field(requestRE, page)}, "jid": {field(jidRE, page)}, "decision": {"approve"}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, e.issuer+"/authorize/consent", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err = browser.Do(req); err != nil {
		e.t.Fatalf("POST consent: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("POST consent = %d, want 303", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatalf("redirect: %v", err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		e.t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	q := loc.Query()
	if q.Get("state") != state || q.Get("iss") != e.issuer || q.Get("code") == "" {
		e.t.Fatalf("redirect query = %v, want code, state %q and iss %q (RFC 9207)", q, state, e.issuer)
	}
	return q
}

// codeFlow runs authorize and the code exchange.
func (e *env) codeFlow() (*oauth2.Token, string) {
	e.t.Helper()
	verifier, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	q := e.authorize("state-"+nonce[:8], nonce, verifier)
	tok, err := e.cfg.Exchange(e.t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("Exchange: %v", err)
	}
	return tok, nonce
}

// introspect asks as the resource server whether token is active.
func (e *env) introspect(token string) map[string]any {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), http.MethodPost, e.issuer+"/introspect",
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(apiID, apiSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("introspect: %v", err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&m) != nil {
		e.t.Fatalf("introspect = %d, want 200 JSON", resp.StatusCode)
	}
	return m
}

func (e *env) active(token string) bool {
	e.t.Helper()
	return e.introspect(token)["active"] == true
}

// revoke revokes token as the public client (RFC 7009).
func (e *env) revoke(token, hint string) {
	e.t.Helper()
	form := url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {e.cfg.ClientID}}
	req, _ := http.NewRequestWithContext(e.t.Context(), http.MethodPost, e.issuer+"/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("revoke: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("revoke = %d, want 200", resp.StatusCode)
	}
}

// refresh runs cfg.TokenSource on an expired copy of tok.
func (e *env) refresh(tok *oauth2.Token) (*oauth2.Token, error) {
	expired := *tok
	expired.AccessToken = ""
	expired.Expiry = time.Now().Add(-time.Hour)
	return e.cfg.TokenSource(e.t.Context(), &expired).Token()
}

// errorCode is the RFC 6749 §5.2 code of an x/oauth2 error.
func errorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// checkIDToken verifies an ID token with go-oidc against the JWKS.
func (e *env) checkIDToken(tok *oauth2.Token, nonce string) {
	e.t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		e.t.Fatalf("token response has no id_token")
	}
	idt, err := e.oidc.Verifier(&oidc.Config{ClientID: e.cfg.ClientID}).Verify(e.t.Context(), raw)
	if err != nil {
		e.t.Fatalf("verify ID token: %v", err)
	}
	if idt.Subject != alice || idt.Nonce != nonce {
		e.t.Errorf("ID token sub %q nonce %q, want %q and %q", idt.Subject, idt.Nonce, alice, nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		e.t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		JID               string `json:"jid"`
		PreferredUsername string `json:"preferred_username"`
		AuthTime          int64  `json:"auth_time"`
		Azp               string `json:"azp"`
	}
	if err := idt.Claims(&claims); err != nil {
		e.t.Fatalf("ID token claims: %v", err)
	}
	if claims.JID != alice || claims.PreferredUsername != "alice" || claims.AuthTime == 0 || claims.Azp != e.cfg.ClientID {
		e.t.Errorf("ID token claims = %+v", claims)
	}
}

func TestCodeFlow(t *testing.T) {
	e := start(t)
	ctx := t.Context()

	tok, nonce := e.codeFlow()
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token = %+v, want a Bearer token with a refresh token (offline_access)", tok)
	}
	e.checkIDToken(tok, nonce)

	info, err := e.oidc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	var claims struct {
		JID  string `json:"jid"`
		Name string `json:"name"`
	}
	if err := info.Claims(&claims); err != nil || info.Subject != alice || claims.JID != alice || claims.Name != "alice" {
		t.Errorf("userinfo = %+v %+v (%v)", info, claims, err)
	}
	if !e.active(tok.AccessToken) || !e.active(tok.RefreshToken) {
		t.Fatalf("fresh tokens are not active")
	}

	// Refresh rotates the refresh token (RFC 9700 §4.14.2).
	rotated, err := e.refresh(tok)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if rotated.RefreshToken == "" || rotated.RefreshToken == tok.RefreshToken || rotated.AccessToken == tok.AccessToken {
		t.Fatalf("refresh did not rotate: old %q, new %q", tok.RefreshToken, rotated.RefreshToken)
	}
	if e.active(tok.RefreshToken) {
		t.Errorf("spent refresh token is still active")
	}
	if !e.active(rotated.AccessToken) || !e.active(rotated.RefreshToken) {
		t.Fatalf("rotated tokens are not active")
	}

	// Presenting the spent refresh token again is reuse: the grant ends.
	if _, err := e.refresh(tok); errorCode(err) != oauth.InvalidGrant {
		t.Fatalf("refresh with the spent token: %v, want invalid_grant", err)
	}
	for name, v := range map[string]string{"access": rotated.AccessToken, "refresh": rotated.RefreshToken} {
		if e.active(v) {
			t.Errorf("%s token still active after refresh token reuse", name)
		}
	}
	if _, err := e.refresh(rotated); errorCode(err) != oauth.InvalidGrant {
		t.Errorf("refresh after the grant was revoked: %v, want invalid_grant", err)
	}
	if _, err := e.oidc.UserInfo(ctx, oauth2.StaticTokenSource(rotated)); err == nil {
		t.Errorf("userinfo works with a revoked access token")
	}
}

func TestRevocation(t *testing.T) {
	e := start(t)
	tok, _ := e.codeFlow()

	e.revoke(tok.AccessToken, "access_token")
	if e.active(tok.AccessToken) {
		t.Errorf("access token active after revocation")
	}
	if !e.active(tok.RefreshToken) {
		t.Errorf("revoking the access token ended the refresh token")
	}
	e.revoke(tok.RefreshToken, "refresh_token")
	if e.active(tok.RefreshToken) {
		t.Errorf("refresh token active after revocation")
	}
	if _, err := e.refresh(tok); errorCode(err) != oauth.InvalidGrant {
		t.Errorf("refresh with a revoked token: %v, want invalid_grant", err)
	}
	e.revoke("never-issued", "") // RFC 7009 §2.2: still 200
}

func TestCodeReplay(t *testing.T) {
	e := start(t)
	verifier := oauth2.GenerateVerifier()
	q := e.authorize("s1", "n1", verifier)
	tok, err := e.cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if !e.active(tok.AccessToken) {
		t.Fatalf("access token not active")
	}
	// RFC 6749 §4.1.2: a code used twice is refused, and what it issued
	// is revoked.
	if _, err := e.cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); errorCode(err) != oauth.InvalidGrant {
		t.Fatalf("second Exchange: %v, want invalid_grant", err)
	}
	if e.active(tok.AccessToken) || e.active(tok.RefreshToken) {
		t.Errorf("tokens of a replayed code are still active")
	}

	// A wrong verifier is refused too (RFC 7636 §4.6).
	q = e.authorize("s2", "n2", oauth2.GenerateVerifier())
	if _, err := e.cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier)); errorCode(err) != oauth.InvalidGrant {
		t.Errorf("Exchange with the wrong verifier: %v, want invalid_grant", err)
	}
}

func TestDeviceFlow(t *testing.T) {
	tests := []struct {
		name      string
		approve   bool
		wantError string
	}{
		{"approved", true, ""},
		{"denied", false, oauth.AccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			ctx := t.Context()
			cfg := e.cfg
			cfg.Scopes = []string{oidc.ScopeOpenID, "xmpp"}
			da, err := cfg.DeviceAuth(ctx)
			if err != nil {
				t.Fatalf("DeviceAuth: %v", err)
			}
			if da.VerificationURI != e.issuer+"/device" || !strings.Contains(da.VerificationURIComplete, "user_code=") {
				t.Errorf("device authorization = %+v", da)
			}
			decided := make(chan error, 1)
			go func() {
				// The user answers in chat while the device polls.
				decided <- e.p.DecideDevice(context.WithoutCancel(ctx), alice, da.UserCode, tc.approve)
			}()
			tok, err := cfg.DeviceAccessToken(ctx, da)
			if derr := <-decided; derr != nil {
				t.Fatalf("DecideDevice: %v", derr)
			}
			if tc.wantError != "" {
				if errorCode(err) != tc.wantError {
					t.Fatalf("DeviceAccessToken: %v, want %s", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("DeviceAccessToken: %v", err)
			}
			if tok.RefreshToken == "" {
				t.Errorf("device flow gave no refresh token")
			}
			e.checkIDToken(tok, "")
			if m := e.introspect(tok.AccessToken); m["active"] != true || m["username"] != alice || m["client_id"] != cfg.ClientID {
				t.Errorf("introspection = %v", m)
			}
			if _, err := cfg.DeviceAccessToken(ctx, da); errorCode(err) != oauth.InvalidGrant {
				t.Errorf("second poll after issue: %v, want invalid_grant", err)
			}
		})
	}
}
