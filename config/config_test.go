package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// secret32 is long enough for initial access tokens and resource servers.
const secret32 = "0123456789abcdef0123456789abcdef"

// clearEnv makes the test independent of the caller's environment.
// parseCase is a configuration test: yaml follows a line that sets the
// component secret, and want is a part of the error Parse must give, or ""
// when the file is valid.
type parseCase struct{ name, yaml, want string }

// checkParse runs each case as a subtest, with no XMPPOAUTH_ variable set.
func checkParse(t *testing.T, tests []parseCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			_, err := Parse([]byte("component: {secret: s}\n" + tc.yaml + "\n"))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Parse = %v, want no error", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Parse = %v, want %q", err, tc.want)
			}
		})
	}
}

func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "XMPPOAUTH_") {
			t.Setenv(k, "")
		}
	}
}

func TestShippedConfigIsTheDefault(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvComponentSecret, "demo-secret")
	got, err := Load(filepath.Join("..", "config.yaml"))
	if err != nil {
		t.Fatalf("Load(config.yaml) = %v", err)
	}
	want := Default()
	want.Component.Secret = "demo-secret"
	if g, w := marshal(t, got), marshal(t, want); g != w {
		t.Errorf("config.yaml differs from Default():\n%s\nwant:\n%s", g, w)
	}
}

