package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
)

// oobRedirect is the out-of-band redirect URI of native apps without a
// browser redirect: the code is shown to the user to copy.
const oobRedirect = "urn:ietf:wg:oauth:2.0:oob"

// Register registers a client (RFC 7591 §3). initialAccessToken is the bearer
// token presented, or "". Without open registration a configured initial
// access token is required.
func (p *Provider) Register(ctx context.Context, m ClientMetadata, initialAccessToken string) (ClientRegistration, error) {
	if !p.cfg.OpenRegistration && !p.validInitialToken(initialAccessToken) {
		return ClientRegistration{}, Errorf(InvalidToken, "registration requires a valid initial access token")
	}
	now := p.now()
	c := Client{ID: newID(), CreatedAt: now, UpdatedAt: now}
	if err := p.applyMetadata(&c, m); err != nil {
		return ClientRegistration{}, err
	}
	reg := ClientRegistration{RegistrationToken: newSecret()}
	c.RegistrationTokenHash = hashSecret(string(reg.RegistrationToken))
	if !c.Public() {
		reg.Secret = newSecret()
		c.SecretHash = hashSecret(string(reg.Secret))
	}
	if err := p.store.CreateClient(ctx, c); err != nil {
		return ClientRegistration{}, fmt.Errorf("register client: %w", err)
	}
	reg.Client = c
	p.log.InfoContext(ctx, "client registered", "client_id", c.ID, "client_name", c.Name, "application_type", c.ApplicationType)
	return reg, nil
}

func (p *Provider) validInitialToken(tok string) bool {
	if tok == "" {
		return false
	}
	ok := false
	for _, t := range p.cfg.InitialAccessTokens {
		if t != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(t)) == 1 {
			ok = true
		}
	}
	return ok
}

// clientForRegistration checks the registration access token of RFC 7592 §3.
func (p *Provider) clientForRegistration(ctx context.Context, clientID, regToken string) (Client, error) {
	c, err := p.store.GetClient(ctx, clientID)
	if errors.Is(err, ErrNotFound) {
		// RFC 7592 §2.1: an unknown client is answered like a bad token, so
		// that the endpoint does not reveal which client IDs exist.
		return Client{}, Errorf(InvalidToken, "the registration access token is not valid for this client")
	}
	if err != nil {
		return Client{}, fmt.Errorf("get client: %w", err)
	}
	if !secretMatches(regToken, c.RegistrationTokenHash) {
		return Client{}, Errorf(InvalidToken, "the registration access token is not valid for this client")
	}
	return c, nil
}

// ReadRegistration returns a client's registration (RFC 7592 §2.1).
func (p *Provider) ReadRegistration(ctx context.Context, clientID, regToken string) (Client, error) {
	return p.clientForRegistration(ctx, clientID, regToken)
}

// UpdateRegistration replaces a client's metadata (RFC 7592 §2.2). The client
// keeps its ID, secret and registration token; changing the authentication
// method between "none" and a secret method issues or drops the secret.
func (p *Provider) UpdateRegistration(ctx context.Context, clientID, regToken string, m ClientMetadata) (ClientRegistration, error) {
	if _, err := p.clientForRegistration(ctx, clientID, regToken); err != nil {
		return ClientRegistration{}, err
	}
	var reg ClientRegistration
	c, err := p.store.UpdateClient(ctx, clientID, func(c Client) (Client, error) {
		reg = ClientRegistration{}
		wasPublic := c.Public()
		if err := p.applyMetadata(&c, m); err != nil {
			return c, err
		}
		switch {
		case c.Public():
			c.SecretHash = nil
		case wasPublic:
			reg.Secret = newSecret()
			c.SecretHash = hashSecret(string(reg.Secret))
		}
		c.UpdatedAt = p.now()
		return c, nil
	})
	if err != nil {
		if _, ok := AsError(err); ok {
			return ClientRegistration{}, err
		}
		return ClientRegistration{}, fmt.Errorf("update client %s: %w", clientID, err)
	}
	reg.Client = c
	p.log.InfoContext(ctx, "client updated", "client_id", c.ID)
	return reg, nil
}

// DeleteRegistration deletes a client and all it was given (RFC 7592 §2.3).
func (p *Provider) DeleteRegistration(ctx context.Context, clientID, regToken string) error {
	if _, err := p.clientForRegistration(ctx, clientID, regToken); err != nil {
		return err
	}
	return p.DeleteClient(ctx, clientID)
}

