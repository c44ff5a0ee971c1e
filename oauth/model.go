package oauth

import (
	"log/slog"
	"time"
)

// Secret is a bearer secret (client secret, code, refresh token, access token).
// Its LogValue is redacted, so a careless log line never prints it.
type Secret string

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String returns the secret; it exists so fmt verbs do not print it by accident.
func (s Secret) String() string { return "REDACTED" }

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// Application types of OpenID Connect Dynamic Client Registration §2.
const (
	AppWeb    = "web"
	AppNative = "native"
)

// Token endpoint authentication methods (RFC 7591 §2).
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
)

// Grant types.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantClientCredentials = "client_credentials"
)

// Client is a registered OAuth client (RFC 7591 metadata plus what the server
// keeps about it). Secrets are stored as SHA-256 hashes only.
type Client struct {
	ID                      string    `json:"client_id"`
	SecretHash              []byte    `json:"secret_hash,omitempty"`
	SecretExpiresAt         time.Time `json:"secret_expires_at"`
	RegistrationTokenHash   []byte    `json:"registration_token_hash,omitempty"`
	Name                    string    `json:"client_name"`
	ClientURI               string    `json:"client_uri,omitempty"`
	LogoURI                 string    `json:"logo_uri,omitempty"`
	TOSURI                  string    `json:"tos_uri,omitempty"`
	PolicyURI               string    `json:"policy_uri,omitempty"`
	SoftwareID              string    `json:"software_id,omitempty"`
	SoftwareVersion         string    `json:"software_version,omitempty"`
	Contacts                []string  `json:"contacts,omitempty"`
	ApplicationType         string    `json:"application_type"`
	RedirectURIs            []string  `json:"redirect_uris,omitempty"`
	GrantTypes              []string  `json:"grant_types"`
	ResponseTypes           []string  `json:"response_types"`
	TokenEndpointAuthMethod string    `json:"token_endpoint_auth_method"`
	// Scope, when set, is the most this client may ever get (space-separated).
	Scope     string    `json:"scope,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Public reports whether the client has no secret (token_endpoint_auth_method none).
func (c Client) Public() bool { return c.TokenEndpointAuthMethod == AuthNone }

// Grant is a user's standing authorization of one client for some scopes. Every
// token issued under it carries its ID, so revoking the grant revokes them all.
type Grant struct {
	ID       string    `json:"id"`
	JID      string    `json:"jid"` // bare JID of the user; empty for client_credentials
	ClientID string    `json:"client_id"`
	Scopes   []string  `json:"scopes"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used"`
	// AuthTime is when the user last approved (OIDC auth_time).
	AuthTime time.Time `json:"auth_time"`
	// Via names how it was obtained: authorization_code, device_code,
	// client_credentials or admin.
	Via string `json:"via"`
}

// Token kinds.
const (
	KindAccess  = "access_token"
	KindRefresh = "refresh_token"
)

// Token is an issued access or refresh token, stored under the SHA-256 hash of
// its value. Access tokens are JWTs (RFC 9068) whose jti is ID.
type Token struct {
	Hash     []byte    `json:"hash"`
	ID       string    `json:"id"` // jti for access tokens, random id for refresh tokens
	Kind     string    `json:"kind"`
	GrantID  string    `json:"grant_id"`
	ClientID string    `json:"client_id"`
	JID      string    `json:"jid,omitempty"`
	Scopes   []string  `json:"scopes"`
	IssuedAt time.Time `json:"issued_at"`
	Expiry   time.Time `json:"expiry"`
	// Rotated is set on a refresh token once it was exchanged; presenting it
	// again is reuse and revokes the grant (RFC 9700 §4.14.2).
	Rotated bool `json:"rotated,omitempty"`
	// AuthTime of the grant when issued, for ID tokens after refresh.
	AuthTime time.Time `json:"auth_time"`
}

