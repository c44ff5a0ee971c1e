package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// codeChallengeRE is an S256 challenge: base64url of 32 bytes (RFC 7636 §4.2).
var codeChallengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// codeVerifierRE is a code verifier (RFC 7636 §4.1).
var codeVerifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// ParseAuthorize validates an authorization request (RFC 6749 §4.1.1, RFC 7636,
// OIDC Core §3.1.2.1). A plain *Error must be shown to the user; a
// *RedirectError may be sent to the client's redirect URI, because by then the
// client and redirect URI are known to be valid (RFC 6749 §4.1.2.1).
func (p *Provider) ParseAuthorize(ctx context.Context, params map[string][]string) (AuthorizeRequest, Client, error) {
	one := func(k string) (string, bool) {
		v := params[k]
		if len(v) > 1 {
			return "", false
		}
		if len(v) == 0 {
			return "", true
		}
		return v[0], true
	}
	clientID, ok1 := one("client_id")
	redirectURI, ok2 := one("redirect_uri")
	if !ok1 || !ok2 {
		return AuthorizeRequest{}, Client{}, Errorf(InvalidRequest, "client_id and redirect_uri must not be repeated")
	}
	if clientID == "" {
		return AuthorizeRequest{}, Client{}, Errorf(InvalidRequest, "the request has no client_id")
	}
	c, err := p.store.GetClient(ctx, clientID)
	if errors.Is(err, ErrNotFound) {
		return AuthorizeRequest{}, Client{}, Errorf(InvalidClient, "no application is registered with this client_id")
	}
	if err != nil {
		return AuthorizeRequest{}, Client{}, fmt.Errorf("authorize: get client: %w", err)
	}
	omitted := redirectURI == ""
	if omitted {
		if len(c.RedirectURIs) != 1 {
			return AuthorizeRequest{}, Client{}, Errorf(InvalidRequest, "the request has no redirect_uri")
		}
		redirectURI = c.RedirectURIs[0]
	}
	if !redirectMatches(c.RedirectURIs, redirectURI) {
		return AuthorizeRequest{}, Client{}, Errorf(InvalidRequest, "the redirect_uri is not registered for this application")
	}
	state, okState := one("state")
	fail := func(code, format string, args ...any) (AuthorizeRequest, Client, error) {
		return AuthorizeRequest{}, Client{}, &RedirectError{Err: Errorf(code, format, args...), RedirectURI: redirectURI, State: state, ResponseMode: "query"}
	}
	for k, v := range params {
		if len(v) > 1 {
			return fail(InvalidRequest, "parameter %s must not be repeated", k)
		}
	}
	if !okState {
		return fail(InvalidRequest, "parameter state must not be repeated")
	}
	get := func(k string) string { v, _ := one(k); return v }
	if get("request") != "" {
		return fail(RequestNotSupported, "request objects are not supported")
	}
	if get("request_uri") != "" {
		return fail("request_uri_not_supported", "request_uri is not supported")
	}
	if rt := get("response_type"); rt != "code" {
		if rt == "" {
			return fail(InvalidRequest, "response_type is required")
		}
		return fail(UnsupportedResponseType, "only response_type=code is supported")
	}
	if rm := get("response_mode"); rm != "" && rm != "query" {
		return fail(InvalidRequest, "only response_mode=query is supported")
	}
	if !p.grantTypes[GrantAuthorizationCode] || !slices.Contains(c.GrantTypes, GrantAuthorizationCode) {
		return fail(UnauthorizedClient, "this application may not use the authorization code flow")
	}
	challenge, method := get("code_challenge"), get("code_challenge_method")
	if challenge == "" {
		return fail(InvalidRequest, "PKCE is required: send code_challenge with code_challenge_method=S256")
	}
	if method != "S256" {
		// A missing method means "plain" (RFC 7636 §4.3), which RFC 9700 §2.1.1 rules out.
		return fail(InvalidRequest, "code_challenge_method must be S256")
	}
	if !codeChallengeRE.MatchString(challenge) {
		return fail(InvalidRequest, "code_challenge is not a base64url SHA-256 value")
	}
	if len(state) > 1024 {
		return fail(InvalidRequest, "state is too long")
	}
	nonce := get("nonce")
	if len(nonce) > 512 {
		return fail(InvalidRequest, "nonce is too long")
	}
	scopes, err := p.parseScope(c, get("scope"))
	if err != nil {
		e, _ := AsError(err)
		return fail(e.Code, "%s", e.Description)
	}
	prompt := get("prompt")
	for _, pr := range strings.Fields(prompt) {
		switch pr {
		case "none":
			// Every sign-in is approved by the user in chat, so nothing can
			// happen without interaction (OIDC Core §3.1.2.6).
			return fail(LoginRequired, "signing in needs the user's approval in their chat client")
		case "login", "consent", "select_account":
		default:
			return fail(InvalidRequest, "unknown prompt value %q", pr)
		}
	}
	req := AuthorizeRequest{
		ClientID: c.ID, RedirectURI: redirectURI, RedirectOmitted: omitted, ResponseType: "code", Scopes: scopes,
		State: state, Nonce: nonce, CodeChallenge: challenge, CodeChallengeMethod: method,
		Prompt: prompt, LoginHint: get("login_hint"),
	}
	return req, c, nil
}