// DeleteClient deletes a client and ends all its grants.
func (p *Provider) DeleteClient(ctx context.Context, id string) error {
	if err := p.store.DeleteClient(ctx, id); err != nil {
		return fmt.Errorf("delete client %s: %w", id, err)
	}
	p.log.InfoContext(ctx, "client deleted", "client_id", id)
	return nil
}

// Clients lists registered clients.
func (p *Provider) Clients(ctx context.Context) ([]Client, error) {
	cs, err := p.store.ListClients(ctx)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return cs, nil
}

// AuthenticateClient checks a client's credentials against its registered
// token_endpoint_auth_method (RFC 6749 §2.3). Every failure is invalid_client.
//
// Failures of a confidential client (a wrong secret or the wrong method)
// count against Limits.ClientAuthFailures for its client_id. Beyond the
// limit, a failure is still invalid_client but carries RetryAfter, which the
// HTTP side sends as 429 with Retry-After, telling a misconfigured or
// hostile caller to back off; and each counted failure is logged, so the
// log holds at most the limit's count of lines per client and window.
//
// Credentials that are right are never refused, even over the limit: the
// client_id is public, so refusing them would let anyone lock a client out
// for as long as they keep failing on its behalf, and the secrets are 256
// random bits (newSecret), which no rate of guessing can find. Unknown
// client_ids and public clients are not counted: they have no secret to
// guess, and counting made-up ids would only fill the limiter.
func (p *Provider) AuthenticateClient(ctx context.Context, cred ClientCredentials) (Client, error) {
	if cred.ID == "" {
		return Client{}, Errorf(InvalidClient, "client authentication failed: no client_id")
	}
	c, err := p.store.GetClient(ctx, cred.ID)
	if errors.Is(err, ErrNotFound) {
		return Client{}, Errorf(InvalidClient, "client authentication failed: unknown client")
	}
	if err != nil {
		return Client{}, fmt.Errorf("authenticate client: %w", err)
	}
	if c.Public() {
		if cred.Secret != "" || cred.Method != AuthNone {
			return Client{}, Errorf(InvalidClient, "client authentication failed: this client is registered without a secret")
		}
		return c, nil
	}
	if cred.Method != c.TokenEndpointAuthMethod {
		return Client{}, p.authFailed(ctx, c.ID, fmt.Sprintf("this client must authenticate with %s", c.TokenEndpointAuthMethod))
	}
	if !secretMatches(cred.Secret, c.SecretHash) {
		return Client{}, p.authFailed(ctx, c.ID, "wrong secret")
	}
	if !c.SecretExpiresAt.IsZero() && p.now().After(c.SecretExpiresAt) {
		return Client{}, Errorf(InvalidClient, "client authentication failed: the secret has expired")
	}
	return c, nil
}

// authFailed counts a failed authentication of the confidential client id
// and returns its invalid_client error, with RetryAfter once the client is
// over Limits.ClientAuthFailures.
func (p *Provider) authFailed(ctx context.Context, id, why string) *Error {
	if ok, wait := p.authFails.Allow(id); !ok {
		e := Errorf(InvalidClient, "client authentication failed: too many failures for this client; try again later")
		e.RetryAfter = ratelimit.Seconds(wait)
		return e
	}
	p.log.InfoContext(ctx, "client authentication failed", "client_id", id, "reason", why)
	return Errorf(InvalidClient, "client authentication failed: %s", why)
}

// Metadata returns the client's registered metadata (RFC 7591 §2).
func (c Client) Metadata() ClientMetadata {
	return ClientMetadata{
		RedirectURIs:            c.RedirectURIs,
		TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
		GrantTypes:              c.GrantTypes,
		ResponseTypes:           c.ResponseTypes,
		ClientName:              c.Name,
		ClientURI:               c.ClientURI,
		LogoURI:                 c.LogoURI,
		Scope:                   c.Scope,
		Contacts:                c.Contacts,
		TOSURI:                  c.TOSURI,
		PolicyURI:               c.PolicyURI,
		SoftwareID:              c.SoftwareID,
		SoftwareVersion:         c.SoftwareVersion,
		ApplicationType:         c.ApplicationType,
	}
}

