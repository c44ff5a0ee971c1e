package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
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
	// Observer is told of events for metrics, such as tokens issued; none
	// by default.
	Observer Observer
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
	// UserCodeAttemptsTotal bounds wrong user code entries of all JIDs
	// together (RFC 8628 §5.1); 100 per minute by default. The device page
	// takes any address of a user domain, so a per-JID limit alone does not
	// stop guessing; see [Provider.LookupDevice].
	UserCodeAttemptsTotal Rate
	// ClientAuthFailures bounds failed authentications of one confidential
	// client (RFC 6749 §2.3); 10 per minute by default. See
	// [Provider.AuthenticateClient] for what counts and why the right
	// secret is never refused.
	ClientAuthFailures Rate
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

// ErrUserOffline is what a [Notifier] returns, wrapped or not, when it sent
// nothing because it knows the user is offline in chat.
var ErrUserOffline = errors.New("oauth: the user is offline in chat")

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

// Provider is the authorization server. It is safe for concurrent use.
type Provider struct {
	cfg        Config
	store      Store
	log        *slog.Logger
	now        func() time.Time
	keys       keyring
	grantTypes map[string]bool
	scopes     map[string]string
	codeTries  *ratelimit.Limiter
	codesTotal *ratelimit.Limiter
	authFails  *ratelimit.Limiter
	pushes     *ratelimit.Limiter
}

// Scope names (OIDC Core §5.4, XEP-0493).
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeOfflineAccess = "offline_access"
	ScopeXMPP          = "xmpp"
	ScopeXMPPClient    = "xmpp:client:normal"
	ScopeXMPPRead      = "xmpp:account:read"
	ScopeXMPPWrite     = "xmpp:account:write"
)

// builtinScopes are the scopes every deployment knows, in plain words for users.
var builtinScopes = []ScopeInfo{
	{ScopeOpenID, "Confirm your XMPP address to the app (sign in)"},
	{ScopeProfile, "See your user name"},
	{ScopeOfflineAccess, "Keep access while you are away (refresh tokens)"},
	{ScopeXMPP, "Full access to your XMPP account: log in as you, read and change your account"},
	{ScopeXMPPClient, "Log in to your XMPP account as a chat client"},
	{ScopeXMPPRead, "Read your XMPP account settings"},
	{ScopeXMPPWrite, "Change your XMPP account settings"},
}

// New returns a Provider on the store, creating signing keys on first start.
func New(ctx context.Context, cfg Config, st Store) (*Provider, error) {
	cfg = withDefaults(cfg)
	if err := validateIssuer(cfg.Issuer); err != nil {
		return nil, err
	}
	p := &Provider{
		cfg:        cfg,
		store:      st,
		log:        cfg.Logger,
		now:        cfg.Now,
		grantTypes: map[string]bool{},
		scopes:     map[string]string{},
	}
	for _, g := range cfg.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode, GrantClientCredentials:
			p.grantTypes[g] = true
		default:
			return nil, fmt.Errorf("oauth: unknown grant type %q", g)
		}
	}
	for _, s := range builtinScopes {
		p.scopes[s.Name] = s.Description
	}
	for name, desc := range cfg.ExtraScopes {
		if !ValidScopeToken(name) {
			return nil, fmt.Errorf("oauth: scope %q is not a valid scope token (RFC 6749 §3.3)", name)
		}
		if _, ok := p.scopes[name]; ok {
			return nil, fmt.Errorf("oauth: scope %q is built in and cannot be redefined", name)
		}
		p.scopes[name] = desc
	}
	p.codeTries = newLimiter(cfg.Limits.UserCodeAttempts, p.now)
	p.codesTotal = newLimiter(cfg.Limits.UserCodeAttemptsTotal, p.now)
	p.authFails = newLimiter(cfg.Limits.ClientAuthFailures, p.now)
	p.pushes = newLimiter(cfg.Limits.SignInPushes, p.now)
	if err := p.loadKeys(ctx); err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	return p, nil
}

func withDefaults(c Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AccessTokenTTL, 10*time.Minute)
	def(&c.RefreshTokenTTL, 30*24*time.Hour)
	def(&c.IDTokenTTL, 10*time.Minute)
	def(&c.AuthCodeTTL, time.Minute)
	def(&c.DeviceCodeTTL, 10*time.Minute)
	def(&c.DevicePollInterval, 5*time.Second)
	def(&c.SignInTTL, 5*time.Minute)
	def(&c.KeyPublishDelay, time.Hour)
	if c.GrantTypes == nil {
		c.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode}
	}
	c.Issuer = strings.TrimRight(c.Issuer, "/")
	if c.DeviceVerificationURI == "" {
		c.DeviceVerificationURI = c.Issuer + "/device"
	}
	defRate := func(r *Rate, v Rate) {
		if r.Count <= 0 || r.Window <= 0 {
			*r = v
		}
	}
	defRate(&c.Limits.UserCodeAttempts, Rate{Count: 5, Window: time.Minute})
	defRate(&c.Limits.UserCodeAttemptsTotal, Rate{Count: 100, Window: time.Minute})
	defRate(&c.Limits.ClientAuthFailures, Rate{Count: 10, Window: time.Minute})
	defRate(&c.Limits.SignInPushes, Rate{Count: 5, Window: time.Minute})
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	domains := make([]string, len(c.UserDomains))
	for i, d := range c.UserDomains {
		domains[i] = strings.ToLower(d)
	}
	c.UserDomains = domains
	return c
}

func validateIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("oauth: issuer %q must be an absolute URL without query or fragment", iss)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname())) {
		return fmt.Errorf("oauth: issuer %q must use https (http only on loopback)", iss)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Config returns the provider's configuration with defaults filled in.
func (p *Provider) Config() Config { return p.cfg }

// Scopes returns every scope the provider knows, with descriptions, sorted.
func (p *Provider) Scopes() []ScopeInfo {
	out := make([]ScopeInfo, 0, len(p.scopes))
	for n, d := range p.scopes {
		out = append(out, ScopeInfo{Name: n, Description: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GrantTypes returns the enabled grant types.
func (p *Provider) GrantTypes() []string {
	out := make([]string, 0, len(p.grantTypes))
	for _, g := range []string{GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode, GrantClientCredentials} {
		if p.grantTypes[g] {
			out = append(out, g)
		}
	}
	return out
}

// CheckUser reports whether jid is a bare JID of a configured user domain. It
// returns an *Error with code AccessDenied saying why not.
func (p *Provider) CheckUser(jid string) error {
	local, domain, ok := strings.Cut(jid, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@/") || strings.ContainsAny(local, "\"&'/:<>@ ") ||
		len(local) > 1023 || len(domain) > 1023 {
		return Errorf(AccessDenied, "%q is not an XMPP address of the form user@domain", jid)
	}
	domain = strings.ToLower(domain)
	for _, d := range p.cfg.UserDomains {
		if d == domain {
			return nil
		}
	}
	return Errorf(AccessDenied, "accounts of %s cannot sign in here", domain)
}

// NormalizeJID lower-cases the domain (and localpart, as XMPP localparts
// compare case-insensitively) of a bare JID and drops any resource.
func NormalizeJID(jid string) string {
	if i := strings.IndexByte(jid, '/'); i >= 0 {
		jid = jid[:i]
	}
	// Trimmed after the resource is cut, so that "a@b /r" loses its space
	// too and normalizing twice changes nothing.
	return strings.ToLower(strings.TrimSpace(jid))
}

// ValidScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func ValidScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		// RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E
		if r < 0x21 || r == 0x22 || r == 0x5c || r > 0x7e {
			return false
		}
	}
	return true
}
