package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Tokens an administrator issues for a bot or a script, as ejabberd's
// oauth_issue_token does, without a user's approval in chat. They belong to a
// grant of the user like any other, so the user sees them in "List authorized
// apps" and can revoke them there.

// AdminClientID is the built-in client under which IssueToken issues tokens
// when no client is named. It is registered on first use with the name
// AdminClientName and a secret nobody knows, so no one can authenticate as
// it: its tokens can only be used, not refreshed, introspected or revoked by
// a client.
const AdminClientID = "xmppoauth-admin"

// AdminClientName is the built-in admin client's name, which users see in
// their list of authorized apps.
const AdminClientName = "Issued by the administrator"

// ViaAdmin is the Via of a grant created by IssueToken, and the grant type
// under which an [Observer] counts the tokens it issues.
const ViaAdmin = "admin"

// IssueRequest asks IssueToken for a token.
type IssueRequest struct {
	// JID is the user the token acts for: a bare JID of a user domain.
	JID string
	// Scopes are the token's scopes; at least one, each known to the server
	// (and, with ClientID, within the client's registered scope).
	Scopes []string
	// TTL is the access token's lifetime: the configured access token
	// lifetime when zero, at most MaxIssueTTL.
	TTL time.Duration
	// ClientID names a registered client to issue the token to; the
	// built-in AdminClientID when empty.
	ClientID string
}

