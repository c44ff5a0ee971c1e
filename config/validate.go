package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// minSecretLen is the shortest initial access token or resource server
// secret accepted: these are bearer credentials that anyone on the network
// may try to guess. `openssl rand -hex 32` gives 64 characters.
const minSecretLen = 32

// knownGrantTypes are the grant types the core implements.
var knownGrantTypes = []string{
	oauth.GrantAuthorizationCode,
	oauth.GrantRefreshToken,
	oauth.GrantDeviceCode,
	oauth.GrantClientCredentials,
}

// reservedScopes are built into the core; a deployment's scopes may not
// redefine them. Scopes starting with "xmpp:" are reserved as well, for
// XEP-0493.
var reservedScopes = []string{oauth.ScopeOpenID, oauth.ScopeProfile, oauth.ScopeOfflineAccess, oauth.ScopeXMPP}

// durationRule bounds one duration key.
type durationRule struct {
	key      string
	v        Duration
	min, max time.Duration
}

// Validate checks every value and returns all problems found, joined; each
// is an *[Error] naming its key. [Parse] and [Load] call it; call it again
// after changing a Config in code.
func (c *Config) Validate() error {
	v := validator{c: c}

	v.publicURL("issuer", c.Issuer, true)
	if strings.TrimSpace(c.SiteName) == "" {
		v.add("site_name", "must not be empty")
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		v.add("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	v.hostPort("http.listen", c.HTTP.Listen, false)
	if strings.TrimSpace(c.DataDir) == "" {
		v.add("data_dir", "must not be empty")
	}

	if len(c.XMPP.UserDomains) == 0 {
		v.add("xmpp.user_domains", "must list at least one domain whose users may sign in")
	}
	for i, d := range c.XMPP.UserDomains {
		key := "xmpp.user_domains[" + strconv.Itoa(i) + "]"
		v.domain(key, d)
		if slices.Index(c.XMPP.UserDomains, d) < i {
			v.add(key, "%q is listed twice", d)
		}
	}
	for i, j := range c.XMPP.Admins {
		v.bareJID("xmpp.admins["+strconv.Itoa(i)+"]", j)
	}

	v.hostPort("component.address", c.Component.Address, true)
	if v.domain("component.domain", c.Component.Domain) && slices.Contains(c.XMPP.UserDomains, c.Component.Domain) {
		v.add("component.domain", "%q is also in xmpp.user_domains; the component needs a domain of its own, such as auth.%s", c.Component.Domain, c.Component.Domain)
	}
	if c.Component.Secret == "" {
		v.add("component.secret", "must be set, in the file, in component.secret_file or in %s", EnvComponentSecret)
	}

	for _, r := range []durationRule{
		{"tokens.access_token_ttl", c.Tokens.AccessTokenTTL, time.Minute, 24 * time.Hour},
		{"tokens.refresh_token_ttl", c.Tokens.RefreshTokenTTL, time.Hour, 366 * 24 * time.Hour},
		{"tokens.id_token_ttl", c.Tokens.IDTokenTTL, time.Minute, 24 * time.Hour},
		// RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10
		// minutes is RECOMMENDED."
		{"tokens.auth_code_ttl", c.Tokens.AuthCodeTTL, 10 * time.Second, 10 * time.Minute},
		{"tokens.sign_in_ttl", c.Tokens.SignInTTL, time.Minute, time.Hour},
		{"device.code_ttl", c.Device.CodeTTL, time.Minute, time.Hour},
		{"device.poll_interval", c.Device.PollInterval, time.Second, time.Minute},
		{"keys.publish_delay", c.Keys.PublishDelay, time.Minute, 7 * 24 * time.Hour},
		{"component.reconnect_max_delay", c.Component.ReconnectMaxDelay, time.Second, 10 * time.Minute},
	} {
		if d := time.Duration(r.v); d < r.min || d > r.max {
			v.add(r.key, "must be between %v and %v, got %v", r.min, r.max, d)
		}
	}
	if c.Device.VerificationURI != "" {
		v.publicURL("device.verification_uri", c.Device.VerificationURI, false)
	}

	if len(c.GrantTypes) == 0 {
		v.add("grant_types", "must list at least one of %s", strings.Join(knownGrantTypes, ", "))
	}
	for i, g := range c.GrantTypes {
		key := "grant_types[" + strconv.Itoa(i) + "]"
		switch {
		case !slices.Contains(knownGrantTypes, g):
			v.add(key, "unknown grant type %q; known: %s", g, strings.Join(knownGrantTypes, ", "))
		case slices.Index(c.GrantTypes, g) < i:
			v.add(key, "%q is listed twice", g)
		}
	}

	for i, t := range c.Registration.InitialAccessTokens {
		if len(t) < minSecretLen {
			v.secret("registration.initial_access_tokens", fmt.Sprintf("registration.initial_access_tokens[%d]", i),
				"must be at least %d characters (try `openssl rand -hex 32`)", minSecretLen)
		}
	}

	for _, name := range keysSorted(c.Scopes) {
		key := "scopes." + name
		switch {
		case !oauth.ValidScopeToken(name):
			v.add(key, "%q is not a scope name (RFC 6749 §3.3: printable ASCII without space, \" or \\)", name)
		case slices.Contains(reservedScopes, name) || strings.HasPrefix(name, "xmpp:"):
			v.add(key, "%q is defined by xmppoauth itself", name)
		case strings.TrimSpace(c.Scopes[name]) == "":
			v.add(key, "needs a description; users are shown it before they approve")
		}
	}

	seen := make(map[string]string) // environment variable → id
	for i, rs := range c.ResourceServers {
		key := "resource_servers[" + strconv.Itoa(i) + "]"
		switch {
		case rs.ID == "":
			v.add(key+".id", "must not be empty")
		case strings.ContainsAny(rs.ID, ": \t\r\n"):
			// RFC 7617 §2: the user-id of HTTP Basic cannot contain a colon.
			v.add(key+".id", "%q may not contain a colon or white space", rs.ID)
		default:
			env := ResourceServerSecretEnv(rs.ID)
			if other, ok := seen[env]; ok {
				v.add(key+".id", "%q clashes with %q (both read %s)", rs.ID, other, env)
			}
			seen[env] = rs.ID
		}
		if len(rs.Secret) < minSecretLen {
			v.secret(key+".secret", key+".secret", "must be at least %d characters (try `openssl rand -hex 32`)", minSecretLen)
		}
	}

	v.validateLimits(c.Limits)
	v.validateProxies(c.HTTP.TrustedProxies)
	v.validateWeb(c.Web)
	v.validateEjabberd(c.Ejabberd, c.Scopes)
	v.validateOps(c)
	return errors.Join(v.errs...)
}

// validator collects the problems of one Validate call.
type validator struct {
	c    *Config
	errs []error
}

func (v *validator) add(key, format string, args ...any) {
	v.errs = append(v.errs, v.c.errorf(0, key, format, args...))
}

// secret reports a problem with a secret whose value may have come from
// outside the file (sourceKey is where resolveSecrets recorded that); the
// message then says where instead of pointing at a line.
func (v *validator) secret(sourceKey, key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if src := v.c.source(sourceKey); src != "" {
		v.errs = append(v.errs, &Error{File: v.c.file, Key: key, Msg: msg + src})
		return
	}
	v.add(key, "%s", msg)
}

// publicURL checks an absolute URL clients are given. It must be https,
// except on a loopback host, where http is allowed for development (as
// RFC 8252 §8.3 allows for loopback redirects). An issuer carries no query
// or fragment (RFC 8414 §2) and, so that it compares equal everywhere, no
// trailing slash.
func (v *validator) publicURL(key, s string, issuer bool) {
	u, ok := v.httpsURL(key, s, "https://auth.example.org")
	if !ok {
		return
	}
	if u.User != nil {
		v.add(key, "%q must not contain a user name or password", s)
	}
	if u.Fragment != "" || strings.HasSuffix(s, "#") {
		v.add(key, "%q must not have a fragment", s)
	}
	if issuer {
		if u.RawQuery != "" || strings.HasSuffix(s, "?") {
			v.add(key, "%q must not have a query (RFC 8414 §2)", s)
		}
		if strings.HasSuffix(s, "/") {
			v.add(key, "%q must not end with a slash; write %q", s, strings.TrimRight(s, "/"))
		}
	}
}

// httpsURL parses s, an absolute https URL (http on loopback), and reports
// under key what is wrong with it: example shows what is meant. It returns
// the URL when s parses as an absolute one, nil otherwise, and whether it
// passed.
func (v *validator) httpsURL(key, s, example string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		v.add(key, "%q is not an absolute URL such as %s", s, example)
		return nil, false
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		v.add(key, "%q must use https (http is allowed only on 127.0.0.1, ::1 and localhost)", s)
		return u, false
	default:
		v.add(key, "%q must be an https URL", s)
		return u, false
	}
	return u, true
}

// isLoopback reports whether host is 127.0.0.0/8, ::1 or localhost.
func isLoopback(host string) bool {
	if host == "localhost" { // as the core checks it: lower case only
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostPort checks a host:port; needHost requires the host (to dial it).
func (v *validator) hostPort(key, s string, needHost bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		v.add(key, "%q is not host:port", s)
		return
	}
	if needHost && host == "" {
		v.add(key, "%q has no host", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || (needHost && n == 0) {
		v.add(key, "%q has no valid port", s)
	}
}

// domain checks a DNS name as XMPP uses it for a domainpart (RFC 7622 §3.2):
// ASCII letters, digits and hyphens in dot-separated labels of 1-63
// characters; internationalized names in their xn-- form. It reports whether
// the name is valid.
func (v *validator) domain(key, s string) bool {
	if !validDomain(s) {
		v.add(key, "%q is not a valid domain name", s)
		return false
	}
	return true
}

func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// bareJID checks an admin address: localpart@domain, no resource.
func (v *validator) bareJID(key, s string) {
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case !ok || local == "" || strings.ContainsAny(local, "@/\"&'<>: \t"):
		v.add(key, "%q is not a bare JID such as admin@example.org", s)
	case strings.Contains(domain, "/"):
		v.add(key, "%q has a resource; give the bare JID", s)
	case !validDomain(domain):
		v.add(key, "%q has an invalid domain", s)
	}
}
