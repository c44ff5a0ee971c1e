package oauth

// This file lists the Provider API; bodies move to their own files as they are
// written. (Temporary while the core is being built.)

import (
	"context"
	"time"
)

// Provider is the authorization server. It is safe for concurrent use.
type Provider struct {
	cfg   Config
	store Store
}

// ClientCredentials are what a caller presented to authenticate as a client:
// Method is AuthClientSecretBasic (HTTP Basic), AuthClientSecretPost (form
// body) or AuthNone (client_id only).
type ClientCredentials struct {
	ID     string
	Secret string
	Method string
}

// ClientMetadata is the client metadata of RFC 7591 §2 as JSON.
type ClientMetadata struct {
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	Contacts                []string `json:"contacts,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	SoftwareID              string   `json:"software_id,omitempty"`
	SoftwareVersion         string   `json:"software_version,omitempty"`
	ApplicationType         string   `json:"application_type,omitempty"`
}

// ClientRegistration is the result of registering (or updating) a client.
// Secret and RegistrationToken are set only when newly issued, and are shown
// to the caller once.
type ClientRegistration struct {
	Client            Client
	Secret            Secret
	RegistrationToken Secret
}

// TokenRequest is a token endpoint request (RFC 6749 §4.1.3, §6, §4.4;
// RFC 8628 §3.4), already split into its parameters.
type TokenRequest struct {
	GrantType    string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
	DeviceCode   string
	Scope        string
}

// TokenResponse is a successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// DeviceAuthorization is the device authorization response (RFC 8628 §3.2).
type DeviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// DeviceRequest is what a user is shown before approving a device (RFC 8628 §5.4).
type DeviceRequest struct {
	UserCode  string // formatted XXXX-XXXX
	App       AppInfo
	Scopes    []ScopeInfo
	Created   time.Time
	ExpiresAt time.Time
}

// Introspection is an RFC 7662 §2.2 response.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Username  string   `json:"username,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
}

// GrantView is a grant as its user sees it.
type GrantView struct {
	Grant
	App          AppInfo
	ActiveTokens int
}

// SignInView is a pending sign-in as its user sees it.
type SignInView struct {
	SignIn
	App    AppInfo
	Scopes []ScopeInfo
}

// JWK is one public key of a JSON Web Key Set (RFC 7517).
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// New returns a Provider on the store, creating signing keys on first start.
func New(ctx context.Context, cfg Config, st Store) (*Provider, error) { panic("todo") }

// Config returns the provider's configuration with defaults filled in.
func (p *Provider) Config() Config { return p.cfg }

// Scopes returns every scope the provider knows, with descriptions.
func (p *Provider) Scopes() []ScopeInfo { panic("todo") }

// GrantTypes returns the enabled grant types.
func (p *Provider) GrantTypes() []string { panic("todo") }

// SigningAlgs returns the ID token signing algorithms offered.
func (p *Provider) SigningAlgs() []string { panic("todo") }

// Register registers a client (RFC 7591 §3). initialAccessToken is the bearer
// token presented, or "".
func (p *Provider) Register(ctx context.Context, m ClientMetadata, initialAccessToken string) (ClientRegistration, error) {
	panic("todo")
}

// ReadRegistration returns a client's registration (RFC 7592 §2.1).
func (p *Provider) ReadRegistration(ctx context.Context, clientID, regToken string) (Client, error) {
	panic("todo")
}

// UpdateRegistration replaces a client's metadata (RFC 7592 §2.2).
func (p *Provider) UpdateRegistration(ctx context.Context, clientID, regToken string, m ClientMetadata) (ClientRegistration, error) {
	panic("todo")
}

// DeleteRegistration deletes a client and all it was given (RFC 7592 §2.3).
func (p *Provider) DeleteRegistration(ctx context.Context, clientID, regToken string) error {
	panic("todo")
}

// AuthenticateClient checks a client's credentials against its registered
// token_endpoint_auth_method.
func (p *Provider) AuthenticateClient(ctx context.Context, cred ClientCredentials) (Client, error) {
	panic("todo")
}

// ParseAuthorize validates an authorization request (RFC 6749 §4.1.1, RFC 7636,
// OIDC Core §3.1.2.1). A plain *Error must be shown to the user; a
// *RedirectError may be sent to the client's redirect URI.
func (p *Provider) ParseAuthorize(ctx context.Context, params map[string][]string) (AuthorizeRequest, Client, error) {
	panic("todo")
}

