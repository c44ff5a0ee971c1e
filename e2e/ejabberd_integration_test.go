//go:build integration && unix

package e2e_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"gosrc.io/xmpp"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/internal/ejabberdtest"
	"github.com/xmppoauth/xmppoauth/internal/xmpptest"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

const (
	ejabberdSecret   = "e2e-0123456789abcdef"
	apiCommand       = "connected_users_number"
	ejabberdAPIScope = "ejabberd:user"
	// exchangeTimeout bounds each exchange with ejabberd, so that a stuck
	// server fails the test instead of hanging it.
	exchangeTimeout = 30 * time.Second
)

// startEjabberd starts Debian's ejabberd for the service whose core is e,
// with the token backend, as startEjabberdBackend does.
func startEjabberd(t *testing.T, e *env) xmppServer {
	t.Helper()
	return startEjabberdBackend(t, e, ejabberdSecret)
}

// startEjabberdBackend serves e's ejabberd token backend on a listener of
// its own, as deployments should, and starts ejabberd with the accounts,
// pointed at it with secret. Tokens with the xmpp scope also get
// ejabberd:user, which the test ejabberd's mod_http_api accepts for
// apiCommand.
func startEjabberdBackend(t *testing.T, e *env, secret string) *ejabberdtest.Server {
	t.Helper()
	backend := httptest.NewServer(oauthhttp.EjabberdHandler(e.p, oauthhttp.EjabberdOptions{
		Secret: ejabberdSecret,
		Scopes: map[string][]string{oauth.ScopeXMPP: {ejabberdAPIScope}},
		Logger: e.p.Config().Logger,
	}))
	t.Cleanup(backend.Close)
	opts := []ejabberdtest.Option{
		ejabberdtest.WithDomain(testDomain),
		ejabberdtest.WithOAuthREST(backend.URL, oauthhttp.DefaultEjabberdHeader, secret),
		ejabberdtest.WithHTTPAPI(ejabberdAPIScope, apiCommand),
	}
	for local, password := range accounts {
		opts = append(opts, ejabberdtest.WithUser(local, password))
	}
	return ejabberdtest.Start(t, opts...)
}

// deviceToken runs the device flow with x/oauth2 for scopes; approve
// answers the user code as the user would, in chat.
func (x *xmppEnv) deviceToken(approve func(userCode string), scopes ...string) *oauth2.Token {
	x.t.Helper()
	ctx := x.t.Context()
	cfg := x.cfg
	cfg.Scopes = scopes
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		x.t.Fatalf("DeviceAuth: %v", err)
	}
	approve(da.UserCode)
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		x.t.Fatalf("DeviceAccessToken: %v", err)
	}
	return tok
}

// appTokens has the user approve two device flows of the app in chat: with
// the "Approve a device" command, a token that may log in (openid, xmpp,
// offline_access); by replying "yes CODE", a token to sign in with (openid,
// profile), which must not log in.
func (x *xmppEnv) appTokens(t *testing.T, user *client) (login, signIn *oauth2.Token) {
	t.Helper()
	login = x.deviceToken(func(code string) {
		if done := user.approveDevice(code, true); done.Status != adhoc.StatusCompleted || !strings.Contains(notes(done), "Approved") {
			t.Fatalf("Approve a device = %+v %s", done, notes(done))
		}
	}, oidc.ScopeOpenID, oauth.ScopeXMPP, oidc.ScopeOfflineAccess)
	signIn = x.deviceToken(func(code string) {
		if reply := user.say("yes " + code); !strings.Contains(reply, "Approved") {
			t.Fatalf("reply to yes = %q", reply)
		}
	}, oidc.ScopeOpenID, "profile")
	return login, signIn
}

// login logs in to the server at c2s for domain with the SASL mechanism
// m and returns the bound JID, or the SASL failure.
func login(t *testing.T, c2s, domain string, m xmpptest.Mechanism) (jid string, fail *xmpptest.SASLError) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), exchangeTimeout)
	defer cancel()
	jid, err := xmpptest.Login(ctx, c2s, domain, m)
	switch {
	case errors.As(err, &fail):
		return "", fail
	case err != nil:
		t.Fatalf("%s login: %v", m.Name(), err)
	}
	return jid, nil
}

// ejabberdLogin logs in to ejabberd with m and returns the bound JID, or
// the SASL failure's condition.
func ejabberdLogin(t *testing.T, srv *ejabberdtest.Server, m xmpptest.Mechanism) (jid, condition string) {
	t.Helper()
	jid, fail := login(t, srv.C2SAddr, srv.Domain, m)
	if fail != nil {
		return "", fail.Condition
	}
	return jid, ""
}

