package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
)

// notifier records pushes.
type notifier struct {
	mu      sync.Mutex
	signIns []oauth.SignInNotice
	devices []oauth.DeviceNotice
}

func (n *notifier) NotifySignIn(_ context.Context, s oauth.SignInNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.signIns = append(n.signIns, s)
	return nil
}

func (n *notifier) NotifyDevice(_ context.Context, d oauth.DeviceNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.devices = append(n.devices, d)
	return nil
}

type env struct {
	p     *oauth.Provider
	clock *fakeclock.Clock
	note  *notifier
	store oauth.Store
}

const (
	issuer = "https://auth.example.test"
	alice  = "alice@example.test"
)

func newEnv(t *testing.T, mod ...func(*oauth.Config)) *env {
	t.Helper()
	e := &env{clock: fakeclock.New(time.Now().UTC().Truncate(time.Second)), note: &notifier{}, store: storetest.Memory()}
	cfg := oauth.Config{
		Issuer:           issuer,
		UserDomains:      []string{"example.test"},
		OpenRegistration: true,
		GrantTypes:       []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode, oauth.GrantClientCredentials},
		Now:              e.clock.Now,
		Logger:           slog.New(slog.NewTextHandler(t.Output(), nil)),
		Notifier:         e.note,
		ResourceServers:  []oauth.ResourceServer{{ID: "api", Secret: "api-secret"}},
	}
	for _, m := range mod {
		m(&cfg)
	}
	p, err := oauth.New(t.Context(), cfg, e.store)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	e.p = p
	return e
}

func webMeta() oauth.ClientMetadata {
	return oauth.ClientMetadata{
		ClientName:   "Example App",
		ClientURI:    "https://app.example.com",
		RedirectURIs: []string{"https://app.example.com/cb"},
		GrantTypes:   []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
	}
}

func (e *env) register(t *testing.T, m oauth.ClientMetadata) (oauth.Client, oauth.ClientCredentials) {
	t.Helper()
	reg, err := e.p.Register(t.Context(), m, "")
	if err != nil {
		t.Fatalf("Register() = %v", err)
	}
	cred := oauth.ClientCredentials{ID: reg.Client.ID, Secret: reg.Secret.Reveal(), Method: reg.Client.TokenEndpointAuthMethod}
	if reg.Client.Public() {
		cred.Method = oauth.AuthNone
	}
	return reg.Client, cred
}