func TestShippedConfigShowsEveryKey(t *testing.T) {
	clearEnv(t)
	t.Setenv(EnvComponentSecret, "demo-secret")
	c, err := Load(filepath.Join("..", "config.yaml"))
	if err != nil {
		t.Fatalf("Load(config.yaml) = %v", err)
	}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for _, k := range yamlKeys(typ) {
			p := join(path, k)
			if _, ok := c.lines[p]; !ok {
				t.Errorf("config.yaml does not show key %s", p)
			}
			f, _ := fieldByKey(typ, k)
			if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(unmarshalerType) {
				walk(f.Type, p)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
}

func marshal(t *testing.T, c *Config) string {
	t.Helper()
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	return string(b)
}

func TestDefaultsFillWhatTheFileLeavesOut(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte("component:\n  secret: s\ntokens:\n  access_token_ttl: 15m\n"))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := Default()
	want.Component.Secret = "s"
	want.Tokens.AccessTokenTTL = Duration(15 * time.Minute)
	if g, w := marshal(t, c), marshal(t, want); g != w {
		t.Errorf("Parse gave\n%s\nwant\n%s", g, w)
	}
}

func TestEmptyFileNeedsOnlyTheSecret(t *testing.T) {
	clearEnv(t)
	_, err := Parse(nil)
	if err == nil || !strings.Contains(err.Error(), "component.secret: must be set") {
		t.Fatalf("Parse(empty) = %v, want component.secret: must be set", err)
	}
	t.Setenv(EnvComponentSecret, "s")
	if _, err := Parse(nil); err != nil {
		t.Fatalf("Parse(empty) with %s = %v", EnvComponentSecret, err)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		yaml string // "component: {secret: s}" is prepended unless it sets component
		want []string
	}{
		{"unknown top-level key", "isuser: https://a.example\n", []string{"line 2: isuser: unknown key; valid keys here: issuer,"}},
		{"unknown nested key", "http:\n  lisen: 127.0.0.1:1\n", []string{"line 3: http.lisen: unknown key; valid keys under http: listen"}},
		{"unknown key in list item", "resource_servers:\n  - id: a\n    secert: x\n", []string{"line 4: resource_servers[0].secert: unknown key"}},
		{"two problems at once", "http: {lisen: x}\nlog_level: loud\n", []string{"http.lisen: unknown key"}},
		{"not a mapping", "tokens: 5m\n", []string{"line 2: tokens: want a mapping of access_token_ttl,"}},
		{"bad bool", "store: {sync_writes: maybe}\n", []string{`line 2: store.sync_writes: want true or false, got "maybe"`}},
		{"list for string", "issuer: [a, b]\n", []string{"issuer: want a string, got a list"}},
		{"string for list", "grant_types: authorization_code\n", []string{"grant_types: want a list of strings"}},
		{"bare number duration", "tokens:\n  access_token_ttl: 10\n", []string{`line 3: tokens.access_token_ttl: "10" is not a duration such as "10m"`}},
		{"bad duration", "device: {poll_interval: fast}\n", []string{`device.poll_interval: "fast" is not a duration`}},
		{"bad rate", "limits:\n  sign_in_pushes: five\n", []string{`line 3: limits.sign_in_pushes: "five" is not a rate such as "5/1m"`}},
		{"yaml syntax", "http: [\n", []string{"line 2: did not find expected node content"}},
		{"duplicate key", "site_name: a\nsite_name: b\n", []string{`line 3: mapping key "site_name" already defined at line 2`}},
		{"two documents", "site_name: a\n---\nsite_name: b\n", []string{"more than one YAML document"}},

		{"listen not host:port", "http: {listen: x}\n", []string{`line 2: http.listen: "x" is not host:port`}},
		{"listen bad port", "http: {listen: \"127.0.0.1:99999\"}\n", []string{"http.listen:", "no valid port"}},
		{"issuer http on public host", "issuer: http://auth.example.org\n", []string{"line 2: issuer:", "must use https"}},
		{"issuer trailing slash", "issuer: https://auth.example.org/\n", []string{"issuer:", `write "https://auth.example.org"`}},
		{"issuer query", "issuer: https://auth.example.org?x=1\n", []string{"issuer:", "must not have a query"}},
		{"issuer relative", "issuer: /auth\n", []string{"issuer:", "not an absolute URL"}},
		{"issuer ftp", "issuer: ftp://auth.example.org\n", []string{"issuer:", "must be an https URL"}},
		{"verification uri http", "device: {verification_uri: \"http://x.example/d\"}\n", []string{"device.verification_uri:", "must use https"}},
		{"log level", "log_level: loud\n", []string{`line 2: log_level: "loud" is not one of debug, info, warn, error`}},
		{"empty site name", "site_name: \"\"\n", []string{"site_name: must not be empty"}},
		{"empty data dir", "data_dir: \"\"\n", []string{"data_dir: must not be empty"}},
		{"access ttl too long", "tokens:\n  access_token_ttl: 48h\n", []string{"line 3: tokens.access_token_ttl: must be between 1m0s and 24h0m0s, got 48h0m0s"}},
		{"zero auth code ttl", "tokens: {auth_code_ttl: 0s}\n", []string{"tokens.auth_code_ttl: must be between 10s and 10m0s"}},
		{"auth code ttl over RFC 6749 advice", "tokens: {auth_code_ttl: 11m}\n", []string{"tokens.auth_code_ttl: must be between"}},
		{"refresh ttl too short", "tokens: {refresh_token_ttl: 10m}\n", []string{"tokens.refresh_token_ttl: must be between 1h0m0s"}},
		{"poll interval", "device: {poll_interval: 500ms}\n", []string{"device.poll_interval: must be between 1s and 1m0s"}},
		{"reconnect delay too long", "component:\n  secret: s\n  reconnect_max_delay: 1h\n", []string{"line 3: component.reconnect_max_delay: must be between 1s and 10m0s, got 1h0m0s"}},
		{"reconnect delay too short", "component: {secret: s, reconnect_max_delay: 100ms}\n", []string{"component.reconnect_max_delay: must be between 1s and 10m0s, got 100ms"}},
		{"no user domains", "xmpp: {user_domains: []}\n", []string{"xmpp.user_domains: must list at least one domain"}},
		{"bad user domain", "xmpp:\n  user_domains:\n    - localhost\n    - \"bad domain\"\n", []string{`line 5: xmpp.user_domains[1]: "bad domain" is not a valid domain name`}},
		{"duplicate user domain", "xmpp: {user_domains: [a.example, A.example]}\n", []string{`xmpp.user_domains[1]: "a.example" is listed twice`}},
		{"admin with resource", "xmpp: {admins: [root@localhost/phone]}\n", []string{`xmpp.admins[0]: "root@localhost/phone" has a resource`}},
		{"admin without local part", "xmpp: {admins: [localhost]}\n", []string{`xmpp.admins[0]: "localhost" is not a bare JID`}},
		{"component address without host", "component: {secret: s, address: \":5347\"}\n", []string{"component.address:", "has no host"}},
		{"component domain is a user domain", "component: {secret: s, domain: localhost}\n", []string{"component.domain:", "also in xmpp.user_domains"}},
		{"component domain invalid", "component: {secret: s, domain: \"-x.example\"}\n", []string{"component.domain:", "not a valid domain name"}},
		{"unknown grant type", "grant_types: [authorization_code, implicit]\n", []string{`grant_types[1]: unknown grant type "implicit"; known: authorization_code,`}},
		{"no grant types", "grant_types: []\n", []string{"grant_types: must list at least one of"}},
		{"duplicate grant type", "grant_types: [refresh_token, refresh_token]\n", []string{`grant_types[1]: "refresh_token" is listed twice`}},
		{"short initial access token", "registration: {initial_access_tokens: [short]}\n", []string{"registration.initial_access_tokens[0]: must be at least 32 characters"}},
		{"scope with space", "scopes: {\"a b\": x}\n", []string{`scopes.a b: "a b" is not a scope name`}},
		{"reserved scope", "scopes:\n  xmpp:client:normal: mine\n", []string{`line 3: scopes.xmpp:client:normal: "xmpp:client:normal" is defined by xmppoauth itself`}},
		{"reserved scope profile", "scopes: {profile: mine}\n", []string{`scopes.profile: "profile" is defined by xmppoauth itself`}},
		{"scope without description", "scopes: {calendar: \"\"}\n", []string{"scopes.calendar: needs a description"}},
		{"resource server without id", "resource_servers: [{secret: " + secret32 + "}]\n", []string{"resource_servers[0].id: must not be empty"}},
		{"resource server id with colon", "resource_servers: [{id: \"a:b\", secret: " + secret32 + "}]\n", []string{`resource_servers[0].id: "a:b" may not contain a colon`}},
		{"resource server short secret", "resource_servers:\n  - id: api\n    secret: short\n", []string{"line 4: resource_servers[0].secret: must be at least 32 characters"}},
		{"resource server ids clash", "resource_servers: [{id: a.b, secret: " + secret32 + "}, {id: a-b, secret: " + secret32 + "}]\n", []string{`resource_servers[1].id: "a-b" clashes with "a.b" (both read XMPPOAUTH_RESOURCE_SERVER_A_B_SECRET)`}},
		{"rate count zero", "limits: {user_code_attempts: 0/1m}\n", []string{"limits.user_code_attempts: count must be at least 1"}},
		{"rate window too short", "limits: {user_code_attempts: 5/1ms}\n", []string{"limits.user_code_attempts: window must be between 1s and 24h"}},
		{"secret and secret file", "component: {secret: s, secret_file: /nonexistent}\n", []string{"line 1: component.secret_file: set component.secret or component.secret_file, not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			data := tt.yaml
			if !strings.Contains(data, "component:") {
				data = "component: {secret: s}\n" + data
			}
			_, err := Parse([]byte(data))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse error =\n%v\nwant it to contain %q", err, w)
				}
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("Parse error %v holds no *config.Error", err)
			}
		})
	}
}