// AuthCode is an authorization code (RFC 6749 §4.1.2), stored by hash.
type AuthCode struct {
	Hash        []byte `json:"hash"`
	ClientID    string `json:"client_id"`
	JID         string `json:"jid"`
	GrantID     string `json:"grant_id"`
	RedirectURI string `json:"redirect_uri"`
	// RedirectOmitted: the authorization request had no redirect_uri (the
	// client has one registered), so the token request may omit it too
	// (RFC 6749 §4.1.3).
	RedirectOmitted     bool      `json:"redirect_omitted,omitempty"`
	Scopes              []string  `json:"scopes"`
	Nonce               string    `json:"nonce,omitempty"`
	CodeChallenge       string    `json:"code_challenge"`
	CodeChallengeMethod string    `json:"code_challenge_method"`
	AuthTime            time.Time `json:"auth_time"`
	Expiry              time.Time `json:"expiry"`
	// Used is set when the code was redeemed; a second use is a replay.
	Used bool `json:"used,omitempty"`
	// IssuedTokens lists the hashes of the tokens the code produced, revoked on replay.
	IssuedTokens [][]byte `json:"issued_tokens,omitempty"`
	// Replayed is set when a used code was presented again.
	Replayed bool `json:"replayed,omitempty"`
}

// Device code states.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceIssued   = "issued"
)

// DeviceCode is an RFC 8628 device authorization, stored by the hash of its
// device_code and indexed by its normalized user code.
type DeviceCode struct {
	Hash     []byte    `json:"hash"`
	UserCode string    `json:"user_code"` // normalized: 8 letters, no dash, upper case
	ClientID string    `json:"client_id"`
	Scopes   []string  `json:"scopes"`
	State    string    `json:"state"`
	JID      string    `json:"jid,omitempty"` // who approved or denied
	GrantID  string    `json:"grant_id,omitempty"`
	Created  time.Time `json:"created"`
	Expiry   time.Time `json:"expiry"`
	// Interval is the current minimum polling interval; slow_down raises it.
	Interval time.Duration `json:"interval"`
	LastPoll time.Time     `json:"last_poll"`
	AuthTime time.Time     `json:"auth_time"`
}

// Sign-in request states.
const (
	SignInPending  = "pending"
	SignInApproved = "approved"
	SignInDenied   = "denied"
	SignInDone     = "done"
)

// SignIn is a web sign-in waiting for a user to prove, in their XMPP client,
// that they are JID: the browser waits while the component asks the user.
type SignIn struct {
	ID string `json:"id"`
	// Code is the short code shown both in the browser and in chat, so the
	// user can tell the requests apart ("yes CODE").
	Code    string           `json:"code"`
	JID     string           `json:"jid"`
	Request AuthorizeRequest `json:"request"`
	State   string           `json:"state"`
	Created time.Time        `json:"created"`
	Expiry  time.Time        `json:"expiry"`
	Decided time.Time        `json:"decided"`
}

// AuthorizeRequest is a validated authorization request (RFC 6749 §4.1.1 with
// PKCE and OIDC parameters).
type AuthorizeRequest struct {
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri"`
	// RedirectOmitted: redirect_uri was not in the request; RedirectURI is
	// the client's one registered redirect URI.
	RedirectOmitted     bool     `json:"redirect_omitted,omitempty"`
	ResponseType        string   `json:"response_type"`
	Scopes              []string `json:"scopes"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	CodeChallenge       string   `json:"code_challenge"`
	CodeChallengeMethod string   `json:"code_challenge_method"`
	Prompt              string   `json:"prompt,omitempty"`
	LoginHint           string   `json:"login_hint,omitempty"`
	MaxAge              int      `json:"max_age,omitempty"`
}

// Key is a signing key. Keys are published in the JWKS from Created, sign from
// ActiveAt, stop signing when a newer key becomes active, and are removed from
// the JWKS after DeleteAt (when all they signed has expired).
type Key struct {
	ID         string    `json:"kid"`
	Alg        string    `json:"alg"`
	PrivateDER []byte    `json:"private_der"` // PKCS#8
	Created    time.Time `json:"created"`
	ActiveAt   time.Time `json:"active_at"`
	// DeleteAt is zero while the key is current.
	DeleteAt time.Time `json:"delete_at"`
	// SignsUntil is the latest expiry of a token the key signed with a
	// longer lifetime than the configured ones (Provider.IssueToken); a
	// retired key stays in the JWKS until then.
	SignsUntil time.Time `json:"signs_until,omitzero"`
}

// Stats are the counts an admin sees.
type Stats struct {
	Clients       int `json:"clients"`
	Grants        int `json:"grants"`
	ActiveTokens  int `json:"active_tokens"`
	PendingCodes  int `json:"pending_codes"` // device codes waiting for the user
	PendingSignIn int `json:"pending_sign_ins"`
}
