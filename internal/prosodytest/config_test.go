package prosodytest

import (
	"strings"
	"testing"
)

func TestLuaString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "example.test", `"example.test"`},
		{"quote and backslash", `a"b\c`, `"a\"b\\c"`},
		{"newline", "a\nb", `"a\010b"`},
		{"utf-8 passes through", "héllo", `"héllo"`},
		{"empty", "", `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := luaString(tt.in); got != tt.want {
				t.Errorf("luaString(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderConfig(t *testing.T) {
	cfg := renderConfig(configParams{
		Dir:             "/tmp/x",
		LogPath:         "/tmp/x/prosody.log",
		C2SPort:         1234,
		ComponentPort:   5678,
		Domain:          "example.test",
		ComponentDomain: "auth.example.test",
		Secret:          `s"cret`,
		Admins:          []string{"admin@example.test"},
	})
	for _, want := range []string{
		"run_as_root = true",
		`pidfile = "/tmp/x/prosody.pid"`,
		`data_path = "/tmp/x/data"`,
		"c2s_ports = { 1234 }",
		"component_ports = { 5678 }",
		`admins = { "admin@example.test"; }`,
		`VirtualHost "example.test"`,
		`Component "auth.example.test"`,
		`component_secret = "s\"cret"`,
		"allow_unencrypted_plain_auth = true",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}