// callAPI runs apiCommand on ejabberd's mod_http_api with a Bearer token
// and returns the status.
func callAPI(t *testing.T, srv *ejabberdtest.Server, token string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), exchangeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.APIURL+"/"+apiCommand, strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("mod_http_api: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// gosrcLogin logs in with gosrc.io/xmpp's client and its X-OAUTH2
// credential, as docs/clients.md shows, and disconnects.
func gosrcLogin(t *testing.T, srv *ejabberdtest.Server, token string) error {
	t.Helper()
	c, err := xmpp.NewClient(&xmpp.Config{
		TransportConfiguration: xmpp.TransportConfiguration{Address: srv.C2SAddr, Domain: srv.Domain},
		Jid:                    "alice@" + srv.Domain,
		Credential:             xmpp.OAuthToken(token),
		// The test ejabberd has no TLS; real servers must use it.
		Insecure:       true,
		ConnectTimeout: int(exchangeTimeout / time.Second),
	}, xmpp.NewRouter(), func(err error) { t.Logf("gosrc.io/xmpp client: %v", err) })
	if err != nil {
		return err
	}
	if err := c.Connect(); err != nil {
		return err
	}
	return c.Disconnect()
}

// TestIntegrationEjabberdLogin is the whole story against Debian's
// ejabberd, with xmppoauth attached to it as a component: an app asks for a
// token with the xmpp scope through the device flow, and the user approves
// it in chat; the app logs in to the user's account with SASL X-OAUTH2 (and
// calls mod_http_api with it as a Bearer token); the user revokes the app in
// chat, and neither works any more. Passwords keep working throughout.
func TestIntegrationEjabberdLogin(t *testing.T) {
	x := startXMPP(t, startEjabberd)
	srv := x.srv.(*ejabberdtest.Server)
	alice := x.login(t, "alice", accounts["alice"])
	tok, signIn := x.appTokens(t, alice)
	access := tok.AccessToken

	tests := []struct {
		name          string
		mech          xmpptest.Mechanism
		wantCondition string
	}{
		{name: "token", mech: xmpptest.XOAuth2("alice", access)},
		{name: "token, user with domain", mech: xmpptest.XOAuth2(x.user, access)},
		{name: "password", mech: xmpptest.Plain("alice", accounts["alice"])},
		{name: "another user", mech: xmpptest.XOAuth2("bob", access), wantCondition: "not-authorized"},
		{name: "sign-in token without the xmpp scope", mech: xmpptest.XOAuth2("alice", signIn.AccessToken), wantCondition: "not-authorized"},
		{name: "refresh token", mech: xmpptest.XOAuth2("alice", tok.RefreshToken), wantCondition: "not-authorized"},
		{name: "unknown token", mech: xmpptest.XOAuth2("alice", "not-a-token"), wantCondition: "not-authorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jid, cond := ejabberdLogin(t, srv, tc.mech)
			if cond != tc.wantCondition {
				t.Fatalf("login = %q, failure %q; want failure %q", jid, cond, tc.wantCondition)
			}
			if tc.wantCondition == "" && !strings.HasPrefix(jid, x.user+"/") {
				t.Errorf("bound JID = %q, want %s/…", jid, x.user)
			}
		})
	}
	t.Run("gosrc.io/xmpp client", func(t *testing.T) {
		if err := gosrcLogin(t, srv, access); err != nil {
			t.Errorf("gosrc.io/xmpp X-OAUTH2 login: %v", err)
		}
	})
	t.Run("mod_http_api", func(t *testing.T) {
		if got := callAPI(t, srv, access); got != http.StatusOK {
			t.Errorf("mod_http_api with the token = %d, want 200", got)
		}
		if got := callAPI(t, srv, signIn.AccessToken); got == http.StatusOK {
			t.Errorf("mod_http_api with a sign-in token = %d, want a refusal", got)
		}
	})

	// The user revokes the app in chat.
	alice.revokeApp("E2E Chat")
	if jid, cond := ejabberdLogin(t, srv, xmpptest.XOAuth2("alice", access)); cond != "not-authorized" {
		t.Errorf("login with a revoked token = %q, failure %q; want not-authorized", jid, cond)
	}
	if err := gosrcLogin(t, srv, access); err == nil {
		t.Errorf("gosrc.io/xmpp login with a revoked token succeeded")
	}
	if got := callAPI(t, srv, access); got != http.StatusUnauthorized {
		t.Errorf("mod_http_api with a revoked token = %d, want 401", got)
	}
	if _, cond := ejabberdLogin(t, srv, xmpptest.Plain("alice", accounts["alice"])); cond != "" {
		t.Errorf("password login after revocation failed: %s", cond)
	}
}

// TestIntegrationEjabberdWrongSecret shows that xmppoauth answers no token
// question from an ejabberd that does not know the shared secret.
func TestIntegrationEjabberdWrongSecret(t *testing.T) {
	e := start(t)
	srv := startEjabberdBackend(t, e, "e2e-not-the-right-secret")
	cfg := e.cfg
	cfg.Scopes = []string{oauth.ScopeXMPP}
	da, err := cfg.DeviceAuth(t.Context())
	if err != nil {
		t.Fatalf("DeviceAuth: %v", err)
	}
	if err := e.p.DecideDevice(t.Context(), alice, da.UserCode, true); err != nil {
		t.Fatalf("DecideDevice: %v", err)
	}
	tok, err := cfg.DeviceAccessToken(t.Context(), da)
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if jid, cond := ejabberdLogin(t, srv, xmpptest.XOAuth2("alice", tok.AccessToken)); cond != "not-authorized" {
		t.Errorf("login through a backend with the wrong secret = %q, failure %q; want not-authorized", jid, cond)
	}
}