func challenge(verifier string) string {
	s := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough"

func authParams(c oauth.Client, scope string) url.Values {
	return url.Values{
		"client_id": {c.ID}, "redirect_uri": {c.RedirectURIs[0]}, "response_type": {"code"},
		"scope": {scope}, "state": {"xyz"}, "nonce": {"n-0S6"},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"},
	}
}

// signIn runs the browser side of the code flow through the core and returns the code.
func (e *env) signIn(t *testing.T, c oauth.Client, scope string) string {
	t.Helper()
	ctx := t.Context()
	req, _, err := e.p.ParseAuthorize(ctx, authParams(c, scope))
	if err != nil {
		t.Fatalf("ParseAuthorize() = %v", err)
	}
	s, err := e.p.StartSignIn(ctx, req, alice)
	if err != nil {
		t.Fatalf("StartSignIn() = %v", err)
	}
	if _, err := e.p.DecideSignIn(ctx, alice, strings.ToLower(s.Code), true); err != nil {
		t.Fatalf("DecideSignIn() = %v", err)
	}
	to, err := e.p.FinishSignIn(ctx, s.ID)
	if err != nil {
		t.Fatalf("FinishSignIn() = %v", err)
	}
	u, err := url.Parse(to)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("state") != "xyz" || q.Get("iss") != issuer || q.Get("code") == "" {
		t.Fatalf("redirect %s lacks code, state or iss", to)
	}
	return q.Get("code")
}

func errCode(err error) string {
	var re *oauth.RedirectError
	if errors.As(err, &re) {
		return "redirect:" + re.Err.Code
	}
	if e, ok := oauth.AsError(err); ok {
		return e.Code
	}
	if err != nil {
		return "internal:" + err.Error()
	}
	return ""
}

func TestRegistrationValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		mod  func(m *oauth.ClientMetadata)
		want string
	}{
		{"valid web client", func(m *oauth.ClientMetadata) {}, ""},
		{"no client_name", func(m *oauth.ClientMetadata) { m.ClientName = " " }, oauth.InvalidClientMetadata},
		{"http client_uri", func(m *oauth.ClientMetadata) { m.ClientURI = "http://app.example.com" }, oauth.InvalidClientMetadata},
		{"web redirect on other host", func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"https://evil.example/cb"} }, oauth.InvalidRedirectURI},
		{"web http redirect", func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"http://app.example.com/cb"} }, oauth.InvalidRedirectURI},
		{"fragment", func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"https://app.example.com/cb#x"} }, oauth.InvalidRedirectURI},
		{"javascript", func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"javascript:alert(1)"} }, oauth.InvalidRedirectURI},
		{"data", func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"data:text/html,x"} }, oauth.InvalidRedirectURI},
		{"code grant without redirect", func(m *oauth.ClientMetadata) { m.RedirectURIs = nil }, oauth.InvalidRedirectURI},
		{"native loopback any port", func(m *oauth.ClientMetadata) {
			m.ApplicationType, m.RedirectURIs = oauth.AppNative, []string{"http://127.0.0.1/cb", "http://[::1]:8080/cb"}
		}, ""},
		{"native localhost name refused", func(m *oauth.ClientMetadata) {
			m.ApplicationType, m.RedirectURIs = oauth.AppNative, []string{"http://localhost/cb"}
		}, oauth.InvalidRedirectURI},
		{"native private-use scheme", func(m *oauth.ClientMetadata) {
			m.ApplicationType, m.RedirectURIs = oauth.AppNative, []string{"com.example.app:/cb"}
		}, ""},
		{"native scheme not reverse DNS", func(m *oauth.ClientMetadata) {
			m.ApplicationType, m.RedirectURIs = oauth.AppNative, []string{"myapp:/cb"}
		}, oauth.InvalidRedirectURI},
		{"native oob", func(m *oauth.ClientMetadata) {
			m.ApplicationType, m.RedirectURIs = oauth.AppNative, []string{"urn:ietf:wg:oauth:2.0:oob"}
		}, ""},
		{"web oob", func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"urn:ietf:wg:oauth:2.0:oob"} }, oauth.InvalidRedirectURI},
		{"bad application_type", func(m *oauth.ClientMetadata) { m.ApplicationType = "desktop" }, oauth.InvalidClientMetadata},
		{"tos on other host", func(m *oauth.ClientMetadata) { m.TOSURI = "https://other.example/tos" }, oauth.InvalidClientMetadata},
		{"policy on host", func(m *oauth.ClientMetadata) { m.PolicyURI = "https://app.example.com/privacy" }, ""},
		{"unknown auth method", func(m *oauth.ClientMetadata) { m.TokenEndpointAuthMethod = "private_key_jwt" }, oauth.InvalidClientMetadata},
		{"unknown grant", func(m *oauth.ClientMetadata) { m.GrantTypes = []string{"password"} }, oauth.InvalidClientMetadata},
		{"token response type", func(m *oauth.ClientMetadata) { m.ResponseTypes = []string{"token"} }, oauth.InvalidClientMetadata},
		{"unknown scope", func(m *oauth.ClientMetadata) { m.Scope = "openid admin" }, oauth.InvalidClientMetadata},
		{"public client_credentials", func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.GrantTypes, m.RedirectURIs = oauth.AuthNone, []string{oauth.GrantClientCredentials}, nil
		}, oauth.InvalidClientMetadata},
		{"device client without redirects", func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.GrantTypes, m.RedirectURIs = oauth.AuthNone, []string{oauth.GrantDeviceCode}, nil
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := webMeta()
			tt.mod(&m)
			reg, err := e.p.Register(t.Context(), m, "")
			if got := errCode(err); got != tt.want {
				t.Fatalf("Register() error = %q (%v), want %q", got, err, tt.want)
			}
			if err != nil {
				return
			}
			if !reg.Client.Public() && (reg.Secret.Reveal() == "" || len(reg.Client.SecretHash) != 32) {
				t.Errorf("confidential client got no hashed secret")
			}
			if reg.Secret.Reveal() != "" && strings.Contains(string(reg.Client.SecretHash), reg.Secret.Reveal()) {
				t.Errorf("secret stored in clear")
			}
		})
	}
}

func TestRegistrationNeedsInitialToken(t *testing.T) {
	e := newEnv(t, func(c *oauth.Config) { c.OpenRegistration = false; c.InitialAccessTokens = []string{"let-me-in"} })
	if _, err := e.p.Register(t.Context(), webMeta(), "wrong"); errCode(err) != oauth.InvalidToken {
		t.Fatalf("Register(wrong token) = %v, want invalid_token", err)
	}
	if _, err := e.p.Register(t.Context(), webMeta(), "let-me-in"); err != nil {
		t.Fatalf("Register(good token) = %v", err)
	}
}

