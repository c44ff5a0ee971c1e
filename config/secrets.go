package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// Environment variables that override secrets of the file.
const (
	// EnvComponentSecret overrides component.secret.
	EnvComponentSecret = "XMPPOAUTH_COMPONENT_SECRET"
	// EnvInitialAccessToken overrides registration.initial_access_tokens:
	// one token, or several separated by commas.
	EnvInitialAccessToken = "XMPPOAUTH_INITIAL_ACCESS_TOKEN"
)

// ResourceServerSecretEnv returns the environment variable that overrides the
// secret of the resource server with this id: XMPPOAUTH_RESOURCE_SERVER_,
// the id in upper case with every other character than A-Z and 0-9 turned
// into "_", and _SECRET ("api.example" → XMPPOAUTH_RESOURCE_SERVER_API_EXAMPLE_SECRET).
func ResourceServerSecretEnv(id string) string {
	var b strings.Builder
	b.WriteString("XMPPOAUTH_RESOURCE_SERVER_")
	for _, r := range strings.ToUpper(id) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteString("_SECRET")
	return b.String()
}

// resolveSecrets fills secrets from the environment (through lookup) and
// from *_file keys. The environment wins over a file, which may not be set
// together with the value itself: that would leave it unclear which is meant.
func (c *Config) resolveSecrets(lookup func(string) (string, bool)) error {
	c.sources = make(map[string]string)
	var errs []error

	secret, err := c.secret(lookup, "component.secret", EnvComponentSecret, string(c.Component.Secret), c.Component.SecretFile)
	errs = append(errs, err)
	c.Component.Secret = oauth.Secret(secret)

	if v, ok := lookup(EnvInitialAccessToken); ok && v != "" {
		c.Registration.InitialAccessTokens = splitTokens(v)
		c.sources["registration.initial_access_tokens"] = "from " + EnvInitialAccessToken
	} else if f := c.Registration.InitialAccessTokensFile; f != "" {
		if len(c.Registration.InitialAccessTokens) > 0 {
			errs = append(errs, c.errorf(0, "registration.initial_access_tokens_file", "set registration.initial_access_tokens or registration.initial_access_tokens_file, not both"))
		} else if data, err := os.ReadFile(f); err != nil {
			errs = append(errs, c.errorf(0, "registration.initial_access_tokens_file", "%v", err))
		} else {
			c.Registration.InitialAccessTokens = tokenLines(string(data))
			c.sources["registration.initial_access_tokens"] = "from file " + f
		}
	}

	secret, err = c.secret(lookup, "web.session.secret", EnvSessionSecret, string(c.Web.Session.Secret), c.Web.Session.SecretFile)
	errs = append(errs, err)
	c.Web.Session.Secret = oauth.Secret(secret)

	secret, err = c.secret(lookup, "ejabberd.secret", EnvEjabberdSecret, string(c.Ejabberd.Secret), c.Ejabberd.SecretFile)
	errs = append(errs, err)
	c.Ejabberd.Secret = oauth.Secret(secret)

	for i := range c.ResourceServers {
		rs := &c.ResourceServers[i]
		key := "resource_servers[" + strconv.Itoa(i) + "].secret"
		env := ""
		if rs.ID != "" {
			env = ResourceServerSecretEnv(rs.ID)
		}
		secret, err := c.secret(lookup, key, env, string(rs.Secret), rs.SecretFile)
		errs = append(errs, err)
		rs.Secret = oauth.Secret(secret)
	}
	return errors.Join(errs...)
}

// secret resolves one secret: env (if named and set), else file (if named),
// else the value from the YAML.
func (c *Config) secret(lookup func(string) (string, bool), key, env, value, file string) (string, error) {
	if env != "" {
		if v, ok := lookup(env); ok && v != "" {
			c.sources[key] = "from " + env
			return v, nil
		}
	}
	if file == "" {
		return value, nil
	}
	fileKey := key + "_file"
	if value != "" {
		return value, c.errorf(0, fileKey, "set %s or %s, not both", key, fileKey)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", c.errorf(0, fileKey, "%v", err)
	}
	c.sources[key] = "from file " + file
	return strings.TrimSpace(string(data)), nil
}

// splitTokens splits a comma-separated list of tokens, dropping blanks.
func splitTokens(s string) []oauth.Secret {
	var out []oauth.Secret
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, oauth.Secret(t))
		}
	}
	return out
}

// tokenLines reads one token per line; blank lines and lines starting with
// "#" are ignored.
func tokenLines(s string) []oauth.Secret {
	var out []oauth.Secret
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, oauth.Secret(line))
		}
	}
	return out
}

// normalize lower-cases domains and JIDs, whose comparison is
// case-insensitive in XMPP (RFC 7622 §3.2 and, for the ASCII local parts
// people use, §3.3), so that later comparisons can be exact.
func (c *Config) normalize() {
	for i, d := range c.XMPP.UserDomains {
		c.XMPP.UserDomains[i] = strings.ToLower(strings.TrimSpace(d))
	}
	for i, j := range c.XMPP.Admins {
		c.XMPP.Admins[i] = strings.ToLower(strings.TrimSpace(j))
	}
	c.Component.Domain = strings.ToLower(strings.TrimSpace(c.Component.Domain))
}

// source says where a secret came from, for messages: " (from ...)" or "".
func (c *Config) source(key string) string {
	if s, ok := c.sources[key]; ok {
		return fmt.Sprintf(" (%s)", s)
	}
	return ""
}