func badMetadata(format string, args ...any) *Error {
	return Errorf(InvalidClientMetadata, format, args...)
}

// applyMetadata validates m and copies it into c, filling RFC 7591 defaults.
func (p *Provider) applyMetadata(c *Client, m ClientMetadata) error {
	if strings.TrimSpace(m.ClientName) == "" {
		return badMetadata("client_name is required")
	}
	if len(m.ClientName) > 200 {
		return badMetadata("client_name is longer than 200 characters")
	}
	// Users decide on what the name says, in chat and on the web: it must
	// read as one line, as it is (see AppInfo.Label).
	if err := checkShownName(m.ClientName); err != nil {
		return badMetadata("%v", err)
	}
	appType := m.ApplicationType
	if appType == "" {
		appType = AppWeb // OIDC Dynamic Client Registration §2 default
	}
	if appType != AppWeb && appType != AppNative {
		return badMetadata("application_type must be %q or %q", AppWeb, AppNative)
	}
	var clientHost string
	if m.ClientURI != "" {
		u, err := parseHTTPS(m.ClientURI)
		if err != nil {
			return badMetadata("client_uri: %v", err)
		}
		// Users are shown the host in its ASCII form (AppInfo.Label), so
		// it must have one.
		if _, err := hostASCII(u.Hostname()); err != nil {
			return badMetadata("client_uri: %v", err)
		}
		clientHost = strings.ToLower(u.Hostname())
	}
	for _, f := range []struct{ name, value string }{{"tos_uri", m.TOSURI}, {"policy_uri", m.PolicyURI}, {"logo_uri", m.LogoURI}} {
		if f.value == "" {
			continue
		}
		u, err := parseHTTPS(f.value)
		if err != nil {
			return badMetadata("%s: %v", f.name, err)
		}
		if f.name != "logo_uri" {
			if clientHost == "" {
				return badMetadata("%s requires client_uri, on whose host it must be", f.name)
			}
			if strings.ToLower(u.Hostname()) != clientHost {
				return badMetadata("%s must be on the client_uri's host %s", f.name, clientHost)
			}
		}
	}
	if len(m.RedirectURIs) > 20 {
		return badMetadata("at most 20 redirect_uris")
	}
	for _, r := range m.RedirectURIs {
		if err := checkRedirectURI(appType, clientHost, r); err != nil {
			return Errorf(InvalidRedirectURI, "%s: %v", r, err)
		}
	}
	method := m.TokenEndpointAuthMethod
	if method == "" {
		method = AuthClientSecretBasic // RFC 7591 §2 default
	}
	switch method {
	case AuthNone, AuthClientSecretBasic, AuthClientSecretPost:
	default:
		return badMetadata("token_endpoint_auth_method %q is not supported; use none, client_secret_basic or client_secret_post", method)
	}
	grants := m.GrantTypes
	if len(grants) == 0 {
		grants = []string{GrantAuthorizationCode} // RFC 7591 §2 default
	}
	for _, g := range grants {
		if !p.grantTypes[g] {
			return badMetadata("grant type %q is not supported by this server", g)
		}
		if g == GrantClientCredentials && method == AuthNone {
			return badMetadata("client_credentials needs a client that authenticates (token_endpoint_auth_method is none)")
		}
	}
	responses := m.ResponseTypes
	hasCode := slices.Contains(grants, GrantAuthorizationCode)
	if len(responses) == 0 && hasCode {
		responses = []string{"code"}
	}
	for _, r := range responses {
		if r != "code" {
			return badMetadata("response type %q is not supported; only \"code\"", r)
		}
	}
	// RFC 7591 §2.1: grant_types and response_types must agree.
	if hasCode != (len(responses) > 0) {
		return badMetadata("response_types [code] and grant type authorization_code go together")
	}
	if hasCode && len(m.RedirectURIs) == 0 {
		return Errorf(InvalidRedirectURI, "redirect_uris are required for the authorization_code grant")
	}
	if m.Scope != "" {
		for _, s := range strings.Fields(m.Scope) {
			if _, ok := p.scopes[s]; !ok {
				return badMetadata("scope %q is not known to this server", s)
			}
		}
	}
	for _, ct := range m.Contacts {
		if len(ct) > 320 || strings.ContainsAny(ct, "\r\n") {
			return badMetadata("contacts must be e-mail addresses")
		}
	}
	c.Name = strings.TrimSpace(m.ClientName)
	c.ClientURI, c.LogoURI, c.TOSURI, c.PolicyURI = m.ClientURI, m.LogoURI, m.TOSURI, m.PolicyURI
	c.SoftwareID, c.SoftwareVersion, c.Contacts = m.SoftwareID, m.SoftwareVersion, m.Contacts
	c.ApplicationType = appType
	c.RedirectURIs = m.RedirectURIs
	c.GrantTypes = grants
	c.ResponseTypes = responses
	c.TokenEndpointAuthMethod = method
	c.Scope = strings.Join(strings.Fields(m.Scope), " ")
	return nil
}