// signInCodeAlphabet has no vowels (no words) and no look-alike characters,
// as RFC 8628 §6.1 suggests for user codes.
const signInCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

func randomLetters(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		// 256 = 12*20 + 16: drop the biased top values by redrawing.
		for b[i] >= 240 {
			var one [1]byte
			_, _ = rand.Read(one[:])
			b[i] = one[0]
		}
		b[i] = signInCodeAlphabet[int(b[i])%len(signInCodeAlphabet)]
	}
	return string(b)
}

// StartSignIn creates a sign-in request for jid and pushes it to the user's
// chat client. The browser then waits on the sign-in's ID.
func (p *Provider) StartSignIn(ctx context.Context, req AuthorizeRequest, jid string) (SignIn, error) {
	jid = NormalizeJID(jid)
	if err := p.CheckUser(jid); err != nil {
		return SignIn{}, err
	}
	c, err := p.store.GetClient(ctx, req.ClientID)
	if err != nil {
		return SignIn{}, fmt.Errorf("start sign-in: get client: %w", err)
	}
	if !redirectMatches(c.RedirectURIs, req.RedirectURI) || req.CodeChallengeMethod != "S256" || !codeChallengeRE.MatchString(req.CodeChallenge) {
		return SignIn{}, Errorf(InvalidRequest, "the authorization request is not valid")
	}
	if ok, wait := p.pushes.Allow(jid); !ok {
		return SignIn{}, tooMany("too many sign-in requests for "+jid, wait)
	}
	now := p.now()
	s := SignIn{
		ID:      string(newSecret()),
		Code:    randomLetters(3) + "-" + randomLetters(3),
		JID:     jid,
		Request: req,
		State:   SignInPending,
		Created: now,
		Expiry:  now.Add(p.cfg.SignInTTL),
	}
	if err := p.store.CreateSignIn(ctx, s); err != nil {
		return SignIn{}, fmt.Errorf("start sign-in: %w", err)
	}
	p.log.InfoContext(ctx, "sign-in requested", "jid", jid, "client_id", c.ID, "code", s.Code)
	if p.cfg.Notifier != nil {
		n := SignInNotice{ID: s.ID, Code: s.Code, JID: jid, App: appInfo(c), Scopes: p.scopeInfos(req.Scopes),
			URL: p.cfg.Issuer + "/authorize/wait/" + url.PathEscape(s.ID), ExpiresAt: s.Expiry}
		if err := p.cfg.Notifier.NotifySignIn(ctx, n); err != nil {
			// The user can still answer through the "Pending sign-ins" command.
			p.log.WarnContext(ctx, "could not push sign-in to chat", "jid", jid, "err", err)
		}
	}
	return s, nil
}

// GetSignIn returns a sign-in request by ID.
func (p *Provider) GetSignIn(ctx context.Context, id string) (SignIn, error) {
	s, err := p.store.GetSignIn(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return SignIn{}, Errorf(InvalidRequest, "this sign-in request does not exist or has expired")
	}
	if err != nil {
		return SignIn{}, fmt.Errorf("get sign-in: %w", err)
	}
	return s, nil
}

