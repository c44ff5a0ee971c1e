package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// secret20 is long enough for ejabberd.secret.
const secret20 = "ejabberd-0123456789a"

func TestEjabberdValidation(t *testing.T) {
	tests := []parseCase{
		{"off by default", "", ""},
		{"on loopback", "ejabberd: {listen: \"127.0.0.1:8081\", secret: " + secret20 + "}", ""},
		{"on all interfaces", "ejabberd: {listen: \":8081\", secret: " + secret20 + "}", ""},
		{"listen not host:port", "ejabberd: {listen: localhost, secret: " + secret20 + "}", `ejabberd.listen: "localhost" is not host:port`},
		{"listen bad port", "ejabberd: {listen: \"127.0.0.1:http\", secret: " + secret20 + "}", "ejabberd.listen: \"127.0.0.1:http\" has no valid port"},
		{"listen without secret", "ejabberd:\n  listen: \"127.0.0.1:8081\"", "ejabberd.secret: must be set when ejabberd.listen is, in the file, in ejabberd.secret_file or in XMPPOAUTH_EJABBERD_SECRET"},
		{"short secret", "ejabberd:\n  listen: \"127.0.0.1:8081\"\n  secret: short", "line 4: ejabberd.secret: must be at least 16 characters"},
		{"secret with a comma", "ejabberd: {listen: \"127.0.0.1:8081\", secret: \"" + secret20 + ",x\"}", "ejabberd.secret: must be printable ASCII without spaces or commas"},
		{"secret with a space", "ejabberd: {listen: \"127.0.0.1:8081\", secret: \"" + secret20 + " x\"}", "ejabberd.secret: must be printable ASCII without spaces or commas"},
		{"secret not ASCII", "ejabberd: {listen: \"127.0.0.1:8081\", secret: \"" + secret20 + "é\"}", "ejabberd.secret: must be printable ASCII"},
		{"unused secret is still checked", "ejabberd: {secret: short}", "ejabberd.secret: must be at least 16 characters"},
		{"another header", "ejabberd: {header: X-Token}", ""},
		{"empty header", "ejabberd: {header: \"\"}", `ejabberd.header: "" is not an HTTP header name such as X-Xmppoauth-Secret`},
		{"header with a colon", "ejabberd: {header: \"X-A: b\"}", `ejabberd.header: "X-A: b" is not an HTTP header name`},
		{"scope mapping", "ejabberd: {scopes: {xmpp: [ejabberd:user, ejabberd:admin], \"xmpp:account:read\": [ejabberd:user]}}", ""},
		{"mapping of a deployment's scope", "scopes: {calendar: Read your calendar}\nejabberd: {scopes: {calendar: [ejabberd:calendar]}}", ""},
		{"mapping of an unknown scope", "ejabberd:\n  scopes:\n    calendar: [ejabberd:user]", `line 4: ejabberd.scopes.calendar: "calendar" is not a scope of this server; built in: openid, profile`},
		{"mapping to nothing", "ejabberd: {scopes: {xmpp: []}}", "ejabberd.scopes.xmpp: must list at least one ejabberd scope"},
		{"wildcard ejabberd scope", "ejabberd: {scopes: {xmpp: [ejabberd:user, \"ejabberd:*\"]}}", `ejabberd.scopes.xmpp[1]: "ejabberd:*" is not an ejabberd scope name`},
		{"ejabberd scope with a space", "ejabberd: {scopes: {xmpp: [\"a b\"]}}", `ejabberd.scopes.xmpp[0]: "a b" is not an ejabberd scope name`},
		{"sign-in scope mapped to logging in", "ejabberd: {scopes: {openid: [sasl_auth]}}", `ejabberd.scopes.openid[0]: sasl_auth (logging in to XMPP) is given to tokens with xmpp or xmpp:client:normal only`},
		{"scopes not a mapping", "ejabberd: {scopes: [xmpp]}", "line 2: ejabberd.scopes: want a mapping of strings to "},
		{"unknown key", "ejabberd: {listen_on: \"127.0.0.1:8081\"}", "ejabberd.listen_on: unknown key; valid keys under ejabberd: listen, header, secret, secret_file, scopes"},
	}
	checkParse(t, tests)
}

func TestEjabberdSection(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte(`component: {secret: s}
ejabberd:
  listen: 127.0.0.1:8081
  header: X-Ejabberd-Secret
  secret: ` + secret20 + `
  scopes:
    xmpp: [ejabberd:user]
`))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := Ejabberd{
		Listen: "127.0.0.1:8081",
		Header: "X-Ejabberd-Secret",
		Secret: secret20,
		Scopes: map[string][]string{"xmpp": {"ejabberd:user"}},
	}
	if !reflect.DeepEqual(c.Ejabberd, want) {
		t.Errorf("Ejabberd = %+v, want %+v", c.Ejabberd, want)
	}
	if d := Default().Ejabberd; d.Listen != "" || d.Header != DefaultEjabberdHeader {
		t.Errorf("Default().Ejabberd = %+v, want off, with header %s", d, DefaultEjabberdHeader)
	}
}

func TestEjabberdSecretSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ejabberd")
	if err := os.WriteFile(file, []byte(secret20+"F\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const on = "component: {secret: s}\nejabberd:\n  listen: 127.0.0.1:8081\n"
	tests := []struct {
		name string
		env  string
		yaml string
		want string
		err  string
	}{
		{name: "in the file", yaml: on + "  secret: " + secret20, want: secret20},
		{name: "from secret_file", yaml: on + "  secret_file: " + file, want: secret20 + "F"},
		{name: "environment wins over secret_file", env: secret20 + "E", yaml: on + "  secret_file: " + file, want: secret20 + "E"},
		{name: "environment alone", env: secret20 + "E", yaml: on, want: secret20 + "E"},
		{name: "both in the file", yaml: on + "  secret: " + secret20 + "\n  secret_file: " + file, err: "ejabberd.secret_file: set ejabberd.secret or ejabberd.secret_file, not both"},
		{name: "short secret from the environment says so", env: "short", yaml: on,
			err: "ejabberd.secret: must be at least 16 characters (try `openssl rand -hex 32`) (from " + EnvEjabberdSecret + ")"},
		{name: "secret with a comma from a file says so", yaml: on + "  secret_file: " + writeFile(t, secret20+",x"),
			err: "ejabberd.secret: must be printable ASCII without spaces or commas (ejabberd splits ext_api_headers at commas) (from file "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			if tc.env != "" {
				t.Setenv(EnvEjabberdSecret, tc.env)
			}
			c, err := Parse([]byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if got := c.Ejabberd.Secret.Reveal(); got != tc.want {
				t.Errorf("ejabberd secret = %q, want %q", got, tc.want)
			}
		})
	}
}

// writeFile writes content to a new file in t.TempDir() and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