// StartSignIn creates a sign-in request for jid and pushes it to the user.
func (p *Provider) StartSignIn(ctx context.Context, req AuthorizeRequest, jid string) (SignIn, error) {
	panic("todo")
}

// GetSignIn returns a sign-in request by ID.
func (p *Provider) GetSignIn(ctx context.Context, id string) (SignIn, error) { panic("todo") }

// DecideSignIn approves or denies a pending sign-in of jid; ref is the sign-in's
// ID or its short code.
func (p *Provider) DecideSignIn(ctx context.Context, jid, ref string, approve bool) (SignIn, error) {
	panic("todo")
}

// PendingSignIns lists the sign-ins waiting for jid.
func (p *Provider) PendingSignIns(ctx context.Context, jid string) ([]SignInView, error) {
	panic("todo")
}

// FinishSignIn completes a decided sign-in: it returns the URL to send the
// browser to, carrying a code (approved) or access_denied (denied), with
// state and iss (RFC 9207). A pending sign-in gives an *Error with code
// AuthorizationPending.
func (p *Provider) FinishSignIn(ctx context.Context, id string) (string, error) { panic("todo") }

// Token runs the token endpoint (RFC 6749 §3.2) for an authenticated client.
func (p *Provider) Token(ctx context.Context, cred ClientCredentials, req TokenRequest) (TokenResponse, error) {
	panic("todo")
}

// DeviceAuthorize starts a device flow (RFC 8628 §3.1–3.2).
func (p *Provider) DeviceAuthorize(ctx context.Context, cred ClientCredentials, scope string) (DeviceAuthorization, error) {
	panic("todo")
}

// LookupDevice shows jid what a user code would approve. Wrong codes count
// against jid's attempt limit (RFC 8628 §5.1).
func (p *Provider) LookupDevice(ctx context.Context, jid, userCode string) (DeviceRequest, error) {
	panic("todo")
}

// DecideDevice approves or denies the device authorization with userCode for jid.
func (p *Provider) DecideDevice(ctx context.Context, jid, userCode string, approve bool) error {
	panic("todo")
}

// RequestDeviceApproval pushes a device approval request to jid's chat client.
func (p *Provider) RequestDeviceApproval(ctx context.Context, jid, userCode string) error {
	panic("todo")
}

// Revoke revokes a token (RFC 7009 §2.1). Revoking a refresh token ends its
// grant. Unknown tokens are not an error.
func (p *Provider) Revoke(ctx context.Context, cred ClientCredentials, token, hint string) error {
	panic("todo")
}

// Introspect answers RFC 7662 for a client or resource server.
func (p *Provider) Introspect(ctx context.Context, cred ClientCredentials, token, hint string) (Introspection, error) {
	panic("todo")
}

// UserInfo returns the OIDC claims for a valid access token with the openid scope.
func (p *Provider) UserInfo(ctx context.Context, accessToken string) (map[string]any, error) {
	panic("todo")
}

// ValidateAccessToken returns the stored record of a live access token.
func (p *Provider) ValidateAccessToken(ctx context.Context, accessToken string) (Token, error) {
	panic("todo")
}

// Grants lists jid's grants with the app and live token count of each.
func (p *Provider) Grants(ctx context.Context, jid string) ([]GrantView, error) { panic("todo") }

// RevokeGrants ends grants of jid; every token of them stops working at once.
func (p *Provider) RevokeGrants(ctx context.Context, jid string, ids ...string) error {
	panic("todo")
}

// RevokeUser ends every grant of jid and returns how many.
func (p *Provider) RevokeUser(ctx context.Context, jid string) (int, error) { panic("todo") }

// Clients lists registered clients.
func (p *Provider) Clients(ctx context.Context) ([]Client, error) { panic("todo") }

// DeleteClient deletes a client and ends all its grants.
func (p *Provider) DeleteClient(ctx context.Context, id string) error { panic("todo") }

// Stats counts clients, grants, tokens and pending codes.
func (p *Provider) Stats(ctx context.Context) (Stats, error) { panic("todo") }

// JWKS returns the published public keys.
func (p *Provider) JWKS(ctx context.Context) (JWKS, error) { panic("todo") }

// RotateKeys publishes new signing keys that sign after KeyPublishDelay; the
// current keys are kept until what they signed has expired.
func (p *Provider) RotateKeys(ctx context.Context) error { panic("todo") }

// CheckUser reports whether jid is a bare JID of a configured user domain.
func (p *Provider) CheckUser(jid string) error { panic("todo") }
