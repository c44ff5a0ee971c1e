package oauth

import "time"

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
