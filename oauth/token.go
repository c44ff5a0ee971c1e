package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token runs the token endpoint (RFC 6749 §3.2). Every grant goes through the
// same steps, so none can skip one: (1) the grant type is enabled, (2) the
// client authenticates, (3) the client is registered for the grant type,
// (4) the grant runs, (5) the tokens are issued.
func (p *Provider) Token(ctx context.Context, cred ClientCredentials, req TokenRequest) (TokenResponse, error) {
	if req.GrantType == "" {
		return TokenResponse{}, Errorf(InvalidRequest, "grant_type is required")
	}
	if !p.grantTypes[req.GrantType] {
		return TokenResponse{}, Errorf(UnsupportedGrantType, "grant type %q is not supported", req.GrantType)
	}
	c, err := p.AuthenticateClient(ctx, cred)
	if err != nil {
		return TokenResponse{}, err
	}
	if !slices.Contains(c.GrantTypes, req.GrantType) {
		return TokenResponse{}, Errorf(UnauthorizedClient, "this client is not registered for the %s grant", req.GrantType)
	}
	var resp TokenResponse
	switch req.GrantType {
	case GrantAuthorizationCode:
		resp, err = p.exchangeCode(ctx, c, req)
	case GrantRefreshToken:
		resp, err = p.refresh(ctx, c, req)
	case GrantDeviceCode:
		resp, err = p.pollDevice(ctx, c, req)
	default: // GrantClientCredentials
		resp, err = p.clientCredentials(ctx, c, req)
	}
	if err != nil {
		return TokenResponse{}, err
	}
	p.tokenIssued(req.GrantType)
	return resp, nil
}

// issueOptions say what to issue besides the access token.
type issueOptions struct {
	refresh  bool
	idToken  bool
	nonce    string
	authTime time.Time
	// accessTTL replaces the configured access token lifetime when set
	// (tokens an admin issues with IssueToken).
	accessTTL time.Duration
}

// issued is a token response with the records to store for it.
type issued struct {
	resp    TokenResponse
	records []Token
}

// accessClaims are the claims of an RFC 9068 JWT access token.
type accessClaims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	AuthTime int64  `json:"auth_time,omitempty"`
	JID      string `json:"jid,omitempty"`
}

