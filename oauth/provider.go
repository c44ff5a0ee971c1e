package oauth

import (
	"context"
	"log/slog"
	"time"
)

// Config configures a [Provider]. Zero durations take the defaults named.
type Config struct {
	// Issuer is the issuer identifier, an https URL (http allowed on loopback)
	// without a trailing slash or query, e.g. "https://auth.example.com".
	Issuer string
	// UserDomains are the XMPP domains whose users may authorize.
	UserDomains []string
	// AccessTokenTTL defaults to 10 minutes (RFC 9700: short-lived).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL defaults to 30 days; every rotation starts it anew.
	RefreshTokenTTL time.Duration
	// IDTokenTTL defaults to 10 minutes.
	IDTokenTTL time.Duration
	// AuthCodeTTL defaults to 1 minute (RFC 6749 §4.1.2 recommends at most 10).
	AuthCodeTTL time.Duration
	// DeviceCodeTTL defaults to 10 minutes.
	DeviceCodeTTL time.Duration
	// DevicePollInterval defaults to 5 seconds (RFC 8628 §3.2).
	DevicePollInterval time.Duration
	// SignInTTL is how long a web sign-in waits for the user; 5 minutes by default.
	SignInTTL time.Duration
	// GrantTypes are the enabled grant types; nil enables authorization_code,
	// refresh_token and device_code. client_credentials must be named.
	GrantTypes []string
	// OpenRegistration allows RFC 7591 registration without an initial access
	// token. InitialAccessTokens, when set, are accepted as bearer tokens on
	// the registration endpoint.
	OpenRegistration    bool
	InitialAccessTokens []string
	// ExtraScopes are scopes defined by the deployment, with a description.
	ExtraScopes map[string]string
	// ResourceServers may call introspection with HTTP Basic credentials.
	ResourceServers []ResourceServer
	// DeviceVerificationURI is the verification_uri of RFC 8628 §3.2;
	// Issuer + "/device" by default.
	DeviceVerificationURI string
	// KeyPublishDelay is how long a rotated key is published before it signs;
	// 1 hour by default, so caches of the JWKS see it in time.
	KeyPublishDelay time.Duration
	// Limits bound how fast one user or client may try things.
	Limits Limits
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Logger receives operational events; discarded by default.
	Logger *slog.Logger
	// Notifier pushes sign-in and device approvals to users; none by default.
	Notifier Notifier
}

// ResourceServer is an API that may introspect tokens (RFC 7662 §2.1).
type ResourceServer struct {
	ID     string
	Secret string
}

// Limits are rate limits: at most Count events per Window, per key.
type Limits struct {
	// UserCodeAttempts bounds wrong user code entries per JID (RFC 8628 §5.1);
	// 5 per minute by default.
	UserCodeAttempts Rate
	// SignInPushes bounds sign-in and device requests pushed to one JID;
	// 5 per minute by default.
	SignInPushes Rate
}

// Rate is Count events per Window.
type Rate struct {
	Count  int
	Window time.Duration
}

// Notifier tells a user, in their chat client, that something waits for their
// approval. Package component implements it over XMPP.
type Notifier interface {
	// NotifySignIn asks the user to approve or deny a web sign-in.
	NotifySignIn(ctx context.Context, n SignInNotice) error
	// NotifyDevice asks the user to approve or deny a device authorization.
	NotifyDevice(ctx context.Context, n DeviceNotice) error
}

// SignInNotice describes a pending sign-in for the user.
type SignInNotice struct {
	ID        string
	Code      string
	JID       string
	App       AppInfo
	Scopes    []ScopeInfo
	URL       string // the page the browser waits on, for XEP-0070's url attribute
	ExpiresAt time.Time
}

// DeviceNotice describes a pending device authorization for the user.
type DeviceNotice struct {
	UserCode  string // formatted XXXX-XXXX
	JID       string
	App       AppInfo
	Scopes    []ScopeInfo
	URL       string // verification_uri_complete
	ExpiresAt time.Time
}

// AppInfo is what a user is shown about a client.
type AppInfo struct {
	ClientID  string
	Name      string
	URI       string
	LogoURI   string
	TOSURI    string
	PolicyURI string
}

// ScopeInfo is a scope and its plain-words description.
type ScopeInfo struct {
	Name        string
	Description string
}
