package config

import (
	"slices"
	"strconv"
	"strings"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// EnvEjabberdSecret overrides ejabberd.secret.
const EnvEjabberdSecret = "XMPPOAUTH_EJABBERD_SECRET"

// DefaultEjabberdHeader is the default of ejabberd.header. It is the same
// name as oauthhttp.DefaultEjabberdHeader, which this package does not
// import.
const DefaultEjabberdHeader = "X-Xmppoauth-Secret"

// minEjabberdSecret is the shortest ejabberd.secret accepted, as
// oauthhttp.EjabberdOptions.Validate requires.
const minEjabberdSecret = 16

// ejabberdSASLScope is the scope ejabberd requires of a token for an
// X-OAUTH2 login. xmppoauth gives it to the login scopes (xmpp and
// xmpp:client:normal) itself.
const ejabberdSASLScope = "sasl_auth"

// Ejabberd configures the token backend for ejabberd (oauth_db_type: rest):
// ejabberd asks it whether an access token may log in (SASL X-OAUTH2) or
// call mod_http_api. docs/ejabberd.md explains both sides.
type Ejabberd struct {
	// Listen is the host:port of a listener of its own that serves the
	// backend, reachable by ejabberd only (such as a loopback address);
	// the backend is off when empty.
	Listen string `yaml:"listen"`
	// Header is the request header that carries Secret, as in ejabberd's
	// ext_api_headers.
	Header string `yaml:"header"`
	// Secret is shared with ejabberd (ext_api_headers: "Header: Secret").
	Secret oauth.Secret `yaml:"secret"`
	// SecretFile names a file holding Secret.
	SecretFile string `yaml:"secret_file"`
	// Scopes maps a scope of this server to more ejabberd scopes that
	// tokens with it get, on top of sasl_auth for xmpp and
	// xmpp:client:normal; e.g. xmpp: [ejabberd:user] for mod_http_api
	// commands that ejabberd's api_permissions grant to ejabberd:user.
	Scopes map[string][]string `yaml:"scopes"`
}

// defaultEjabberd is the ejabberd section of [Default]: off.
func defaultEjabberd() Ejabberd {
	return Ejabberd{Header: DefaultEjabberdHeader}
}

// validateEjabberd checks the ejabberd section. Its rules are those of
// oauthhttp.EjabberdOptions.Validate, with the keys named, and two more that
// need the rest of the configuration: a mapped scope must be one this
// server knows, and sasl_auth stays with the login scopes.
func (v *validator) validateEjabberd(e Ejabberd, scopes map[string]string) {
	if e.Listen != "" {
		v.hostPort("ejabberd.listen", e.Listen, false)
	}
	if !validHeaderName(e.Header) {
		v.add("ejabberd.header", "%q is not an HTTP header name such as %s", e.Header, DefaultEjabberdHeader)
	}
	switch s := e.Secret.Reveal(); {
	case s == "" && e.Listen != "":
		v.add("ejabberd.secret", "must be set when ejabberd.listen is, in the file, in ejabberd.secret_file or in %s (try `openssl rand -hex 32`)", EnvEjabberdSecret)
	case s == "":
	case len(s) < minEjabberdSecret:
		v.secret("ejabberd.secret", "ejabberd.secret", "must be at least %d characters (try `openssl rand -hex 32`)", minEjabberdSecret)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' || r == ',' }):
		// ejabberd splits ext_api_headers at commas, and HTTP trims
		// white space around header values.
		v.secret("ejabberd.secret", "ejabberd.secret", "must be printable ASCII without spaces or commas (ejabberd splits ext_api_headers at commas)")
	}
	for _, from := range keysSorted(e.Scopes) {
		key := "ejabberd.scopes." + from
		if !knownScope(from, scopes) {
			v.add(key, "%q is not a scope of this server; built in: %s; others are defined under scopes", from, strings.Join(builtinScopes(), ", "))
		}
		if len(e.Scopes[from]) == 0 {
			v.add(key, "must list at least one ejabberd scope, such as [ejabberd:user]")
		}
		for i, to := range e.Scopes[from] {
			k := key + "[" + strconv.Itoa(i) + "]"
			switch {
			case !oauth.ValidScopeToken(to) || strings.Contains(to, "*"):
				// ejabberd reads a "*" segment of a token's scope as a
				// wildcard that grants every scope, sasl_auth included.
				v.add(k, "%q is not an ejabberd scope name (printable ASCII without space, \", \\ or *)", to)
			case to == ejabberdSASLScope:
				v.add(k, "%s (logging in to XMPP) is given to tokens with %s or %s only; mapping %q to it would let apps that the user allowed something else log in as the user", ejabberdSASLScope, oauth.ScopeXMPP, oauth.ScopeXMPPClient, from)
			}
		}
	}
}

// builtinScopes are the scopes the core defines for every deployment.
func builtinScopes() []string {
	return []string{
		oauth.ScopeOpenID, oauth.ScopeProfile, oauth.ScopeOfflineAccess,
		oauth.ScopeXMPP, oauth.ScopeXMPPClient, oauth.ScopeXMPPRead, oauth.ScopeXMPPWrite,
	}
}

// knownScope reports whether name is built in or defined under scopes.
func knownScope(name string, scopes map[string]string) bool {
	_, ok := scopes[name]
	return ok || slices.Contains(builtinScopes(), name)
}

// validHeaderName reports whether s is an HTTP field name: a token of
// RFC 9110 §5.6.2.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}