// idClaims are the claims of an OIDC ID token (OIDC Core §2).
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime          int64  `json:"auth_time,omitempty"`
	Nonce             string `json:"nonce,omitempty"`
	AtHash            string `json:"at_hash,omitempty"`
	Azp               string `json:"azp,omitempty"`
	JID               string `json:"jid,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Name              string `json:"name,omitempty"`
}

// issue mints an access token (and a refresh token and ID token as asked)
// under grant g. The caller stores the records.
func (p *Provider) issue(ctx context.Context, g Grant, scopes []string, o issueOptions) (issued, error) {
	now := p.now()
	ttl := p.cfg.AccessTokenTTL
	if o.accessTTL > 0 {
		ttl = o.accessTTL
	}
	exp := now.Add(ttl)
	jti := newID()
	sub := g.JID
	if sub == "" {
		sub = g.ClientID // client_credentials: the client acts for itself (RFC 9068 §2.2)
	}
	scope := strings.Join(scopes, " ")
	ac := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: p.cfg.Issuer, Subject: sub, Audience: jwt.ClaimStrings{p.cfg.Issuer},
			ExpiresAt: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(now), ID: jti,
		},
		ClientID: g.ClientID, Scope: scope, JID: g.JID,
	}
	if !o.authTime.IsZero() {
		ac.AuthTime = o.authTime.Unix()
	}
	at, err := p.sign(ctx, AlgES256, "at+jwt", ac)
	if err != nil {
		return issued{}, fmt.Errorf("issue access token: %w", err)
	}
	out := issued{
		resp: TokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second), Scope: scope},
		records: []Token{{
			Hash: hashSecret(at), ID: jti, Kind: KindAccess, GrantID: g.ID, ClientID: g.ClientID, JID: g.JID,
			Scopes: scopes, IssuedAt: now, Expiry: exp, AuthTime: o.authTime,
		}},
	}
	if o.refresh {
		rt := newSecret()
		out.resp.RefreshToken = string(rt)
		out.records = append(out.records, Token{
			Hash: hashSecret(string(rt)), ID: newID(), Kind: KindRefresh, GrantID: g.ID, ClientID: g.ClientID, JID: g.JID,
			Scopes: scopes, IssuedAt: now, Expiry: now.Add(p.cfg.RefreshTokenTTL), AuthTime: o.authTime,
		})
	}
	if o.idToken && g.JID != "" {
		h := sha256.Sum256([]byte(at))
		local, _, _ := strings.Cut(g.JID, "@")
		ic := idClaims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: p.cfg.Issuer, Subject: g.JID, Audience: jwt.ClaimStrings{g.ClientID},
				ExpiresAt: jwt.NewNumericDate(now.Add(p.cfg.IDTokenTTL)), IssuedAt: jwt.NewNumericDate(now),
			},
			Nonce:  o.nonce,
			AtHash: base64.RawURLEncoding.EncodeToString(h[:16]), // OIDC Core §3.1.3.6
			Azp:    g.ClientID, JID: g.JID, PreferredUsername: local,
		}
		if !o.authTime.IsZero() {
			ic.AuthTime = o.authTime.Unix()
		}
		if slices.Contains(scopes, ScopeProfile) {
			ic.Name = local
		}
		idt, err := p.sign(ctx, AlgRS256, "", ic)
		if err != nil {
			return issued{}, fmt.Errorf("issue ID token: %w", err)
		}
		out.resp.IDToken = idt
	}
	return out, nil
}

// wantsRefresh: refresh tokens only with offline_access (OIDC Core §11), or
// for device clients, which cannot ask the user again cheaply.
func (p *Provider) wantsRefresh(c Client, scopes []string, device bool) bool {
	if !p.grantTypes[GrantRefreshToken] || !slices.Contains(c.GrantTypes, GrantRefreshToken) {
		return false
	}
	return device || slices.Contains(scopes, ScopeOfflineAccess)
}

// store the records of an issue; a grant deleted meanwhile makes it invalid_grant.
func (p *Provider) save(ctx context.Context, is issued) error {
	err := p.store.CreateTokens(ctx, is.records...)
	if errors.Is(err, ErrNotFound) {
		return Errorf(InvalidGrant, "the authorization was revoked")
	}
	if err != nil {
		return fmt.Errorf("store tokens: %w", err)
	}
	return nil
}

func hashes(ts []Token) [][]byte {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		out[i] = t.Hash
	}
	return out
}

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6).
// A code works once; a second use is a replay and revokes what the code
// issued (RFC 6749 §4.1.2, RFC 9700 §4.5).
func (p *Provider) exchangeCode(ctx context.Context, c Client, req TokenRequest) (TokenResponse, error) {
	if req.Code == "" {
		return TokenResponse{}, Errorf(InvalidRequest, "code is required")
	}
	if !codeVerifierRE.MatchString(req.CodeVerifier) {
		return TokenResponse{}, Errorf(InvalidRequest, "a code_verifier of 43 to 128 characters is required (PKCE)")
	}
	now := p.now()
	invalid := Errorf(InvalidGrant, "the authorization code is invalid, expired or already used")
	var replay bool
	hash := hashSecret(req.Code)
	// Step 1 spends the code. The update function must not call the store, so
	// the tokens are minted after it, and their hashes recorded in step 3.
	ac, err := p.store.UpdateAuthCode(ctx, hash, func(ac AuthCode) (AuthCode, error) {
		replay = false
		if ac.ClientID != c.ID {
			return ac, invalid
		}
		if ac.Used {
			replay = true
			ac.Replayed = true
			return ac, nil
		}
		if now.After(ac.Expiry) {
			return ac, invalid
		}
		if ac.RedirectURI != req.RedirectURI && !(ac.RedirectOmitted && req.RedirectURI == "") {
			return ac, Errorf(InvalidGrant, "redirect_uri does not match the authorization request")
		}
		sum := sha256.Sum256([]byte(req.CodeVerifier))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.CodeChallenge)) != 1 {
			return ac, Errorf(InvalidGrant, "code_verifier does not match the code_challenge")
		}
		ac.Used = true
		return ac, nil
	})
	if errors.Is(err, ErrNotFound) {
		return TokenResponse{}, invalid
	}
	if err != nil {
		return TokenResponse{}, err
	}
	if replay {
		if err := p.store.DeleteTokens(ctx, ac.IssuedTokens...); err != nil {
			return TokenResponse{}, fmt.Errorf("revoke tokens of replayed code: %w", err)
		}
		p.log.WarnContext(ctx, "authorization code replayed; its tokens are revoked", "client_id", c.ID, "jid", ac.JID)
		return TokenResponse{}, invalid
	}
	// Step 2 mints and stores the tokens.
	g := Grant{ID: ac.GrantID, JID: ac.JID, ClientID: c.ID}
	is, err := p.issue(ctx, g, ac.Scopes, issueOptions{
		refresh: p.wantsRefresh(c, ac.Scopes, false), idToken: slices.Contains(ac.Scopes, ScopeOpenID),
		nonce: ac.Nonce, authTime: ac.AuthTime,
	})
	if err != nil {
		return TokenResponse{}, err
	}
	if err := p.save(ctx, is); err != nil {
		return TokenResponse{}, err
	}
	// Step 3 records what the code issued, for a later replay to revoke. A
	// replay that came between steps 1 and 3 found nothing to revoke but
	// left Replayed set: then revoke here.
	ac, err = p.store.UpdateAuthCode(ctx, hash, func(a AuthCode) (AuthCode, error) {
		a.IssuedTokens = hashes(is.records)
		return a, nil
	})
	if err != nil || ac.Replayed {
		if derr := p.store.DeleteTokens(ctx, hashes(is.records)...); derr != nil {
			return TokenResponse{}, fmt.Errorf("revoke tokens of replayed code: %w", derr)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return TokenResponse{}, fmt.Errorf("record issued tokens: %w", err)
		}
		return TokenResponse{}, invalid
	}
	return is.resp, nil
}

// refresh exchanges a refresh token (RFC 6749 §6). Refresh tokens rotate: the
// presented one is spent, and presenting a spent one again is reuse, which
// revokes the whole grant (RFC 9700 §4.14.2). The scope may narrow, not widen.
// No ID token is returned (OIDC Core §12.2 allows that), which keeps refresh
// free of RSA signing.
func (p *Provider) refresh(ctx context.Context, c Client, req TokenRequest) (TokenResponse, error) {
	if req.RefreshToken == "" {
		return TokenResponse{}, Errorf(InvalidRequest, "refresh_token is required")
	}
	now := p.now()
	invalid := Errorf(InvalidGrant, "the refresh token is invalid, expired or revoked")
	hash := hashSecret(req.RefreshToken)
	old, err := p.store.GetToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return TokenResponse{}, invalid
	}
	if err != nil {
		return TokenResponse{}, fmt.Errorf("refresh: get token: %w", err)
	}
	if old.Kind != KindRefresh || old.ClientID != c.ID || now.After(old.Expiry) {
		return TokenResponse{}, invalid
	}
	if old.Rotated {
		return TokenResponse{}, p.refreshReused(ctx, old)
	}
	scopes := old.Scopes
	if narrowed := strings.Fields(req.Scope); len(narrowed) > 0 {
		if !subsetOf(narrowed, old.Scopes) {
			return TokenResponse{}, Errorf(InvalidScope, "a refresh may not ask for more scope than was granted")
		}
		scopes = narrowed
	}
	// The token names its grant, user and client; RotateToken checks that
	// the grant still exists.
	g := Grant{ID: old.GrantID, JID: old.JID, ClientID: old.ClientID}
	is, err := p.issue(ctx, g, scopes, issueOptions{refresh: true, authTime: old.AuthTime})
	if err != nil {
		return TokenResponse{}, err
	}
	// The refresh token keeps the grant's original scope, so a narrowed
	// access token does not narrow later refreshes (RFC 6749 §6).
	is.records[1].Scopes = old.Scopes
	// Spending the old token and storing the new ones is one write: a crash
	// cannot leave the client with neither, and two racing refreshes with
	// the same token cannot both win.
	errReused := errors.New("refresh token already rotated")
	_, err = p.store.RotateToken(ctx, hash, func(t Token) (Token, error) {
		if t.Rotated {
			return t, errReused
		}
		t.Rotated = true
		return t, nil
	}, is.records...)
	switch {
	case errors.Is(err, errReused):
		return TokenResponse{}, p.refreshReused(ctx, old)
	case errors.Is(err, ErrNotFound):
		return TokenResponse{}, invalid // the grant was revoked meanwhile
	case err != nil:
		return TokenResponse{}, fmt.Errorf("refresh: rotate: %w", err)
	}
	return is.resp, nil
}

// refreshReused answers the reuse of a rotated refresh token: whoever holds a
// copy may be an attacker, so the whole grant is revoked (RFC 9700 §4.14.2).
func (p *Provider) refreshReused(ctx context.Context, old Token) error {
	if err := p.store.DeleteGrant(ctx, old.GrantID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("revoke grant after refresh token reuse: %w", err)
	}
	p.log.WarnContext(ctx, "refresh token reused; grant revoked", "client_id", old.ClientID, "jid", old.JID, "grant_id", old.GrantID)
	return Errorf(InvalidGrant, "the refresh token was already used; the authorization is revoked")
}

// clientCredentials issues an access token to a confidential client acting
// for itself (RFC 6749 §4.4). No refresh token (§4.4.3), no ID token.
func (p *Provider) clientCredentials(ctx context.Context, c Client, req TokenRequest) (TokenResponse, error) {
	if c.Public() {
		return TokenResponse{}, Errorf(UnauthorizedClient, "client_credentials needs a confidential client")
	}
	if strings.TrimSpace(req.Scope) == "" && c.Scope == "" {
		return TokenResponse{}, Errorf(InvalidScope, "scope is required")
	}
	scopes, err := p.parseScope(c, req.Scope)
	if err != nil {
		return TokenResponse{}, err
	}
	for _, s := range scopes {
		if s == ScopeOpenID || s == ScopeOfflineAccess || s == ScopeProfile {
			return TokenResponse{}, Errorf(InvalidScope, "scope %q needs a user; client_credentials has none", s)
		}
	}
	g, err := p.grantFor(ctx, "", c.ID, scopes, GrantClientCredentials)
	if err != nil {
		return TokenResponse{}, err
	}
	is, err := p.issue(ctx, g, scopes, issueOptions{})
	if err != nil {
		return TokenResponse{}, err
	}
	if err := p.save(ctx, is); err != nil {
		return TokenResponse{}, err
	}
	return is.resp, nil
}
