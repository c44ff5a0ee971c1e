package ejabberdtest

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestYAMLString(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"plain", "example.test"},
		{"quote and backslash", `a"b\c`},
		{"colon and hash", "X-Secret: a#b"},
		{"newline", "a\nb"},
		{"utf-8", "héllo"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := yaml.Unmarshal([]byte("v: "+yamlString(tt.in)), &struct{ V *string }{&got}); err != nil {
				t.Fatalf("yaml.Unmarshal(%s): %v", yamlString(tt.in), err)
			}
			if got != tt.in {
				t.Errorf("yamlString(%q) reads back as %q", tt.in, got)
			}
		})
	}
}

// ejabberdYML is the part of ejabberd.yml that the tests check after
// parsing it as YAML.
type ejabberdYML struct {
	Hosts  []string `yaml:"hosts"`
	Listen []struct {
		Port     int                          `yaml:"port"`
		IP       string                       `yaml:"ip"`
		Module   string                       `yaml:"module"`
		Hosts    map[string]map[string]string `yaml:"hosts"`
		Handlers map[string]string            `yaml:"request_handlers"`
	} `yaml:"listen"`
	DisableSASL    []string `yaml:"disable_sasl_mechanisms"`
	OAuthDBType    string   `yaml:"oauth_db_type"`
	ExtAPIURL      string   `yaml:"ext_api_url"`
	ExtAPIHeaders  string   `yaml:"ext_api_headers"`
	OAuthUseCache  *bool    `yaml:"oauth_use_cache"`
	APIPermissions map[string]struct {
		From []string `yaml:"from"`
		What any      `yaml:"what"`
		Who  any      `yaml:"who"`
	} `yaml:"api_permissions"`
	ACL map[string]map[string][]string `yaml:"acl"`
}

func TestRenderConfig(t *testing.T) {
	tests := []struct {
		name  string
		p     configParams
		check func(t *testing.T, c ejabberdYML)
	}{
		{
			name: "minimal",
			p:    configParams{C2SPort: 1234, ComponentPort: 5678, Domain: "example.test", ComponentDomain: "auth.example.test", Secret: `s"cret`},
			check: func(t *testing.T, c ejabberdYML) {
				if len(c.Listen) != 2 || c.Listen[0].Module != "ejabberd_c2s" || c.Listen[0].Port != 1234 || c.Listen[1].Port != 5678 {
					t.Errorf("listen = %+v", c.Listen)
				}
				for _, l := range c.Listen {
					if l.IP != "127.0.0.1" {
						t.Errorf("%s listens on %q, want 127.0.0.1", l.Module, l.IP)
					}
				}
				if got := c.Listen[1].Hosts["auth.example.test"]["password"]; got != `s"cret` {
					t.Errorf("component password = %q", got)
				}
				if c.OAuthDBType != "" || len(c.APIPermissions) != 1 {
					t.Errorf("oauth_db_type %q, api_permissions %v: want neither REST nor HTTP API", c.OAuthDBType, c.APIPermissions)
				}
				for _, m := range c.DisableSASL {
					if strings.EqualFold(m, "X-OAUTH2") {
						t.Errorf("X-OAUTH2 disabled")
					}
				}
			},
		},
		{
			name: "REST tokens, HTTP API and admins",
			p: configParams{C2SPort: 1, ComponentPort: 2, HTTPPort: 3, Domain: "example.test", ComponentDomain: "c.example.test", Secret: "s",
				Admins: []string{"admin@example.test"}, OAuthURL: "http://127.0.0.1:9/x", OAuthHeader: "X-Secret", OAuthSecret: "abc",
				APIScope: "ejabberd:user", APICommands: []string{"get_roster", "connected_users_number"}},
			check: func(t *testing.T, c ejabberdYML) {
				if c.OAuthDBType != "rest" || c.ExtAPIURL != "http://127.0.0.1:9/x" || c.ExtAPIHeaders != "X-Secret: abc" {
					t.Errorf("REST backend = %q %q %q", c.OAuthDBType, c.ExtAPIURL, c.ExtAPIHeaders)
				}
				if c.OAuthUseCache == nil || *c.OAuthUseCache {
					t.Errorf("oauth_use_cache = %v, want false", c.OAuthUseCache)
				}
				if len(c.Listen) != 3 || c.Listen[2].Handlers["/api"] != "mod_http_api" {
					t.Errorf("HTTP listener = %+v", c.Listen)
				}
				if p, ok := c.APIPermissions["token commands"]; !ok || len(p.From) != 1 || p.From[0] != "mod_http_api" {
					t.Errorf("api_permissions = %+v", c.APIPermissions)
				}
				if got := c.ACL["admin"]["user"]; len(got) != 1 || got[0] != "admin@example.test" {
					t.Errorf("admin ACL = %v", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := renderConfig(tt.p)
			var c ejabberdYML
			if err := yaml.Unmarshal([]byte(out), &c); err != nil {
				t.Fatalf("config is not YAML: %v\n%s", err, out)
			}
			if len(c.Hosts) != 1 || c.Hosts[0] != tt.p.Domain {
				t.Errorf("hosts = %v", c.Hosts)
			}
			if c.APIPermissions["console commands"].From[0] != "ejabberd_ctl" {
				t.Errorf("ejabberdctl may not run commands:\n%s", out)
			}
			tt.check(t, c)
		})
	}
}

func TestRenderCtl(t *testing.T) {
	out := renderCtl(ctlParams{Node: "ejabberd_test_ab12@localhost", DistPort: 4321})
	for _, want := range []string{
		"ERLANG_NODE=ejabberd_test_ab12@localhost\n",
		"ERL_DIST_PORT=4321\n",
		"EXEC_CMD=as_current_user\n",
		"inet_dist_use_interface {127,0,0,1}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ejabberdctl.cfg lacks %q:\n%s", want, out)
		}
	}
}
