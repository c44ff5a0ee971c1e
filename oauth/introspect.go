package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// lookupToken returns the live token stored for value, or ok=false.
func (p *Provider) lookupToken(ctx context.Context, value string) (Token, bool, error) {
	if value == "" || len(value) > 8192 {
		return Token{}, false, nil
	}
	t, err := p.store.GetToken(ctx, hashSecret(value))
	if errors.Is(err, ErrNotFound) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("get token: %w", err)
	}
	if t.Rotated || p.now().After(t.Expiry) {
		return t, false, nil
	}
	return t, true, nil
}

// Revoke revokes a token (RFC 7009 §2.1) for an authenticated client. Revoking
// a refresh token ends its whole grant; revoking an access token ends just
// it. Unknown tokens are not an error (§2.2), and the hint is only a hint.
func (p *Provider) Revoke(ctx context.Context, cred ClientCredentials, token, hint string) error {
	c, err := p.AuthenticateClient(ctx, cred)
	if err != nil {
		return err
	}
	if token == "" {
		return Errorf(InvalidRequest, "token is required")
	}
	t, err := p.store.GetToken(ctx, hashSecret(token))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	if t.ClientID != c.ID {
		// §2.1: the server verifies the token was issued to the client.
		return Errorf(UnauthorizedClient, "the token was not issued to this client")
	}
	if t.Kind == KindRefresh {
		if err := p.store.DeleteGrant(ctx, t.GrantID); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("revoke grant: %w", err)
		}
		p.log.InfoContext(ctx, "grant revoked by client", "client_id", c.ID, "jid", t.JID, "grant_id", t.GrantID)
		return nil
	}
	if err := p.store.DeleteTokens(ctx, t.Hash); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// Introspect answers RFC 7662 for a configured resource server or an
// authenticated client. A client only learns about its own tokens (§4): for
// others it gets active=false, as for unknown, expired or revoked tokens.
func (p *Provider) Introspect(ctx context.Context, cred ClientCredentials, token, hint string) (Introspection, error) {
	clientID, all := "", false
	if p.isResourceServer(cred) {
		all = true
	} else {
		c, err := p.AuthenticateClient(ctx, cred)
		if err != nil {
			return Introspection{}, err
		}
		clientID = c.ID
	}
	t, ok, err := p.lookupToken(ctx, token)
	if err != nil {
		return Introspection{}, err
	}
	if !ok || (!all && t.ClientID != clientID) {
		return Introspection{Active: false}, nil
	}
	out := Introspection{
		Active: true, Scope: strings.Join(t.Scopes, " "), ClientID: t.ClientID, Username: t.JID,
		Exp: t.Expiry.Unix(), Iat: t.IssuedAt.Unix(), Sub: t.JID, Iss: p.cfg.Issuer, Jti: t.ID,
		Aud: []string{p.cfg.Issuer},
	}
	if t.JID == "" {
		out.Sub = t.ClientID
	}
	if t.Kind == KindAccess {
		out.TokenType = "Bearer"
	} else {
		out.TokenType = KindRefresh
	}
	return out, nil
}

func (p *Provider) isResourceServer(cred ClientCredentials) bool {
	if cred.ID == "" || cred.Secret == "" || cred.Method == AuthNone {
		return false
	}
	ok := false
	for _, rs := range p.cfg.ResourceServers {
		idOK := subtle.ConstantTimeCompare([]byte(rs.ID), []byte(cred.ID)) == 1
		secretOK := subtle.ConstantTimeCompare([]byte(rs.Secret), []byte(cred.Secret)) == 1
		if idOK && secretOK && rs.Secret != "" {
			ok = true
		}
	}
	return ok
}

// ValidateAccessToken returns the stored record of a live access token, or an
// *Error with code InvalidToken (RFC 6750 §3.1).
func (p *Provider) ValidateAccessToken(ctx context.Context, accessToken string) (Token, error) {
	t, ok, err := p.lookupToken(ctx, accessToken)
	if err != nil {
		return Token{}, err
	}
	if !ok || t.Kind != KindAccess {
		return Token{}, Errorf(InvalidToken, "the access token is invalid, expired or revoked")
	}
	return t, nil
}

// UserInfo returns the OIDC claims (OIDC Core §5.3) for a live access token
// with the openid scope: sub and jid are the bare JID, preferred_username its
// localpart (what Prosody's mod_auth_oauth_external reads by default).
func (p *Provider) UserInfo(ctx context.Context, accessToken string) (map[string]any, error) {
	t, err := p.ValidateAccessToken(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	if t.JID == "" || !slices.Contains(t.Scopes, ScopeOpenID) {
		return nil, Errorf(InsufficientScope, "userinfo needs a user's token with the openid scope")
	}
	local, _, _ := strings.Cut(t.JID, "@")
	claims := map[string]any{"sub": t.JID, "jid": t.JID, "preferred_username": local}
	if slices.Contains(t.Scopes, ScopeProfile) {
		claims["name"] = local
	}
	return claims, nil
}