func parseHTTPS(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL")
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("must be an https URL")
	}
	if u.User != nil {
		return nil, fmt.Errorf("must not contain user information")
	}
	return u, nil
}

// checkRedirectURI applies the redirect URI rules: web clients use https on
// the client_uri's host; native clients (RFC 8252) use a loopback IP literal
// over http with any port (§7.3), a private-use reverse-DNS scheme (§7.1),
// https on the client_uri's host (§7.2), or the out-of-band URN. No client may
// register javascript:, data: or a fragment (RFC 6749 §3.1.2).
func checkRedirectURI(appType, clientHost, raw string) error {
	if raw == oobRedirect {
		if appType != AppNative {
			return errors.New("the out-of-band URI is for native applications")
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return errors.New("not an absolute URI")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not contain a fragment")
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return fmt.Errorf("the %s: scheme is not allowed", scheme)
	}
	if u.User != nil {
		return errors.New("must not contain user information")
	}
	switch {
	case scheme == "https":
		if u.Host == "" {
			return errors.New("https URI without a host")
		}
		if clientHost == "" {
			return errors.New("https redirect URIs require client_uri, on whose host they must be")
		}
		if strings.ToLower(u.Hostname()) != clientHost {
			return fmt.Errorf("must be on the client_uri's host %s", clientHost)
		}
		return nil
	case appType == AppWeb:
		return errors.New("web applications must use https")
	case scheme == "http":
		ip := net.ParseIP(u.Hostname())
		if ip == nil || !ip.IsLoopback() {
			return errors.New("native applications may use http only on a loopback IP literal (127.0.0.1 or [::1])")
		}
		return nil
	default:
		// RFC 8252 §7.1: a private-use scheme in reverse domain name form.
		if !strings.Contains(scheme, ".") {
			return errors.New("private-use URI schemes must be in reverse domain name form (e.g. com.example.app)")
		}
		if u.Host != "" {
			return errors.New("private-use scheme URIs have a single slash after the scheme (com.example.app:/callback)")
		}
		return nil
	}
}

// redirectMatches compares a requested redirect URI with the registered ones:
// exactly, except that the port of a loopback IP redirect may differ
// (RFC 8252 §7.3). Only the port: a loopback URI with user information or a
// fragment (which no registered URI has, RFC 6749 §3.1.2) does not match.
func redirectMatches(registered []string, requested string) bool {
	for _, r := range registered {
		if r == requested {
			return true
		}
	}
	ru, err := url.Parse(requested)
	if err != nil || ru.Scheme != "http" || ru.User != nil || strings.Contains(requested, "#") {
		return false
	}
	ip := net.ParseIP(ru.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, r := range registered {
		gu, err := url.Parse(r)
		if err != nil || gu.Scheme != "http" || gu.Hostname() != ru.Hostname() {
			continue
		}
		if gu.Path == ru.Path && gu.RawQuery == ru.RawQuery {
			return true
		}
	}
	return false
}

// appInfo is what users are shown about a client.
func appInfo(c Client) AppInfo { return c.App() }

// App returns what users are shown about the client; show it with
// [AppInfo.Label].
func (c Client) App() AppInfo {
	return AppInfo{ClientID: c.ID, Name: c.Name, URI: c.ClientURI, LogoURI: c.LogoURI, TOSURI: c.TOSURI, PolicyURI: c.PolicyURI}
}

// scopeInfos describes scopes in plain words.
func (p *Provider) scopeInfos(scopes []string) []ScopeInfo {
	out := make([]ScopeInfo, 0, len(scopes))
	for _, s := range scopes {
		out = append(out, ScopeInfo{Name: s, Description: p.scopes[s]})
	}
	return out
}
