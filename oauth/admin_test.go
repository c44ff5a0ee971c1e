package oauth_test

import (
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

var resourceServer = oauth.ClientCredentials{ID: "api", Secret: "api-secret", Method: oauth.AuthClientSecretBasic}

func TestIssueToken(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	tok, err := e.p.IssueToken(ctx, oauth.IssueRequest{JID: "Alice@Example.TEST", Scopes: []string{"xmpp"}, TTL: 24 * time.Hour})
	if err != nil {
		t.Fatalf("IssueToken() = %v", err)
	}
	if tok.JID != alice || tok.ClientID != oauth.AdminClientID || tok.ExpiresIn != 24*3600 || tok.RefreshToken != "" {
		t.Errorf("IssueToken() = %+v, want alice's token of the admin client for a day without a refresh token", tok)
	}
	in, err := e.p.Introspect(ctx, resourceServer, tok.AccessToken, "")
	if err != nil || !in.Active || in.Username != alice || in.Scope != "xmpp" || in.Exp != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Fatalf("Introspect() = %+v, %v; want active for alice with scope xmpp for a day", in, err)
	}
	if _, err := e.p.ValidateAccessToken(ctx, tok.AccessToken); err != nil {
		t.Errorf("ValidateAccessToken() = %v", err)
	}

	grants, err := e.p.Grants(ctx, alice)
	if err != nil || len(grants) != 1 {
		t.Fatalf("Grants() = %+v, %v; want the admin's grant", grants, err)
	}
	g := grants[0]
	if g.ID != tok.GrantID || g.App.Name != oauth.AdminClientName || g.ActiveTokens != 1 || g.Via != "admin" {
		t.Errorf("Grants()[0] = %+v, want grant %s named %q with 1 live token, via admin", g, tok.GrantID, oauth.AdminClientName)
	}

	// A second token for the same user joins the same grant, widened.
	tok2, err := e.p.IssueToken(ctx, oauth.IssueRequest{JID: alice, Scopes: []string{"openid"}})
	if err != nil || tok2.GrantID != tok.GrantID || tok2.ExpiresIn != 600 {
		t.Fatalf("second IssueToken() = %+v, %v; want the same grant and the default lifetime", tok2, err)
	}
	// Nobody can authenticate as the admin client.
	if _, err := e.p.AuthenticateClient(ctx, oauth.ClientCredentials{ID: oauth.AdminClientID, Method: oauth.AuthNone}); errCode(err) != oauth.InvalidClient {
		t.Errorf("AuthenticateClient(admin client) = %v, want invalid_client", err)
	}

	if err := e.p.RevokeGrants(ctx, alice, tok.GrantID); err != nil {
		t.Fatalf("RevokeGrants() = %v", err)
	}
	for _, at := range []string{tok.AccessToken, tok2.AccessToken} {
		if in, err := e.p.Introspect(ctx, resourceServer, at, ""); err != nil || in.Active {
			t.Errorf("Introspect() after revocation = %+v, %v; want inactive", in, err)
		}
	}
}

func TestIssueTokenToAClient(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	m := webMeta()
	m.Scope = "openid offline_access xmpp"
	c, cred := e.register(t, m)
	tok, err := e.p.IssueToken(ctx, oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp", "offline_access"}, TTL: time.Hour, ClientID: c.ID})
	if err != nil || tok.ClientID != c.ID || tok.RefreshToken == "" {
		t.Fatalf("IssueToken(client) = %+v, %v; want a token of the client with a refresh token", tok, err)
	}
	// The client can use the refresh token and introspect its tokens.
	resp, err := e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: tok.RefreshToken})
	if err != nil || resp.AccessToken == "" {
		t.Fatalf("refresh of the issued token = %+v, %v", resp, err)
	}
	if in, err := e.p.Introspect(ctx, cred, tok.AccessToken, ""); err != nil || !in.Active || in.ClientID != c.ID {
		t.Errorf("Introspect() by the client = %+v, %v; want active", in, err)
	}
	grants, _ := e.p.Grants(ctx, alice)
	if len(grants) != 1 || grants[0].App.Name != m.ClientName {
		t.Errorf("Grants() = %+v, want one grant of %q", grants, m.ClientName)
	}
}

func TestIssueTokenRefusals(t *testing.T) {
	e := newEnv(t)
	m := webMeta()
	m.Scope = "openid"
	narrow, _ := e.register(t, m)
	tests := []struct {
		name string
		req  oauth.IssueRequest
		want string
	}{
		{"other domain", oauth.IssueRequest{JID: "bob@elsewhere.test", Scopes: []string{"xmpp"}}, oauth.AccessDenied},
		{"not a JID", oauth.IssueRequest{JID: "example.test", Scopes: []string{"xmpp"}}, oauth.AccessDenied},
		{"no scope", oauth.IssueRequest{JID: alice}, oauth.InvalidScope},
		{"unknown scope", oauth.IssueRequest{JID: alice, Scopes: []string{"root"}}, oauth.InvalidScope},
		{"beyond the client's scope", oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}, ClientID: narrow.ID}, oauth.InvalidScope},
		{"unknown client", oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}, ClientID: "nope"}, oauth.InvalidRequest},
		{"longer than refresh tokens live", oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}, TTL: e.p.MaxIssueTTL() + time.Second}, oauth.InvalidRequest},
		{"shorter than a second", oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}, TTL: time.Millisecond}, oauth.InvalidRequest},
		{"negative", oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}, TTL: -time.Hour}, oauth.InvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.p.IssueToken(t.Context(), tc.req); errCode(err) != tc.want {
				t.Errorf("IssueToken() = %v, want %s", err, tc.want)
			}
		})
	}
	if grants, _ := e.p.Grants(t.Context(), alice); len(grants) != 0 {
		t.Errorf("refused requests left grants: %+v", grants)
	}
}

// TestIssuedTokenKeepsItsKey: a long-lived token's signing key stays in the
// JWKS after a rotation until the token expires.
func TestIssuedTokenKeepsItsKey(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.p.IssueToken(ctx, oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}, TTL: 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := e.p.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	jwksAfter := func(d time.Duration) int {
		t.Helper()
		e.clock.Advance(d)
		p, err := oauth.New(ctx, oauth.Config{Issuer: issuer, UserDomains: []string{"example.test"}, Now: e.clock.Now}, e.store)
		if err != nil {
			t.Fatal(err)
		}
		set, err := p.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(set.Keys)
	}
	// The ID token key retires as usual; the access token key stays.
	if n := jwksAfter(3 * time.Hour); n != 3 {
		t.Errorf("JWKS 3 hours after the rotation has %d keys, want 3 (new ones and the one that signed the token)", n)
	}
	if n := jwksAfter(7 * 24 * time.Hour); n != 2 {
		t.Errorf("JWKS after the token expired has %d keys, want 2", n)
	}
}
