package config

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// Config is the whole configuration file. The YAML key of each field is in
// its tag; config.yaml at the repository root explains every one.
type Config struct {
	// Issuer is the public base URL, the OAuth issuer identifier (RFC 8414 §2):
	// https, or http on a loopback host, with no trailing slash.
	Issuer string `yaml:"issuer"`
	// SiteName is shown to users on web pages and in chat.
	SiteName string `yaml:"site_name"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// HTTP configures the web side.
	HTTP HTTP `yaml:"http"`
	// DataDir is the Badger database directory.
	DataDir string `yaml:"data_dir"`
	// Store configures the database.
	Store Store `yaml:"store"`
	// XMPP says who the users and admins are.
	XMPP XMPP `yaml:"xmpp"`
	// Component is the XEP-0114 connection to the XMPP server.
	Component Component `yaml:"component"`
	// Tokens are the lifetimes of what the token endpoint issues.
	Tokens Tokens `yaml:"tokens"`
	// Device configures the device authorization grant (RFC 8628).
	Device Device `yaml:"device"`
	// Keys configures signing key rotation.
	Keys Keys `yaml:"keys"`
	// GrantTypes are the enabled grant types.
	GrantTypes []string `yaml:"grant_types"`
	// Registration configures dynamic client registration (RFC 7591).
	Registration Registration `yaml:"registration"`
	// Scopes are scopes defined by this deployment, name to description.
	Scopes map[string]string `yaml:"scopes"`
	// ResourceServers may introspect tokens (RFC 7662).
	ResourceServers []ResourceServer `yaml:"resource_servers"`
	// Limits are rate limits and size bounds (see config/limits.go).
	Limits Limits `yaml:"limits"`
	// Web configures the browser pages.
	Web Web `yaml:"web"`
	// Ejabberd configures the token backend for ejabberd.
	Ejabberd Ejabberd `yaml:"ejabberd"`
	// Ops configures metrics and health probes.
	Ops Ops `yaml:"ops"`

	// file is the file name for messages; "" for Parse.
	file string
	// lines maps a key's dotted path to its line in the file.
	lines map[string]int
	// sources maps a secret's dotted path to where its value came from, when
	// that was not the YAML itself.
	sources map[string]string
}

// HTTP configures the HTTP listener.
type HTTP struct {
	// Listen is the host:port to listen on.
	Listen string `yaml:"listen"`
	// TrustedProxies are the reverse proxies (IP addresses or CIDR
	// prefixes) whose X-Forwarded-For header names the client address.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// Store configures the Badger database.
type Store struct {
	// SyncWrites makes every write reach the disk before it is acknowledged.
	SyncWrites bool `yaml:"sync_writes"`
}

// XMPP says whose chat addresses count as users and admins.
type XMPP struct {
	// UserDomains are the domains whose users may authorize clients.
	UserDomains []string `yaml:"user_domains"`
	// Admins are bare JIDs allowed to run the admin commands.
	Admins []string `yaml:"admins"`
}

// Component is the XEP-0114 external component connection.
type Component struct {
	// Address is the XMPP server's component port, host:port.
	Address string `yaml:"address"`
	// Domain is the component's address, e.g. auth.example.org.
	Domain string `yaml:"domain"`
	// Secret is the shared secret of the handshake (XEP-0114 §3).
	Secret oauth.Secret `yaml:"secret"`
	// SecretFile names a file holding Secret.
	SecretFile string `yaml:"secret_file"`
	// ReconnectMaxDelay is the longest wait between two attempts to
	// connect to the XMPP server; the first attempts come about a second
	// apart.
	ReconnectMaxDelay Duration `yaml:"reconnect_max_delay"`
}

// Tokens are lifetimes of tokens and codes.
type Tokens struct {
	// AccessTokenTTL is the lifetime of access tokens (RFC 9068 JWTs).
	AccessTokenTTL Duration `yaml:"access_token_ttl"`
	// RefreshTokenTTL is the lifetime of each rotated refresh token.
	RefreshTokenTTL Duration `yaml:"refresh_token_ttl"`
	// IDTokenTTL is the lifetime of OpenID Connect ID tokens.
	IDTokenTTL Duration `yaml:"id_token_ttl"`
	// AuthCodeTTL is the lifetime of authorization codes (RFC 6749 §4.1.2).
	AuthCodeTTL Duration `yaml:"auth_code_ttl"`
	// SignInTTL is how long a web sign-in waits for the user's answer in chat.
	SignInTTL Duration `yaml:"sign_in_ttl"`
}

// Device configures the device authorization grant (RFC 8628).
type Device struct {
	// CodeTTL is the lifetime of a device code (expires_in of §3.2).
	CodeTTL Duration `yaml:"code_ttl"`
	// PollInterval is the interval of §3.2.
	PollInterval Duration `yaml:"poll_interval"`
	// VerificationURI overrides verification_uri, Issuer + "/device" when empty.
	VerificationURI string `yaml:"verification_uri"`
}

// Keys configures signing keys.
type Keys struct {
	// PublishDelay is how long a new key is in the JWKS before it signs.
	PublishDelay Duration `yaml:"publish_delay"`
}

// Registration configures dynamic client registration (RFC 7591 §3).
type Registration struct {
	// Open allows registration without an initial access token.
	Open bool `yaml:"open"`
	// InitialAccessTokens are accepted as bearer tokens on /register.
	InitialAccessTokens []oauth.Secret `yaml:"initial_access_tokens"`
	// InitialAccessTokensFile names a file with one token per line.
	InitialAccessTokensFile string `yaml:"initial_access_tokens_file"`
}

// ResourceServer is an API allowed to call the introspection endpoint with
// HTTP Basic credentials (RFC 7662 §2.1).
type ResourceServer struct {
	// ID is the user name of its HTTP Basic credentials.
	ID string `yaml:"id"`
	// Secret is the password of its HTTP Basic credentials.
	Secret oauth.Secret `yaml:"secret"`
	// SecretFile names a file holding Secret.
	SecretFile string `yaml:"secret_file"`
	// ReconnectMaxDelay is the longest wait between two attempts to
	// connect to the XMPP server; the first attempts come about a second
	// apart.
	ReconnectMaxDelay Duration `yaml:"reconnect_max_delay"`
}

// Limits are rate limits per user, client and address, and size bounds.
type Limits struct {
	// UserCodeAttempts bounds wrong device user codes per JID (RFC 8628 §5.1).
	UserCodeAttempts Rate `yaml:"user_code_attempts"`
	// UserCodeAttemptsTotal bounds wrong device user codes of all users
	// together.
	UserCodeAttemptsTotal Rate `yaml:"user_code_attempts_total"`
	// SignInPushes bounds approval requests pushed to one JID.
	SignInPushes Rate `yaml:"sign_in_pushes"`
	// ClientAuthFailures bounds failed authentications per confidential
	// client.
	ClientAuthFailures Rate `yaml:"client_auth_failures"`
	// RegistrationPerIP bounds client registrations per client address.
	RegistrationPerIP Rate `yaml:"registration_per_ip"`
	// AuthorizePerIP bounds the sign-in flow's requests per client address.
	AuthorizePerIP Rate `yaml:"authorize_per_ip"`
	// MaxBodyBytes bounds every HTTP request body.
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// AdhocSessionsPerJID bounds the ad-hoc command sessions one user holds.
	AdhocSessionsPerJID int `yaml:"adhoc_sessions_per_jid"`
	// AdhocSessionsTotal bounds the ad-hoc command sessions of all users.
	AdhocSessionsTotal int `yaml:"adhoc_sessions_total"`
}

// Log levels accepted by log_level.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// Default returns the configuration used for every key a file leaves out. It
// serves the loopback demo; component.secret has no default.
func Default() *Config {
	return &Config{
		Issuer:   "http://127.0.0.1:8080",
		SiteName: "xmppoauth",
		LogLevel: "info",
		HTTP:     HTTP{Listen: "127.0.0.1:8080"},
		DataDir:  "./data",
		Store:    Store{SyncWrites: true},
		XMPP:     XMPP{UserDomains: []string{"localhost"}},
		Component: Component{
			Address:           "127.0.0.1:5347",
			Domain:            "auth.localhost",
			ReconnectMaxDelay: Duration(10 * time.Second),
		},
		Tokens: Tokens{
			AccessTokenTTL:  Duration(10 * time.Minute),
			RefreshTokenTTL: Duration(720 * time.Hour),
			IDTokenTTL:      Duration(10 * time.Minute),
			AuthCodeTTL:     Duration(time.Minute),
			SignInTTL:       Duration(5 * time.Minute),
		},
		Device: Device{
			CodeTTL:      Duration(10 * time.Minute),
			PollInterval: Duration(5 * time.Second),
		},
		Keys:       Keys{PublishDelay: Duration(time.Hour)},
		GrantTypes: []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode},
		Registration: Registration{
			Open: true,
		},
		Limits:   defaultLimits(),
		Web:      defaultWeb(),
		Ejabberd: defaultEjabberd(),
		Ops:      defaultOps(),
	}
}

// Load reads the configuration file at path; see [Parse].
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parse(data, path)
}

// Parse reads a configuration from YAML: defaults for what it leaves out,
// then secrets from the environment and from files, then [Config.Validate].
// The error lists every problem found, each naming its key.
func Parse(data []byte) (*Config, error) {
	return parse(data, "")
}

func parse(data []byte, file string) (*Config, error) {
	c := Default()
	c.file = file
	if err := c.decode(data); err != nil {
		return nil, err
	}
	c.normalize()
	if err := c.resolveSecrets(os.LookupEnv); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// SlogLevel returns log_level as a slog level (info for an unknown value,
// which Validate rejects).
func (c *Config) SlogLevel() slog.Level {
	return logLevels[c.LogLevel]
}