// normalizeCode upper-cases a code and drops everything but letters and
// digits, so "kxt-4pq", "KXT 4PQ" and "KXT4PQ" match (RFC 8628 §6.1).
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DecideSignIn approves or denies a pending sign-in of jid; ref is the
// sign-in's ID or its short code. Only the user it was made for can decide it.
func (p *Provider) DecideSignIn(ctx context.Context, jid, ref string, approve bool) (SignIn, error) {
	jid = NormalizeJID(jid)
	if err := p.CheckUser(jid); err != nil {
		return SignIn{}, err
	}
	notFound := Errorf(InvalidRequest, "you have no pending sign-in with code %q", ref)
	id := ref
	if code := normalizeCode(ref); len(code) <= 8 {
		list, err := p.store.ListSignInsByUser(ctx, jid)
		if err != nil {
			return SignIn{}, fmt.Errorf("decide sign-in: %w", err)
		}
		id = ""
		answered := ""
		for _, s := range list {
			switch {
			case normalizeCode(s.Code) != code:
			case s.State == SignInPending:
				id = s.ID
			default:
				answered = s.Code
			}
		}
		if id == "" && answered != "" {
			return SignIn{}, Errorf(InvalidRequest, "sign-in %s was already answered", answered)
		}
		if id == "" {
			return SignIn{}, notFound
		}
	}
	now := p.now()
	s, err := p.store.UpdateSignIn(ctx, id, func(s SignIn) (SignIn, error) {
		if s.JID != jid {
			return s, notFound
		}
		if s.State != SignInPending {
			return s, Errorf(InvalidRequest, "this sign-in was already answered")
		}
		if now.After(s.Expiry) {
			return s, Errorf(ExpiredToken, "this sign-in request has expired")
		}
		s.State = SignInDenied
		if approve {
			s.State = SignInApproved
		}
		s.Decided = now
		return s, nil
	})
	if errors.Is(err, ErrNotFound) {
		return SignIn{}, notFound
	}
	if err != nil {
		if _, ok := AsError(err); ok {
			return SignIn{}, err
		}
		return SignIn{}, fmt.Errorf("decide sign-in: %w", err)
	}
	p.log.InfoContext(ctx, "sign-in decided", "jid", jid, "client_id", s.Request.ClientID, "approved", approve)
	return s, nil
}

// PendingSignIns lists the sign-ins waiting for jid, oldest first.
func (p *Provider) PendingSignIns(ctx context.Context, jid string) ([]SignInView, error) {
	jid = NormalizeJID(jid)
	list, err := p.store.ListSignInsByUser(ctx, jid)
	if err != nil {
		return nil, fmt.Errorf("pending sign-ins: %w", err)
	}
	now := p.now()
	var out []SignInView
	for _, s := range list {
		if s.State != SignInPending || now.After(s.Expiry) {
			continue
		}
		v := SignInView{SignIn: s, Scopes: p.scopeInfos(s.Request.Scopes)}
		if c, err := p.store.GetClient(ctx, s.Request.ClientID); err == nil {
			v.App = appInfo(c)
		}
		out = append(out, v)
	}
	return out, nil
}

// FinishSignIn completes a decided sign-in and returns the URL to send the
// browser to: the client's redirect URI with a code (approved) or
// error=access_denied (denied or expired), plus state and iss (RFC 9207).
// A pending sign-in gives an *Error with code AuthorizationPending. A sign-in
// finishes once; later calls give InvalidRequest.
func (p *Provider) FinishSignIn(ctx context.Context, id string) (string, error) {
	s, err := p.ClaimSignIn(ctx, id)
	if err != nil {
		return "", err
	}
	switch s.State {
	case SignInDenied:
		return p.DeniedURL(s.Request, "the user denied the request"), nil
	case SignInPending:
		return p.DeniedURL(s.Request, "the sign-in request expired before the user answered"), nil
	}
	return p.IssueCode(ctx, s.Request, s.JID, s.Decided)
}

func (p *Provider) errorRedirect(req AuthorizeRequest, code, desc string) string {
	return p.redirectWith(req.RedirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {req.State}})
}

// RedirectURL builds the URL sending a *RedirectError to the client.
func (p *Provider) RedirectURL(e *RedirectError) string {
	return p.redirectWith(e.RedirectURI, url.Values{"error": {e.Err.Code}, "error_description": {e.Err.Description}, "state": {e.State}})
}

// redirectWith adds the response parameters and iss (RFC 9207) to the
// redirect URI's query, keeping the query it already has (RFC 6749 §3.1.2).
func (p *Provider) redirectWith(redirectURI string, v url.Values) string {
	if v.Get("state") == "" {
		v.Del("state")
	}
	v.Set("iss", p.cfg.Issuer)
	if redirectURI == oobRedirect {
		return redirectURI + "?" + v.Encode()
	}
	u, err := url.Parse(redirectURI)
	if err != nil {
		return redirectURI
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}
