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

	"golang.org/x/oauth2"
	"gosrc.io/xmpp"

	"github.com/xmppoauth/xmppoauth/internal/ejabberdtest"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

const (
	ejabberdSecret   = "e2e-0123456789abcdef"
	alicePassword    = "alice's password"
	apiCommand       = "connected_users_number"
	ejabberdAPIScope = "ejabberd:user"
	// exchangeTimeout bounds each exchange with ejabberd, so that a stuck
	// server fails the test instead of hanging it.
	exchangeTimeout = 30 * time.Second
)

// startEjabberd starts xmppoauth (start), serves its ejabberd token backend
// on a listener of its own, as deployments should, and starts ejabberd
// pointed at it with secret. Tokens with the xmpp scope also get
// ejabberd:user, which the test ejabberd's mod_http_api accepts for
// apiCommand.
func startEjabberd(t *testing.T, secret string) (*env, *ejabberdtest.Server) {
	t.Helper()
	e := start(t)
	backend := httptest.NewServer(oauthhttp.EjabberdHandler(e.p, oauthhttp.EjabberdOptions{
		Secret: ejabberdSecret,
		Scopes: map[string][]string{oauth.ScopeXMPP: {ejabberdAPIScope}},
		Logger: e.p.Config().Logger,
	}))
	t.Cleanup(backend.Close)
	srv := ejabberdtest.Start(t,
		ejabberdtest.WithDomain("example.test"),
		ejabberdtest.WithUser("alice", alicePassword),
		ejabberdtest.WithUser("bob", "bob's password"),
		ejabberdtest.WithOAuthREST(backend.URL, oauthhttp.DefaultEjabberdHeader, secret),
		ejabberdtest.WithHTTPAPI(ejabberdAPIScope, apiCommand),
	)
	return e, srv
}

// deviceToken runs the device flow with x/oauth2 for scopes, with alice
// approving through the core.
func (e *env) deviceToken(scopes ...string) *oauth2.Token {
	e.t.Helper()
	ctx := e.t.Context()
	cfg := e.cfg
	cfg.Scopes = scopes
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		e.t.Fatalf("DeviceAuth: %v", err)
	}
	if err := e.p.DecideDevice(ctx, alice, da.UserCode, true); err != nil {
		e.t.Fatalf("DecideDevice: %v", err)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		e.t.Fatalf("DeviceAccessToken: %v", err)
	}
	return tok
}

// login logs in to ejabberd with SASL mechanism as user and returns the
// bound JID, or the SASL failure's condition.
func login(t *testing.T, srv *ejabberdtest.Server, mechanism, user, secret string) (jid, condition string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), exchangeTimeout)
	defer cancel()
	jid, err := ejabberdtest.Login(ctx, srv.C2SAddr, srv.Domain, mechanism, ejabberdtest.Credentials(user, secret))
	var fail *ejabberdtest.SASLError
	switch {
	case errors.As(err, &fail):
		return "", fail.Condition
	case err != nil:
		t.Fatalf("%s login as %s: %v", mechanism, user, err)
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
// ejabberd: an app gets a token with the xmpp scope through the device
// flow, logs in to the user's account with SASL X-OAUTH2 (and calls
// mod_http_api with it as a Bearer token), and once the user revokes the
// app neither works any more; passwords keep working throughout.
func TestIntegrationEjabberdLogin(t *testing.T) {
	e, srv := startEjabberd(t, ejabberdSecret)
	tok := e.deviceToken("openid", oauth.ScopeXMPP, "offline_access")
	signIn := e.deviceToken("openid", "profile")
	access := tok.AccessToken

	tests := []struct {
		name, mechanism, user, secret string
		wantCondition                 string
	}{
		{name: "token", mechanism: "X-OAUTH2", user: "alice", secret: access},
		{name: "token, user with domain", mechanism: "X-OAUTH2", user: "alice@example.test", secret: access},
		{name: "password", mechanism: "PLAIN", user: "alice", secret: alicePassword},
		{name: "another user", mechanism: "X-OAUTH2", user: "bob", secret: access, wantCondition: "not-authorized"},
		{name: "sign-in token without the xmpp scope", mechanism: "X-OAUTH2", user: "alice", secret: signIn.AccessToken, wantCondition: "not-authorized"},
		{name: "refresh token", mechanism: "X-OAUTH2", user: "alice", secret: tok.RefreshToken, wantCondition: "not-authorized"},
		{name: "unknown token", mechanism: "X-OAUTH2", user: "alice", secret: "not-a-token", wantCondition: "not-authorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jid, cond := login(t, srv, tc.mechanism, tc.user, tc.secret)
			if cond != tc.wantCondition {
				t.Fatalf("login = %q, failure %q; want failure %q", jid, cond, tc.wantCondition)
			}
			if tc.wantCondition == "" && !strings.HasPrefix(jid, alice+"/") {
				t.Errorf("bound JID = %q, want %s/…", jid, alice)
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

	// The user revokes the app (in chat, through the core).
	grants, err := e.p.Grants(t.Context(), alice)
	if err != nil {
		t.Fatalf("Grants: %v", err)
	}
	revoked := 0
	for _, g := range grants {
		if g.ClientID == e.cfg.ClientID {
			if err := e.p.RevokeGrants(t.Context(), alice, g.ID); err != nil {
				t.Fatalf("RevokeGrants: %v", err)
			}
			revoked++
		}
	}
	if revoked != 1 {
		t.Fatalf("revoked %d grants of the app, want 1", revoked)
	}
	if jid, cond := login(t, srv, "X-OAUTH2", "alice", access); cond != "not-authorized" {
		t.Errorf("login with a revoked token = %q, failure %q; want not-authorized", jid, cond)
	}
	if err := gosrcLogin(t, srv, access); err == nil {
		t.Errorf("gosrc.io/xmpp login with a revoked token succeeded")
	}
	if got := callAPI(t, srv, access); got != http.StatusUnauthorized {
		t.Errorf("mod_http_api with a revoked token = %d, want 401", got)
	}
	if _, cond := login(t, srv, "PLAIN", "alice", alicePassword); cond != "" {
		t.Errorf("password login after revocation failed: %s", cond)
	}
}

// TestIntegrationEjabberdWrongSecret shows that xmppoauth answers no token
// question from an ejabberd that does not know the shared secret.
func TestIntegrationEjabberdWrongSecret(t *testing.T) {
	e, srv := startEjabberd(t, "e2e-not-the-right-secret")
	access := e.deviceToken(oauth.ScopeXMPP).AccessToken
	if jid, cond := login(t, srv, "X-OAUTH2", "alice", access); cond != "not-authorized" {
		t.Errorf("login through a backend with the wrong secret = %q, failure %q; want not-authorized", jid, cond)
	}
}