func TestRegistrationManagement(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	reg, err := e.p.Register(ctx, webMeta(), "")
	if err != nil {
		t.Fatal(err)
	}
	id, tok := reg.Client.ID, reg.RegistrationToken.Reveal()
	if _, err := e.p.ReadRegistration(ctx, id, "nope"); errCode(err) != oauth.InvalidToken {
		t.Fatalf("ReadRegistration(bad token) = %v", err)
	}
	if _, err := e.p.ReadRegistration(ctx, "unknown", tok); errCode(err) != oauth.InvalidToken {
		t.Fatalf("ReadRegistration(unknown client) = %v", err)
	}
	m := webMeta()
	m.ClientName = "Renamed"
	up, err := e.p.UpdateRegistration(ctx, id, tok, m)
	if err != nil || up.Client.Name != "Renamed" {
		t.Fatalf("UpdateRegistration() = %+v, %v", up.Client.Name, err)
	}
	// The old secret still works after an update.
	if _, err := e.p.AuthenticateClient(ctx, oauth.ClientCredentials{ID: id, Secret: reg.Secret.Reveal(), Method: oauth.AuthClientSecretBasic}); err != nil {
		t.Fatalf("AuthenticateClient after update = %v", err)
	}
	if err := e.p.DeleteRegistration(ctx, id, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.ReadRegistration(ctx, id, tok); errCode(err) != oauth.InvalidToken {
		t.Fatalf("ReadRegistration after delete = %v", err)
	}
}

func TestAuthenticateClient(t *testing.T) {
	e := newEnv(t)
	c, cred := e.register(t, webMeta())
	pubMeta := webMeta()
	pubMeta.TokenEndpointAuthMethod = oauth.AuthNone
	pub, _ := e.register(t, pubMeta)
	tests := []struct {
		name string
		cred oauth.ClientCredentials
		want string
	}{
		{"basic ok", cred, ""},
		{"wrong secret", oauth.ClientCredentials{ID: c.ID, Secret: "x", Method: oauth.AuthClientSecretBasic}, oauth.InvalidClient},
		{"wrong method", oauth.ClientCredentials{ID: c.ID, Secret: cred.Secret, Method: oauth.AuthClientSecretPost}, oauth.InvalidClient},
		{"no secret", oauth.ClientCredentials{ID: c.ID, Method: oauth.AuthNone}, oauth.InvalidClient},
		{"unknown", oauth.ClientCredentials{ID: "nobody", Secret: "x", Method: oauth.AuthClientSecretBasic}, oauth.InvalidClient},
		{"empty", oauth.ClientCredentials{}, oauth.InvalidClient},
		{"public ok", oauth.ClientCredentials{ID: pub.ID, Method: oauth.AuthNone}, ""},
		{"public with secret", oauth.ClientCredentials{ID: pub.ID, Secret: "x", Method: oauth.AuthClientSecretPost}, oauth.InvalidClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.p.AuthenticateClient(t.Context(), tt.cred)
			if got := errCode(err); got != tt.want {
				t.Fatalf("AuthenticateClient() = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseAuthorize(t *testing.T) {
	e := newEnv(t)
	c, _ := e.register(t, webMeta())
	tests := []struct {
		name string
		mod  func(v url.Values)
		want string
	}{
		{"valid", func(v url.Values) {}, ""},
		{"no client", func(v url.Values) { v.Del("client_id") }, oauth.InvalidRequest},
		{"unknown client", func(v url.Values) { v.Set("client_id", "x") }, oauth.InvalidClient},
		{"redirect not registered", func(v url.Values) { v.Set("redirect_uri", "https://app.example.com/other") }, oauth.InvalidRequest},
		{"redirect prefix only", func(v url.Values) { v.Set("redirect_uri", "https://app.example.com/cb/x") }, oauth.InvalidRequest},
		{"repeated client_id", func(v url.Values) { v.Add("client_id", c.ID) }, oauth.InvalidRequest},
		{"repeated scope", func(v url.Values) { v.Add("scope", "openid") }, "redirect:" + oauth.InvalidRequest},
		{"token response type", func(v url.Values) { v.Set("response_type", "token") }, "redirect:" + oauth.UnsupportedResponseType},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge") }, "redirect:" + oauth.InvalidRequest},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, "redirect:" + oauth.InvalidRequest},
		{"PKCE without method (plain)", func(v url.Values) { v.Del("code_challenge_method") }, "redirect:" + oauth.InvalidRequest},
		{"short challenge", func(v url.Values) { v.Set("code_challenge", "abc") }, "redirect:" + oauth.InvalidRequest},
		{"unknown scope", func(v url.Values) { v.Set("scope", "openid admin") }, "redirect:" + oauth.InvalidScope},
		{"prompt none", func(v url.Values) { v.Set("prompt", "none") }, "redirect:" + oauth.LoginRequired},
		{"request object", func(v url.Values) { v.Set("request", "eyJ...") }, "redirect:" + oauth.RequestNotSupported},
		{"fragment mode", func(v url.Values) { v.Set("response_mode", "fragment") }, "redirect:" + oauth.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := authParams(c, "openid offline_access")
			tt.mod(v)
			_, _, err := e.p.ParseAuthorize(t.Context(), v)
			if got := errCode(err); got != tt.want {
				t.Fatalf("ParseAuthorize() = %q (%v), want %q", got, err, tt.want)
			}
			var re *oauth.RedirectError
			if errors.As(err, &re) {
				to := e.p.RedirectURL(re)
				u, _ := url.Parse(to)
				if u.Query().Get("iss") != issuer || u.Query().Get("state") != "xyz" || u.Query().Get("error") == "" {
					t.Errorf("RedirectURL() = %s, want error, state and iss", to)
				}
			}
		})
	}
}

func TestAuthorizeScopeLimitedByRegistration(t *testing.T) {
	e := newEnv(t)
	m := webMeta()
	m.Scope = "openid profile"
	c, _ := e.register(t, m)
	if _, _, err := e.p.ParseAuthorize(t.Context(), authParams(c, "openid xmpp")); errCode(err) != "redirect:"+oauth.InvalidScope {
		t.Fatalf("ParseAuthorize(beyond registered scope) = %v", err)
	}
}

func TestLoopbackPortMayDiffer(t *testing.T) {
	e := newEnv(t)
	m := webMeta()
	m.ApplicationType, m.RedirectURIs, m.ClientURI = oauth.AppNative, []string{"http://127.0.0.1/cb"}, ""
	c, _ := e.register(t, m)
	v := authParams(c, "openid")
	v.Set("redirect_uri", "http://127.0.0.1:51004/cb")
	if _, _, err := e.p.ParseAuthorize(t.Context(), v); err != nil {
		t.Fatalf("ParseAuthorize(loopback other port) = %v", err)
	}
	v.Set("redirect_uri", "http://127.0.0.1:51004/other")
	if _, _, err := e.p.ParseAuthorize(t.Context(), v); err == nil {
		t.Fatal("ParseAuthorize(loopback other path) succeeded")
	}
}

func TestCodeFlow(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c, cred := e.register(t, webMeta())
	code := e.signIn(t, c, "openid offline_access xmpp")
	if len(e.note.signIns) != 1 || e.note.signIns[0].JID != alice || e.note.signIns[0].App.Name != "Example App" {
		t.Fatalf("sign-in notices = %+v", e.note.signIns)
	}
	req := oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: c.RedirectURIs[0], CodeVerifier: verifier}

	bad := req
	bad.CodeVerifier = strings.Repeat("a", 43)
	if _, err := e.p.Token(ctx, cred, bad); errCode(err) != oauth.InvalidGrant {
		t.Fatalf("Token(wrong verifier) = %v", err)
	}
	bad = req
	bad.RedirectURI = "https://app.example.com/other"
	if _, err := e.p.Token(ctx, cred, bad); errCode(err) != oauth.InvalidGrant {
		t.Fatalf("Token(wrong redirect) = %v", err)
	}
	resp, err := e.p.Token(ctx, cred, req)
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	if resp.AccessToken == "" || resp.RefreshToken == "" || resp.IDToken == "" || resp.TokenType != "Bearer" || resp.ExpiresIn != 600 {
		t.Fatalf("Token() = %+v", resp)
	}
	in, err := e.p.Introspect(ctx, cred, resp.AccessToken, "")
	if err != nil || !in.Active || in.Username != alice || in.Sub != alice || in.ClientID != c.ID || in.Iss != issuer {
		t.Fatalf("Introspect() = %+v, %v", in, err)
	}
	info, err := e.p.UserInfo(ctx, resp.AccessToken)
	if err != nil || info["preferred_username"] != "alice" || info["sub"] != alice {
		t.Fatalf("UserInfo() = %v, %v", info, err)
	}
	// Replay: refused, and the tokens the code issued stop working.
	if _, err := e.p.Token(ctx, cred, req); errCode(err) != oauth.InvalidGrant {
		t.Fatalf("Token(replayed code) = %v", err)
	}
	if in, _ := e.p.Introspect(ctx, cred, resp.AccessToken, ""); in.Active {
		t.Fatal("access token still active after code replay")
	}
	if in, _ := e.p.Introspect(ctx, cred, resp.RefreshToken, ""); in.Active {
		t.Fatal("refresh token still active after code replay")
	}
}

func TestCodeExpires(t *testing.T) {
	e := newEnv(t)
	c, cred := e.register(t, webMeta())
	code := e.signIn(t, c, "openid")
	e.clock.Advance(61 * time.Second)
	_, err := e.p.Token(t.Context(), cred, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: c.RedirectURIs[0], CodeVerifier: verifier})
	if errCode(err) != oauth.InvalidGrant {
		t.Fatalf("Token(expired code) = %v", err)
	}
}

func TestCodeOfOtherClient(t *testing.T) {
	e := newEnv(t)
	c, _ := e.register(t, webMeta())
	_, other := e.register(t, webMeta())
	code := e.signIn(t, c, "openid")
	_, err := e.p.Token(t.Context(), other, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: c.RedirectURIs[0], CodeVerifier: verifier})
	if errCode(err) != oauth.InvalidGrant {
		t.Fatalf("Token(other client's code) = %v", err)
	}
}

// startSignIn registers a web client and starts a sign-in of alice to it
// for openid.
func (e *env) startSignIn(t *testing.T) oauth.SignIn {
	t.Helper()
	c, _ := e.register(t, webMeta())
	req, _, err := e.p.ParseAuthorize(t.Context(), authParams(c, "openid"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.p.StartSignIn(t.Context(), req, alice)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignInDeniedAndExpired(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c, _ := e.register(t, webMeta())
	req, _, err := e.p.ParseAuthorize(ctx, authParams(c, "openid"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.p.StartSignIn(ctx, req, "Alice@Example.test/phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.FinishSignIn(ctx, s.ID); errCode(err) != oauth.AuthorizationPending {
		t.Fatalf("FinishSignIn(pending) = %v", err)
	}
	if _, err := e.p.DecideSignIn(ctx, "mallory@example.test", s.Code, true); err == nil {
		t.Fatal("another user decided alice's sign-in")
	}
	if _, err := e.p.DecideSignIn(ctx, alice, s.Code, false); err != nil {
		t.Fatal(err)
	}
	to, err := e.p.FinishSignIn(ctx, s.ID)
	if err != nil || !strings.Contains(to, "error=access_denied") || !strings.Contains(to, "iss=") {
		t.Fatalf("FinishSignIn(denied) = %s, %v", to, err)
	}
	if _, err := e.p.FinishSignIn(ctx, s.ID); err == nil {
		t.Fatal("FinishSignIn twice succeeded")
	}
	s2, err := e.p.StartSignIn(ctx, req, alice)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Minute)
	if _, err := e.p.DecideSignIn(ctx, alice, s2.Code, true); errCode(err) == "" {
		t.Fatal("expired sign-in approved")
	}
	to, err = e.p.FinishSignIn(ctx, s2.ID)
	if err != nil || !strings.Contains(to, "error=access_denied") {
		t.Fatalf("FinishSignIn(expired) = %s, %v", to, err)
	}
}

func TestSignInUserChecks(t *testing.T) {
	e := newEnv(t)
	c, _ := e.register(t, webMeta())
	req, _, _ := e.p.ParseAuthorize(t.Context(), authParams(c, "openid"))
	for _, jid := range []string{"bob@other.example", "not-a-jid", "@example.test", "a@b@example.test"} {
		if _, err := e.p.StartSignIn(t.Context(), req, jid); errCode(err) != oauth.AccessDenied {
			t.Errorf("StartSignIn(%q) = %v, want access_denied", jid, err)
		}
	}
	for i := 0; i < 5; i++ {
		if _, err := e.p.StartSignIn(t.Context(), req, alice); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.p.StartSignIn(t.Context(), req, alice); errCode(err) != oauth.TooManyRequests {
		t.Fatalf("sixth push in a minute = %v, want too_many_requests", err)
	}
}

func (e *env) tokens(t *testing.T, scope string) (oauth.Client, oauth.ClientCredentials, oauth.TokenResponse) {
	t.Helper()
	c, cred := e.register(t, webMeta())
	code := e.signIn(t, c, scope)
	resp, err := e.p.Token(t.Context(), cred, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: c.RedirectURIs[0], CodeVerifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	return c, cred, resp
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, cred, first := e.tokens(t, "openid offline_access xmpp")
	r := func(rt, scope string) (oauth.TokenResponse, error) {
		return e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: rt, Scope: scope})
	}
	if _, err := r(first.RefreshToken, "openid profile"); errCode(err) != oauth.InvalidScope {
		t.Fatalf("refresh with wider scope = %v", err)
	}
	second, err := r(first.RefreshToken, "xmpp")
	if err != nil {
		t.Fatalf("refresh = %v", err)
	}
	if second.RefreshToken == first.RefreshToken || second.Scope != "xmpp" {
		t.Fatalf("refresh did not rotate or narrow: %+v", second)
	}
	third, err := r(second.RefreshToken, "")
	if err != nil || third.Scope != "openid offline_access xmpp" {
		t.Fatalf("refresh after narrowing = %+v, %v; want the original scope back", third, err)
	}
	// Reuse of a rotated token revokes the whole grant.
	if _, err := r(first.RefreshToken, ""); errCode(err) != oauth.InvalidGrant {
		t.Fatalf("reused refresh token = %v", err)
	}
	for _, tok := range []string{third.AccessToken, third.RefreshToken, first.AccessToken} {
		if in, _ := e.p.Introspect(ctx, cred, tok, ""); in.Active {
			t.Fatal("token still active after refresh token reuse")
		}
	}
	if grants, _ := e.p.Grants(ctx, alice); len(grants) != 0 {
		t.Fatalf("grants after reuse = %d, want 0", len(grants))
	}
}

func TestNoRefreshWithoutOfflineAccess(t *testing.T) {
	e := newEnv(t)
	_, _, resp := e.tokens(t, "openid")
	if resp.RefreshToken != "" {
		t.Fatal("refresh token issued without offline_access")
	}
}

func deviceMeta() oauth.ClientMetadata {
	return oauth.ClientMetadata{ClientName: "TV", TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken}}
}

func TestDeviceFlow(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c, cred := e.register(t, deviceMeta())
	da, err := e.p.DeviceAuthorize(ctx, cred, "openid xmpp")
	if err != nil {
		t.Fatal(err)
	}
	if len(da.UserCode) != 9 || da.UserCode[4] != '-' || strings.Trim(da.UserCode, "BCDFGHJKLMNPQRSTVWXZ-") != "" {
		t.Fatalf("user code %q is not XXXX-XXXX of the alphabet", da.UserCode)
	}
	if da.VerificationURI != issuer+"/device" || !strings.Contains(da.VerificationURIComplete, "user_code=") || da.Interval != 5 || da.ExpiresIn != 600 {
		t.Fatalf("DeviceAuthorize() = %+v", da)
	}
	poll := func() (oauth.TokenResponse, error) {
		return e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode})
	}
	if _, err := poll(); errCode(err) != oauth.AuthorizationPending {
		t.Fatalf("first poll = %v", err)
	}
	if _, err := poll(); errCode(err) != oauth.SlowDown {
		t.Fatalf("fast poll = %v", err)
	}
	e.clock.Advance(6 * time.Second) // interval is now 10 s
	if _, err := poll(); errCode(err) != oauth.SlowDown {
		t.Fatalf("poll after 6s with interval 10s = %v", err)
	}
	e.clock.Advance(16 * time.Second)
	if _, err := poll(); errCode(err) != oauth.AuthorizationPending {
		t.Fatalf("poll after 16s = %v", err)
	}
	// The user sees what they approve; the code matches loosely.
	loose := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", " "))
	dr, err := e.p.LookupDevice(ctx, alice, loose)
	if err != nil || dr.App.Name != "TV" || len(dr.Scopes) != 2 || dr.UserCode != da.UserCode {
		t.Fatalf("LookupDevice() = %+v, %v", dr, err)
	}
	if err := e.p.DecideDevice(ctx, alice, da.UserCode, true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	resp, err := poll()
	if err != nil || resp.AccessToken == "" || resp.RefreshToken == "" || resp.IDToken == "" {
		t.Fatalf("poll after approval = %+v, %v", resp, err)
	}
	e.clock.Advance(30 * time.Second)
	if _, err := poll(); errCode(err) != oauth.InvalidGrant {
		t.Fatalf("poll after tokens were issued = %v", err)
	}
	grants, err := e.p.Grants(ctx, alice)
	if err != nil || len(grants) != 1 || grants[0].ClientID != c.ID || grants[0].ActiveTokens != 2 {
		t.Fatalf("Grants() = %+v, %v", grants, err)
	}
	if err := e.p.RevokeGrants(ctx, "bob@example.test", grants[0].ID); err == nil {
		t.Fatal("bob revoked alice's grant")
	}
	if err := e.p.RevokeGrants(ctx, alice, grants[0].ID); err != nil {
		t.Fatal(err)
	}
	if in, _ := e.p.Introspect(ctx, oauth.ClientCredentials{ID: "api", Secret: "api-secret", Method: oauth.AuthClientSecretBasic}, resp.AccessToken, ""); in.Active {
		t.Fatal("token active after grant revoked")
	}
}

func TestDeviceDeniedAndExpired(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, cred := e.register(t, deviceMeta())
	da, _ := e.p.DeviceAuthorize(ctx, cred, "openid")
	if err := e.p.DecideDevice(ctx, alice, da.UserCode, false); err != nil {
		t.Fatal(err)
	}
	_, err := e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode})
	if errCode(err) != oauth.AccessDenied {
		t.Fatalf("poll after deny = %v", err)
	}
	da2, _ := e.p.DeviceAuthorize(ctx, cred, "openid")
	e.clock.Advance(11 * time.Minute)
	_, err = e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da2.DeviceCode})
	if errCode(err) != oauth.ExpiredToken {
		t.Fatalf("poll after expiry = %v", err)
	}
	if err := e.p.DecideDevice(ctx, alice, da2.UserCode, true); errCode(err) != oauth.ExpiredToken {
		t.Fatalf("approve expired code = %v", err)
	}
}

