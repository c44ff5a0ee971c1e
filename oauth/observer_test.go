package oauth_test

import (
	"maps"
	"sync"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// countingObserver records the observer's calls.
type countingObserver struct {
	mu     sync.Mutex
	issued map[string]int
}

func (o *countingObserver) TokenIssued(grantType string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.issued[grantType]++
}

func (o *countingObserver) counts() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.issued)
}

// TestObserverCountsIssuedTokens checks that each successful token response
// is counted once under its grant type, and that refusals and pending device
// polls are not.
func TestObserverCountsIssuedTokens(t *testing.T) {
	obs := &countingObserver{issued: map[string]int{}}
	e := newEnv(t, func(c *oauth.Config) { c.Observer = obs })
	ctx := t.Context()

	_, cred, first := e.tokens(t, "openid offline_access xmpp")
	if _, err := e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: first.RefreshToken}); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: "not-a-token"}); errCode(err) != oauth.InvalidGrant {
		t.Fatalf("refresh with an unknown token = %v, want invalid_grant", err)
	}

	_, dcred := e.register(t, deviceMeta())
	da, err := e.p.DeviceAuthorize(ctx, dcred, "xmpp")
	if err != nil {
		t.Fatal(err)
	}
	poll := oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode}
	if _, err := e.p.Token(ctx, dcred, poll); errCode(err) != oauth.AuthorizationPending {
		t.Fatalf("poll before approval = %v, want authorization_pending", err)
	}
	if err := e.p.DecideDevice(ctx, alice, da.UserCode, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Token(ctx, dcred, poll); err != nil {
		t.Fatalf("poll after approval: %v", err)
	}

	_, bot := e.register(t, oauth.ClientMetadata{ClientName: "Bot", GrantTypes: []string{oauth.GrantClientCredentials}, Scope: "xmpp:account:read"})
	if _, err := e.p.Token(ctx, bot, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials}); err != nil {
		t.Fatalf("client_credentials: %v", err)
	}
	if _, err := e.p.IssueToken(ctx, oauth.IssueRequest{JID: alice, Scopes: []string{"xmpp"}}); err != nil {
		t.Fatalf("IssueToken: %v", err)
	}

	want := map[string]int{
		oauth.GrantAuthorizationCode: 1,
		oauth.GrantRefreshToken:      1,
		oauth.GrantDeviceCode:        1,
		oauth.GrantClientCredentials: 1,
		oauth.ViaAdmin:               1,
	}
	if got := obs.counts(); !maps.Equal(got, want) {
		t.Errorf("tokens issued = %v, want %v", got, want)
	}
}