func TestErrorsReportEveryProblem(t *testing.T) {
	clearEnv(t)
	_, err := Parse([]byte("component: {secret: s}\nlog_level: loud\nhttp: {listen: x}\ngrant_types: [implicit]\n"))
	if err == nil {
		t.Fatal("Parse succeeded, want three errors")
	}
	for _, key := range []string{"log_level:", "http.listen:", "grant_types[0]:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Parse error =\n%v\nwant it to name %s", err, key)
		}
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "xmppoauth.yaml")
	if err := os.WriteFile(path, []byte("component:\n  secret: s\nhttp:\n  listen: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + `:4: http.listen: "nope" is not host:port`
	if err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %s", err, want)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "read config") {
		t.Errorf("Load(missing) = %v, want a read config error", err)
	}
}

func TestIssuerLoopbackHosts(t *testing.T) {
	tests := []struct {
		issuer string
		ok     bool
	}{
		{"https://auth.example.org", true},
		{"https://auth.example.org/oauth", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.0.0.2", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"http://LOCALHOST", false}, // the core compares host names exactly
		{"http://10.0.0.1:8080", false},
		{"http://localhost.example.org", false},
		{"https://user:pw@auth.example.org", false},
		{"https://auth.example.org#x", false},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			clearEnv(t)
			_, err := Parse([]byte("component: {secret: s}\nissuer: \"" + tt.issuer + "\"\n"))
			if (err == nil) != tt.ok {
				t.Errorf("Parse(issuer %s) = %v, want ok=%v", tt.issuer, err, tt.ok)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	componentFile := file("component", "from-file\n")
	tokensFile := file("tokens", "# tokens\n"+secret32+"A\n\n"+secret32+"B\n")
	rsFile := file("rs", " "+secret32+"F \n")

	type want struct {
		component string
		tokens    []string
		rsSecret  string
	}
	tests := []struct {
		name string
		env  map[string]string
		yaml string
		want want
		err  string
	}{
		{
			name: "values from the file",
			yaml: "component: {secret: in-yaml}\nresource_servers: [{id: api, secret: " + secret32 + "Y}]\nregistration: {initial_access_tokens: [" + secret32 + "Y]}\n",
			want: want{"in-yaml", []string{secret32 + "Y"}, secret32 + "Y"},
		},
		{
			name: "environment wins over the yaml",
			env: map[string]string{
				EnvComponentSecret:                             "from-env",
				EnvInitialAccessToken:                          secret32 + "1, " + secret32 + "2",
				"XMPPOAUTH_RESOURCE_SERVER_API_EXAMPLE_SECRET": secret32 + "E",
			},
			yaml: "component: {secret: in-yaml}\nresource_servers: [{id: api.example, secret: " + secret32 + "Y}]\nregistration: {initial_access_tokens: [" + secret32 + "Y]}\n",
			want: want{"from-env", []string{secret32 + "1", secret32 + "2"}, secret32 + "E"},
		},
		{
			name: "files",
			yaml: "component: {secret_file: " + componentFile + "}\nresource_servers: [{id: api, secret_file: " + rsFile + "}]\nregistration: {initial_access_tokens_file: " + tokensFile + "}\n",
			want: want{"from-file", []string{secret32 + "A", secret32 + "B"}, secret32 + "F"},
		},
		{
			name: "environment wins over files",
			env: map[string]string{
				EnvComponentSecret:                     "from-env",
				EnvInitialAccessToken:                  secret32 + "1",
				"XMPPOAUTH_RESOURCE_SERVER_API_SECRET": secret32 + "E",
			},
			yaml: "component: {secret_file: " + componentFile + "}\nresource_servers: [{id: api, secret_file: " + rsFile + "}]\nregistration: {initial_access_tokens_file: " + tokensFile + "}\n",
			want: want{"from-env", []string{secret32 + "1"}, secret32 + "E"},
		},
		{
			name: "environment wins even over both",
			env:  map[string]string{EnvComponentSecret: "from-env"},
			yaml: "component: {secret: in-yaml, secret_file: /nonexistent}\n",
			want: want{component: "from-env"},
		},
		{
			name: "empty environment variable is unset",
			env:  map[string]string{EnvComponentSecret: ""},
			yaml: "component: {secret: in-yaml}\n",
			want: want{component: "in-yaml"},
		},
		{
			name: "missing secret file",
			yaml: "component: {secret_file: " + filepath.Join(dir, "nope") + "}\n",
			err:  "component.secret_file: open ",
		},
		{
			name: "tokens in yaml and file",
			yaml: "component: {secret: s}\nregistration: {initial_access_tokens: [" + secret32 + "], initial_access_tokens_file: " + tokensFile + "}\n",
			err:  "registration.initial_access_tokens_file: set registration.initial_access_tokens or registration.initial_access_tokens_file, not both",
		},
		{
			name: "short token from the environment says so",
			env:  map[string]string{EnvInitialAccessToken: "short"},
			yaml: "component: {secret: s}\n",
			err:  "registration.initial_access_tokens[0]: must be at least 32 characters (try `openssl rand -hex 32`) (from XMPPOAUTH_INITIAL_ACCESS_TOKEN)",
		},
		{
			name: "short resource server secret from a file says so",
			yaml: "component: {secret: s}\nresource_servers: [{id: api, secret_file: " + componentFile + "}]\n",
			err:  "resource_servers[0].secret: must be at least 32 characters (try `openssl rand -hex 32`) (from file " + componentFile + ")",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := Parse([]byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse = %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if got := c.Component.Secret.Reveal(); got != tt.want.component {
				t.Errorf("component secret = %q, want %q", got, tt.want.component)
			}
			oc := c.OAuthConfig()
			if tt.want.tokens != nil && !reflect.DeepEqual(oc.InitialAccessTokens, tt.want.tokens) {
				t.Errorf("initial access tokens = %q, want %q", oc.InitialAccessTokens, tt.want.tokens)
			}
			if tt.want.rsSecret != "" && (len(oc.ResourceServers) != 1 || oc.ResourceServers[0].Secret != tt.want.rsSecret) {
				t.Errorf("resource servers = %v, want secret %q", oc.ResourceServers, tt.want.rsSecret)
			}
		})
	}
}

func TestResourceServerSecretEnv(t *testing.T) {
	tests := []struct{ id, want string }{
		{"api", "XMPPOAUTH_RESOURCE_SERVER_API_SECRET"},
		{"api.example.org", "XMPPOAUTH_RESOURCE_SERVER_API_EXAMPLE_ORG_SECRET"},
		{"My-API2", "XMPPOAUTH_RESOURCE_SERVER_MY_API2_SECRET"},
	}
	for _, tt := range tests {
		if got := ResourceServerSecretEnv(tt.id); got != tt.want {
			t.Errorf("ResourceServerSecretEnv(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte("component: {secret: hunter2hunter2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.Component.Secret.String(), c.Component.Secret.LogValue().String()} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("secret printed as %q", s)
		}
	}
}

func TestNormalize(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte("component: {secret: s, domain: Auth.Example.ORG}\nxmpp: {user_domains: [Example.ORG], admins: [Root@Example.ORG]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Component.Domain != "auth.example.org" || c.XMPP.UserDomains[0] != "example.org" || c.XMPP.Admins[0] != "root@example.org" {
		t.Errorf("not lower-cased: %q %q %q", c.Component.Domain, c.XMPP.UserDomains, c.XMPP.Admins)
	}
}

func TestSlogLevel(t *testing.T) {
	for _, lvl := range []string{"debug", "info", "warn", "error"} {
		clearEnv(t)
		c, err := Parse([]byte("component: {secret: s}\nlog_level: " + lvl + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.ToLower(c.SlogLevel().String()); got != lvl {
			t.Errorf("SlogLevel() for %s = %s", lvl, got)
		}
	}
}

func TestOAuthConfig(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte(`
issuer: https://auth.example.org
xmpp: {user_domains: [example.org]}
component: {secret: s, domain: auth.example.org}
tokens: {access_token_ttl: 2m, refresh_token_ttl: 2h, id_token_ttl: 3m, auth_code_ttl: 30s, sign_in_ttl: 4m}
device: {code_ttl: 5m, poll_interval: 7s, verification_uri: "https://ex.org/d"}
keys: {publish_delay: 2h}
grant_types: [authorization_code, client_credentials]
registration: {open: false, initial_access_tokens: [` + secret32 + `]}
scopes: {calendar: Read your calendar}
resource_servers: [{id: api, secret: ` + secret32 + `}]
limits: {user_code_attempts: 3/30s, user_code_attempts_total: 50/1m, client_auth_failures: 6/5m, sign_in_pushes: 4/2m}
`))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	got := c.OAuthConfig()
	want := oauth.Config{
		Issuer:                "https://auth.example.org",
		UserDomains:           []string{"example.org"},
		AccessTokenTTL:        2 * time.Minute,
		RefreshTokenTTL:       2 * time.Hour,
		IDTokenTTL:            3 * time.Minute,
		AuthCodeTTL:           30 * time.Second,
		DeviceCodeTTL:         5 * time.Minute,
		DevicePollInterval:    7 * time.Second,
		SignInTTL:             4 * time.Minute,
		GrantTypes:            []string{"authorization_code", "client_credentials"},
		OpenRegistration:      false,
		InitialAccessTokens:   []string{secret32},
		ExtraScopes:           map[string]string{"calendar": "Read your calendar"},
		ResourceServers:       []oauth.ResourceServer{{ID: "api", Secret: secret32}},
		DeviceVerificationURI: "https://ex.org/d",
		KeyPublishDelay:       2 * time.Hour,
		Limits: oauth.Limits{
			UserCodeAttempts:      oauth.Rate{Count: 3, Window: 30 * time.Second},
			UserCodeAttemptsTotal: oauth.Rate{Count: 50, Window: time.Minute},
			ClientAuthFailures:    oauth.Rate{Count: 6, Window: 5 * time.Minute},
			SignInPushes:          oauth.Rate{Count: 4, Window: 2 * time.Minute},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OAuthConfig() =\n%+v\nwant\n%+v", got, want)
	}
	got.UserDomains[0] = "changed"
	got.ExtraScopes["calendar"] = "changed"
	if c.XMPP.UserDomains[0] != "example.org" || c.Scopes["calendar"] != "Read your calendar" {
		t.Error("OAuthConfig() shares slices or maps with the Config")
	}
}

func TestValidateAfterChangesInCode(t *testing.T) {
	c := Default()
	c.Component.Secret = "s"
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() with a secret: Validate = %v", err)
	}
	c.Tokens.AccessTokenTTL = 0
	if err := c.Validate(); err == nil || err.Error() != "tokens.access_token_ttl: must be between 1m0s and 24h0m0s, got 0s" {
		t.Errorf("Validate = %v", err)
	}
}