func TestDeviceCodeGuessingIsLimited(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, cred := e.register(t, deviceMeta())
	da, _ := e.p.DeviceAuthorize(ctx, cred, "openid")
	for i := 0; i < 5; i++ {
		if _, err := e.p.LookupDevice(ctx, alice, "BBBB-BBBB"); errCode(err) != oauth.InvalidGrant {
			t.Fatalf("wrong code %d = %v", i, err)
		}
	}
	// Now even the right code is refused until the window passes.
	if _, err := e.p.LookupDevice(ctx, alice, da.UserCode); errCode(err) != oauth.TooManyRequests {
		t.Fatalf("right code after 5 misses = %v, want too_many_requests", err)
	}
	// Other users are not affected.
	if _, err := e.p.LookupDevice(ctx, "bob@example.test", da.UserCode); err != nil {
		t.Fatalf("bob's lookup = %v", err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.p.LookupDevice(ctx, alice, da.UserCode); err != nil {
		t.Fatalf("lookup after the window = %v", err)
	}
}

func TestRequestDeviceApproval(t *testing.T) {
	e := newEnv(t)
	_, cred := e.register(t, deviceMeta())
	da, _ := e.p.DeviceAuthorize(t.Context(), cred, "xmpp")
	if err := e.p.RequestDeviceApproval(t.Context(), alice, da.UserCode); err != nil {
		t.Fatal(err)
	}
	if len(e.note.devices) != 1 || e.note.devices[0].UserCode != da.UserCode || e.note.devices[0].App.Name != "TV" {
		t.Fatalf("device notices = %+v", e.note.devices)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, cred, resp := e.tokens(t, "openid offline_access")
	_, other := e.register(t, webMeta())
	if err := e.p.Revoke(ctx, cred, "unknown-token", ""); err != nil {
		t.Fatalf("Revoke(unknown) = %v, want nil (RFC 7009 §2.2)", err)
	}
	if err := e.p.Revoke(ctx, other, resp.AccessToken, ""); errCode(err) != oauth.UnauthorizedClient {
		t.Fatalf("Revoke(other client's token) = %v", err)
	}
	if err := e.p.Revoke(ctx, oauth.ClientCredentials{ID: cred.ID, Secret: "bad", Method: cred.Method}, resp.AccessToken, ""); errCode(err) != oauth.InvalidClient {
		t.Fatalf("Revoke(bad secret) = %v", err)
	}
	if err := e.p.Revoke(ctx, cred, resp.AccessToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if in, _ := e.p.Introspect(ctx, cred, resp.AccessToken, ""); in.Active {
		t.Fatal("revoked access token active")
	}
	if in, _ := e.p.Introspect(ctx, cred, resp.RefreshToken, ""); !in.Active || in.TokenType != "refresh_token" {
		t.Fatalf("refresh token after revoking the access token = %+v", in)
	}
	if err := e.p.Revoke(ctx, cred, resp.RefreshToken, ""); err != nil {
		t.Fatal(err)
	}
	if in, _ := e.p.Introspect(ctx, cred, resp.RefreshToken, ""); in.Active {
		t.Fatal("revoked refresh token active")
	}
}

func TestIntrospectionCallers(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, cred, resp := e.tokens(t, "openid")
	_, other := e.register(t, webMeta())
	tests := []struct {
		name       string
		cred       oauth.ClientCredentials
		wantErr    string
		wantActive bool
	}{
		{"owner", cred, "", true},
		{"resource server", oauth.ClientCredentials{ID: "api", Secret: "api-secret", Method: oauth.AuthClientSecretBasic}, "", true},
		{"other client sees nothing", other, "", false},
		{"resource server wrong secret", oauth.ClientCredentials{ID: "api", Secret: "x", Method: oauth.AuthClientSecretBasic}, oauth.InvalidClient, false},
		{"anonymous", oauth.ClientCredentials{}, oauth.InvalidClient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := e.p.Introspect(ctx, tt.cred, resp.AccessToken, "")
			if errCode(err) != tt.wantErr || in.Active != tt.wantActive {
				t.Fatalf("Introspect() = %+v, %v; want active=%v err=%q", in, err, tt.wantActive, tt.wantErr)
			}
		})
	}
	e.clock.Advance(11 * time.Minute)
	if in, _ := e.p.Introspect(ctx, cred, resp.AccessToken, ""); in.Active {
		t.Fatal("expired token active")
	}
}

func TestClientCredentials(t *testing.T) {
	e := newEnv(t)
	m := oauth.ClientMetadata{ClientName: "Bot", GrantTypes: []string{oauth.GrantClientCredentials}, Scope: "xmpp:account:read"}
	c, cred := e.register(t, m)
	resp, err := e.p.Token(t.Context(), cred, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials})
	if err != nil || resp.RefreshToken != "" || resp.IDToken != "" || resp.Scope != "xmpp:account:read" {
		t.Fatalf("client_credentials = %+v, %v", resp, err)
	}
	in, _ := e.p.Introspect(t.Context(), cred, resp.AccessToken, "")
	if !in.Active || in.Sub != c.ID || in.Username != "" {
		t.Fatalf("Introspect(client token) = %+v", in)
	}
	if _, err := e.p.Token(t.Context(), cred, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, Scope: "openid"}); errCode(err) != oauth.InvalidScope {
		t.Fatalf("client_credentials with openid = %v", err)
	}
}

func TestTokenPipeline(t *testing.T) {
	e := newEnv(t, func(c *oauth.Config) { c.GrantTypes = []string{oauth.GrantAuthorizationCode, oauth.GrantDeviceCode} })
	_, cred := e.register(t, deviceMeta2())
	tests := []struct {
		name string
		req  oauth.TokenRequest
		want string
	}{
		{"no grant type", oauth.TokenRequest{}, oauth.InvalidRequest},
		{"disabled grant", oauth.TokenRequest{GrantType: oauth.GrantClientCredentials}, oauth.UnsupportedGrantType},
		{"password grant", oauth.TokenRequest{GrantType: "password"}, oauth.UnsupportedGrantType},
		{"client not registered for grant", oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: "x"}, oauth.UnauthorizedClient},
		{"no device code", oauth.TokenRequest{GrantType: oauth.GrantDeviceCode}, oauth.InvalidRequest},
		{"unknown device code", oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: "nope"}, oauth.InvalidGrant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.p.Token(t.Context(), cred, tt.req)
			if got := errCode(err); got != tt.want {
				t.Fatalf("Token() = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func deviceMeta2() oauth.ClientMetadata {
	m := deviceMeta()
	m.GrantTypes = []string{oauth.GrantDeviceCode}
	return m
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	before, err := e.p.JWKS(ctx)
	if err != nil || len(before.Keys) != 2 {
		t.Fatalf("JWKS() = %+v, %v", before, err)
	}
	if err := e.p.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := e.p.JWKS(ctx)
	if len(after.Keys) != 4 {
		t.Fatalf("JWKS after rotation has %d keys, want 4 (old and new)", len(after.Keys))
	}
	kidOf := func() string {
		_, _, resp := e.tokens(t, "openid")
		h, _, _ := strings.Cut(resp.IDToken, ".")
		b, _ := base64.RawURLEncoding.DecodeString(h)
		return string(b)
	}
	if hdr := kidOf(); !strings.Contains(hdr, before.Keys[0].Kid) && !strings.Contains(hdr, before.Keys[1].Kid) {
		t.Fatalf("new key signs before its publish delay: %s", hdr)
	}
	e.clock.Advance(61 * time.Minute)
	if hdr := kidOf(); strings.Contains(hdr, before.Keys[0].Kid) || strings.Contains(hdr, before.Keys[1].Kid) {
		t.Fatalf("old key still signs after the publish delay: %s", hdr)
	}
	e.clock.Advance(2 * time.Hour)
	// A fresh provider on the same store drops keys past their DeleteAt.
	p2, err := oauth.New(ctx, oauth.Config{Issuer: issuer, UserDomains: []string{"example.test"}, Now: e.clock.Now}, e.store)
	if err != nil {
		t.Fatal(err)
	}
	final, _ := p2.JWKS(ctx)
	if len(final.Keys) != 2 {
		t.Fatalf("JWKS after old keys expired has %d keys, want 2", len(final.Keys))
	}
}

func TestSecretsRedactInLogs(t *testing.T) {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "secret", oauth.Secret("hunter2"))
	if strings.Contains(b.String(), "hunter2") {
		t.Fatalf("log line shows the secret: %s", b.String())
	}
}

func queryParam(t *testing.T, rawURL, key string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %q: %v", rawURL, err)
	}
	return u.Query().Get(key)
}

func TestRedirectURIOmitted(t *testing.T) {
	e := newEnv(t)
	c, cred := e.register(t, webMeta())
	v := authParams(c, "openid")
	v.Del("redirect_uri")
	req, _, err := e.p.ParseAuthorize(t.Context(), v)
	if err != nil {
		t.Fatalf("ParseAuthorize(no redirect_uri, one registered) = %v", err)
	}
	s, _ := e.p.StartSignIn(t.Context(), req, alice)
	e.p.DecideSignIn(t.Context(), alice, s.ID, true)
	to, err := e.p.FinishSignIn(t.Context(), s.ID)
	if err != nil || !strings.HasPrefix(to, c.RedirectURIs[0]+"?") {
		t.Fatalf("FinishSignIn() = %q, %v", to, err)
	}
	// RFC 6749 §4.1.3: the token request omits redirect_uri as well.
	_, err = e.p.Token(t.Context(), cred, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: queryParam(t, to, "code"), CodeVerifier: verifier})
	if err != nil {
		t.Fatalf("Token(no redirect_uri) = %v", err)
	}

	// The same through the consent page: the sign-in is claimed, then the
	// code issued once the user consents.
	s, _ = e.p.StartSignIn(t.Context(), req, alice)
	e.p.DecideSignIn(t.Context(), alice, s.ID, true)
	claimed, err := e.p.ClaimSignIn(t.Context(), s.ID)
	if err != nil {
		t.Fatalf("ClaimSignIn() = %v", err)
	}
	to, err = e.p.IssueCode(t.Context(), claimed.Request, claimed.JID, claimed.Decided)
	if err != nil {
		t.Fatalf("IssueCode() = %v", err)
	}
	_, err = e.p.Token(t.Context(), cred, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: queryParam(t, to, "code"), CodeVerifier: verifier})
	if err != nil {
		t.Fatalf("Token(no redirect_uri) after consent = %v", err)
	}
}

func TestBuiltinScopesCannotBeRedefined(t *testing.T) {
	_, err := oauth.New(t.Context(), oauth.Config{Issuer: issuer, UserDomains: []string{"example.test"},
		ExtraScopes: map[string]string{"openid": "something else"}}, storetest.Memory())
	if err == nil {
		t.Fatal("New() accepted a redefinition of openid")
	}
}
