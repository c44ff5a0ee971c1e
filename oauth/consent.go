package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// The consent step of the browser flow. A web sign-in proves who the user
// is (they approved it in chat); the browser then shows a consent page, and
// only its approval issues the code. A browser that remembers a signed-in
// user goes straight to consent, and consent may be skipped for an app that
// already holds a grant for the same scopes (HasConsent).
//
// FinishSignIn remains the one-step way (sign-in approval is consent); the
// methods here split it in two: ClaimSignIn ends the sign-in, IssueCode
// issues the code once the user consented.

// ClaimSignIn ends a decided sign-in without issuing a code, so the browser
// can go on to the consent step. The returned sign-in has the state it had
// been decided with: SignInApproved (the user proved they are JID, at
// Decided), SignInDenied, or SignInPending when it expired unanswered; in
// the last two cases the client is to get access_denied (DeniedURL).
//
// Like FinishSignIn, a pending sign-in gives an *Error with code
// AuthorizationPending, and a sign-in is claimed or finished once; later
// calls give InvalidRequest.
func (p *Provider) ClaimSignIn(ctx context.Context, id string) (SignIn, error) {
	now := p.now()
	var prev string
	s, err := p.store.UpdateSignIn(ctx, id, func(s SignIn) (SignIn, error) {
		prev = s.State
		switch {
		case s.State == SignInPending && !now.After(s.Expiry):
			return s, Errorf(AuthorizationPending, "waiting for the user's answer")
		case s.State == SignInDone:
			return s, Errorf(InvalidRequest, "this sign-in request was already completed")
		}
		s.State = SignInDone
		return s, nil
	})
	if errors.Is(err, ErrNotFound) {
		return SignIn{}, Errorf(InvalidRequest, "this sign-in request does not exist or has expired")
	}
	if err != nil {
		if _, ok := AsError(err); ok {
			return SignIn{}, err
		}
		return SignIn{}, fmt.Errorf("claim sign-in: %w", err)
	}
	s.State = prev
	return s, nil
}

// DeniedURL is where to send the browser when the user denied req, or let
// it expire: the client's redirect URI with error=access_denied, the state
// and iss (RFC 6749 §4.1.2.1, RFC 9207).
func (p *Provider) DeniedURL(req AuthorizeRequest, description string) string {
	return p.errorRedirect(req, AccessDenied, description)
}

// HasConsent reports whether jid already granted the client every scope of
// scopes, so that the consent step may be skipped.
func (p *Provider) HasConsent(ctx context.Context, jid, clientID string, scopes []string) (bool, error) {
	jid = NormalizeJID(jid)
	list, err := p.store.ListGrantsByUser(ctx, jid)
	if err != nil {
		return false, fmt.Errorf("has consent: %w", err)
	}
	for _, g := range list {
		if g.ClientID == clientID && g.JID == jid && subsetOf(scopes, g.Scopes) {
			return true, nil
		}
	}
	return false, nil
}

// IssueCode records that jid consented to req (creating or widening the
// grant, as a sign-in does) and issues an authorization code (RFC 6749
// §4.1.2). authTime is when the user last proved who they are, the ID
// token's auth_time. It returns the URL to send the browser to: the
// client's redirect URI with code, state and iss (RFC 9207).
//
// req must come from ParseAuthorize and jid from a sign-in the user
// approved: IssueCode checks both again, since the caller may hold them for
// a while (in a form, in a cookie).
func (p *Provider) IssueCode(ctx context.Context, req AuthorizeRequest, jid string, authTime time.Time) (string, error) {
	jid = NormalizeJID(jid)
	if err := p.CheckUser(jid); err != nil {
		return "", err
	}
	c, err := p.store.GetClient(ctx, req.ClientID)
	if errors.Is(err, ErrNotFound) {
		return "", Errorf(InvalidClient, "no application is registered with this client_id")
	}
	if err != nil {
		return "", fmt.Errorf("issue code: get client: %w", err)
	}
	if !redirectMatches(c.RedirectURIs, req.RedirectURI) || req.ResponseType != "code" ||
		req.CodeChallengeMethod != "S256" || !codeChallengeRE.MatchString(req.CodeChallenge) {
		return "", Errorf(InvalidRequest, "the authorization request is not valid")
	}
	g, err := p.grantFor(ctx, jid, c.ID, req.Scopes, GrantAuthorizationCode)
	if err != nil {
		return "", err
	}
	now := p.now()
	code := newSecret()
	ac := AuthCode{
		Hash: hashSecret(string(code)), ClientID: c.ID, JID: jid, GrantID: g.ID,
		RedirectURI: req.RedirectURI, RedirectOmitted: req.RedirectOmitted, Scopes: req.Scopes, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: req.CodeChallengeMethod,
		AuthTime: authTime, Expiry: now.Add(p.cfg.AuthCodeTTL),
	}
	if err := p.store.CreateAuthCode(ctx, ac); err != nil {
		return "", fmt.Errorf("issue code: %w", err)
	}
	p.log.InfoContext(ctx, "authorization code issued", "jid", jid, "client_id", c.ID)
	return p.redirectWith(req.RedirectURI, url.Values{"code": {string(code)}, "state": {req.State}}), nil
}

// App returns what a user is shown about a client: its name (its ID when it
// has none), URI, logo, terms and policy.
func (p *Provider) App(ctx context.Context, clientID string) (AppInfo, error) {
	c, err := p.store.GetClient(ctx, clientID)
	if errors.Is(err, ErrNotFound) {
		return AppInfo{}, Errorf(InvalidClient, "no application is registered with this client_id")
	}
	if err != nil {
		return AppInfo{}, fmt.Errorf("app: get client: %w", err)
	}
	a := appInfo(c)
	if a.Name == "" {
		a.Name = c.ID
	}
	return a, nil
}