// IssuedToken is what IssueToken returns: the token response (with a
// refresh token when the named client may refresh and the scope includes
// offline_access), and where the token belongs.
type IssuedToken struct {
	TokenResponse
	JID       string    `json:"jid"`
	ClientID  string    `json:"client_id"`
	GrantID   string    `json:"grant_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// MaxIssueTTL is the longest lifetime IssueToken gives an access token:
// the refresh token lifetime, the longest any token lives here.
func (p *Provider) MaxIssueTTL() time.Duration { return p.cfg.RefreshTokenTTL }

// IssueToken issues an access token (an RFC 9068 JWT, like every access
// token here) for req.JID without asking the user: for an administrator
// minting a token for a bot or a script. The token lives under the user's
// grant of the client, created or widened as an approval would, so the
// user sees it among their authorized apps and revoking that grant (by the
// user in chat, or RevokeGrants) ends it at once.
//
// A token that lives longer than the configured access token lifetime keeps
// the key that signed it in the JWKS until it expires, even if the keys are
// rotated meanwhile, so resource servers that check the signature keep
// accepting it.
func (p *Provider) IssueToken(ctx context.Context, req IssueRequest) (IssuedToken, error) {
	jid := NormalizeJID(req.JID)
	if err := p.CheckUser(jid); err != nil {
		return IssuedToken{}, err
	}
	ttl := req.TTL
	switch {
	case ttl == 0:
		ttl = p.cfg.AccessTokenTTL
	case ttl < time.Second:
		return IssuedToken{}, Errorf(InvalidRequest, "the token lifetime %s is shorter than a second", ttl)
	case ttl > p.MaxIssueTTL():
		return IssuedToken{}, Errorf(InvalidRequest, "the token lifetime %s is longer than the longest allowed, %s (the refresh token lifetime)", ttl, p.MaxIssueTTL())
	}
	if len(req.Scopes) == 0 {
		return IssuedToken{}, Errorf(InvalidScope, "at least one scope is required")
	}
	c, err := p.issuingClient(ctx, req.ClientID)
	if err != nil {
		return IssuedToken{}, err
	}
	scopes, err := p.parseScope(c, strings.Join(req.Scopes, " "))
	if err != nil {
		return IssuedToken{}, err
	}
	g, err := p.grantFor(ctx, jid, c.ID, scopes, ViaAdmin)
	if err != nil {
		return IssuedToken{}, err
	}
	is, err := p.issue(ctx, g, scopes, issueOptions{
		refresh:   c.ID != AdminClientID && p.wantsRefresh(c, scopes, false),
		authTime:  g.AuthTime,
		accessTTL: ttl,
	})
	if err != nil {
		return IssuedToken{}, err
	}
	exp := is.records[0].Expiry
	if ttl > p.cfg.AccessTokenTTL {
		if err := p.keepKeyUntil(ctx, is.resp.AccessToken, exp); err != nil {
			return IssuedToken{}, err
		}
	}
	if err := p.save(ctx, is); err != nil {
		return IssuedToken{}, err
	}
	p.tokenIssued(ViaAdmin)
	p.log.InfoContext(ctx, "token issued by the administrator", "jid", jid, "client_id", c.ID, "grant_id", g.ID,
		"scope", is.resp.Scope, "expires_at", exp)
	return IssuedToken{TokenResponse: is.resp, JID: jid, ClientID: c.ID, GrantID: g.ID, ExpiresAt: exp}, nil
}

// issuingClient returns the named client, or the built-in admin client,
// registering it on first use.
func (p *Provider) issuingClient(ctx context.Context, id string) (Client, error) {
	if id != "" {
		c, err := p.store.GetClient(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return Client{}, Errorf(InvalidRequest, "there is no client with id %q", id)
		}
		if err != nil {
			return Client{}, fmt.Errorf("get client %q: %w", id, err)
		}
		return c, nil
	}
	c, err := p.store.GetClient(ctx, AdminClientID)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Client{}, fmt.Errorf("get admin client: %w", err)
	}
	now := p.now()
	c = Client{
		ID: AdminClientID, Name: AdminClientName, ApplicationType: AppNative,
		GrantTypes: []string{}, ResponseTypes: []string{},
		// A confidential client whose secret is thrown away: nobody can
		// authenticate as it at the token, revocation or introspection
		// endpoints.
		TokenEndpointAuthMethod: AuthClientSecretBasic, SecretHash: hashSecret(string(newSecret())),
		CreatedAt: now, UpdatedAt: now,
	}
	switch err := p.store.CreateClient(ctx, c); {
	case errors.Is(err, ErrAlreadyExists):
		// Registered concurrently by another call.
		if c, err = p.store.GetClient(ctx, AdminClientID); err != nil {
			return Client{}, fmt.Errorf("get admin client: %w", err)
		}
	case err != nil:
		return Client{}, fmt.Errorf("register admin client: %w", err)
	default:
		p.log.InfoContext(ctx, "admin client registered", "client_id", AdminClientID)
	}
	return c, nil
}

// keepKeyUntil records that the key that signed jwt must stay published
// until exp (Key.SignsUntil), and extends an already retired key's DeleteAt.
func (p *Provider) keepKeyUntil(ctx context.Context, jwt string, exp time.Time) error {
	kid, err := keyIDOf(jwt)
	if err != nil {
		return err
	}
	p.keys.write.Lock()
	defer p.keys.write.Unlock()
	keys, err := p.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("keep signing key: %w", err)
	}
	for _, k := range keys {
		if k.ID != kid {
			continue
		}
		if !exp.After(k.SignsUntil) {
			return nil
		}
		k.SignsUntil = exp
		if !k.DeleteAt.IsZero() && k.DeleteAt.Before(exp) {
			k.DeleteAt = exp
		}
		if err := p.store.PutKey(ctx, k); err != nil {
			return fmt.Errorf("keep signing key %s: %w", kid, err)
		}
		return nil
	}
	return fmt.Errorf("keep signing key: key %s is not stored", kid)
}

// keyIDOf returns the "kid" of a JWS in compact serialization.
func keyIDOf(jws string) (string, error) {
	head, _, _ := strings.Cut(jws, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", fmt.Errorf("read JWS header: %w", err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil || h.Kid == "" {
		return "", fmt.Errorf("read JWS header: no key ID")
	}
	return h.Kid, nil
}

// ClientView is a client as an administrator sees it.
type ClientView struct {
	Client
	// Grants counts the users (or, for client_credentials, the client
	// itself) holding a grant of the client.
	Grants int `json:"grants"`
}

// Client returns the client with this ID and how many grants it has; an
// *Error with code InvalidRequest if there is none.
func (p *Provider) Client(ctx context.Context, id string) (ClientView, error) {
	c, err := p.store.GetClient(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return ClientView{}, Errorf(InvalidRequest, "there is no client with id %q", id)
	}
	if err != nil {
		return ClientView{}, fmt.Errorf("get client %q: %w", id, err)
	}
	gs, err := p.store.ListGrantsByClient(ctx, id)
	if err != nil {
		return ClientView{}, fmt.Errorf("list grants of client %q: %w", id, err)
	}
	return ClientView{Client: c, Grants: len(gs)}, nil
}
