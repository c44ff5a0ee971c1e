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
	params := configParams{
		Dir:             "/tmp/x",
		LogPath:         "/tmp/x/prosody.log",
		C2SPort:         1234,
		ComponentPort:   5678,
		Domain:          "example.test",
		ComponentDomain: "auth.example.test",
		Secret:          `s"cret`,
		Admins:          []string{"admin@example.test"},
		Authentication:  "internal_hashed",
	}
	cfg := renderConfig(params)
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
		`authentication = "internal_hashed"`,
		`"posix";`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "plugin_paths") || strings.Contains(cfg, "legacy_ssl") {
		t.Errorf("config has plugin_paths or legacy_ssl_ports:\n%s", cfg)
	}

	params.Modern = true
	params.Modules = []string{"admin_shell"}
	params.PluginPath = "/tmp/x/plugins"
	params.HostOptions = []hostOption{{"modules_enabled", `{ "xmppoauth"; }`}, {"xmppoauth_issuer", `"https://auth.example.test"`}}
	cfg = renderConfig(params)
	for _, want := range []string{
		`plugin_paths = { "/tmp/x/plugins" }`,
		"\t\"admin_shell\";\n}",
		"VirtualHost \"example.test\"\n\tmodules_enabled = { \"xmppoauth\"; }\n\txmppoauth_issuer = \"https://auth.example.test\"\n\nComponent",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("Prosody 13 config lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "posix") {
		t.Errorf("Prosody 13 config loads mod_posix, which 13 deprecates:\n%s", cfg)
	}
}

func TestLuaValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"a\"b", `"a\"b"`},
		{true, "true"},
		{7, "7"},
		{2.5, "2.5"},
		{[]string{"a", "b"}, `{ "a"; "b"; }`},
		{[]string{}, `{ }`},
	}
	for _, tc := range tests {
		if got, err := luaValue(tc.in); err != nil || got != tc.want {
			t.Errorf("luaValue(%#v) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := luaValue(struct{}{}); err == nil {
		t.Errorf("luaValue(struct{}{}) succeeded")
	}
}

func TestMajor(t *testing.T) {
	for in, want := range map[string]int{"0.12.3": 0, "13.0.1": 13, "": -1, "trunk": -1} {
		if got := major(in); got != want {
			t.Errorf("major(%q) = %d, want %d", in, got, want)
		}
	}
}
