package config

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWebValidation(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []parseCase{
		{"defaults", "", ""},
		{"logo on https", "web: {logo_url: https://cdn.example.org/logo.svg}", ""},
		{"logo path", "web: {logo_url: /logo.png}", ""},
		{"logo on http", "web: {logo_url: http://cdn.example.org/logo.svg}", "web.logo_url: \"http://cdn.example.org/logo.svg\" must use https"},
		{"logo protocol-relative", "web: {logo_url: //cdn.example.org/logo.svg}", "web.logo_url: \"//cdn.example.org/logo.svg\" is not an absolute URL"},
		{"short colour", "web: {colors: {primary: \"#036\"}}", ""},
		{"colour name", "web: {colors: {primary: navy}}", "web.colors.primary: \"navy\" is not a colour"},
		{"bad hex", "web: {colors: {text: \"#12345g\"}}", "web.colors.text: \"#12345g\" is not a colour"},
		{"pale primary", "web: {colors: {primary: \"#88aaff\"}}", "web.colors.primary: white text on the primary colour has a contrast ratio of"},
		{"grey text", "web: {colors: {text: \"#999\"}}", "web.colors.text: text on white has a contrast ratio of"},
		{"dark background", "web: {colors: {background: \"#222\"}}", "web.colors.text: text on the background colour has a contrast ratio of"},
		{"template dir", "web: {template_dir: " + dir + "}", ""},
		{"missing template dir", "web: {template_dir: " + filepath.Join(dir, "nope") + "}", "web.template_dir: stat "},
		{"template dir is a file", "web: {template_dir: " + file + "}", "is not a directory"},
		{"session forgotten at once", "web: {session: {lifetime: 0s}}", ""},
		{"session too short", "web: {session: {lifetime: 30s}}", "web.session.lifetime: must be 0 (forget at once) or between 1m0s and 8784h0m0s, got 30s"},
		{"short session secret", "web: {session: {secret: short}}", "web.session.secret: must be at least 32 characters"},
		{"password sign-in", "web: {password_sign_in: {enabled: true, address: \"xmpp.example.org:5222\"}}", ""},
		{"password sign-in without port", "web: {password_sign_in: {enabled: true, address: xmpp.example.org}}", "web.password_sign_in.address: \"xmpp.example.org\" is not host:port"},
		{"password in clear on loopback", "web: {password_sign_in: {enabled: true, address: \"127.0.0.1:5222\", require_tls: false}}", ""},
		{"password in clear over a network", "web: {password_sign_in: {enabled: true, address: \"xmpp.example.org:5222\", require_tls: false}}", "web.password_sign_in.require_tls: may be false only when address is on loopback"},
		{"terms and policy on https", "web: {tos_uri: https://example.org/terms, policy_uri: \"https://example.org/privacy?lang=en\"}", ""},
		{"terms on loopback http", "web: {tos_uri: http://127.0.0.1:8080/terms}", ""},
		{"terms on http", "web: {tos_uri: http://example.org/terms}", "web.tos_uri: \"http://example.org/terms\" must use https"},
		{"terms as a path", "web: {tos_uri: /terms}", "web.tos_uri: \"/terms\" is not an absolute URL"},
		{"policy with javascript", "web: {policy_uri: \"javascript:alert(1)\"}", "web.policy_uri: \"javascript:alert(1)\" is not an absolute URL"},
		{"policy as a section of a page", "web: {policy_uri: \"https://example.org/legal#privacy\"}", ""},
		{"policy over ftp", "web: {policy_uri: \"ftp://example.org/privacy\"}", "web.policy_uri: \"ftp://example.org/privacy\" must be an https URL"},
		{"policy with credentials", "web: {policy_uri: \"https://u:p@example.org/privacy\"}", "web.policy_uri: \"https://u:p@example.org/privacy\" must not contain a user name or password"},
		{"disabled password sign-in is not checked", "web: {password_sign_in: {address: nonsense, require_tls: false}}", ""},
	}
	checkParse(t, tests)
}

func TestSessionSecretSources(t *testing.T) {
	clearEnv(t)
	secret := strings.Repeat("s", 32)
	file := filepath.Join(t.TempDir(), "session")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("component: {secret: s}\nweb: {session: {secret_file: " + file + "}}\n"))
	if err != nil || c.Web.Session.Secret.Reveal() != secret {
		t.Fatalf("secret_file: Parse = %v, secret %q", err, c.Web.Session.Secret.Reveal())
	}
	t.Setenv(EnvSessionSecret, "short")
	_, err = Parse([]byte("component: {secret: s}\n"))
	if err == nil || !strings.Contains(err.Error(), "web.session.secret: must be at least 32 characters (try `openssl rand -hex 32`) (from "+EnvSessionSecret+")") {
		t.Errorf("short secret from the environment: Parse = %v", err)
	}
	t.Setenv(EnvSessionSecret, secret+"x")
	c, err = Parse([]byte("component: {secret: s}\nweb: {session: {secret_file: " + file + "}}\n"))
	if err != nil || c.Web.Session.Secret.Reveal() != secret+"x" {
		t.Errorf("environment over file: Parse = %v, secret %q", err, c.Web.Session.Secret.Reveal())
	}
}

func TestContrast(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000", "#fff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#24385b", "#fff", 11.72},
		{"#767676", "#fff", 4.54}, // the lightest grey that passes on white
	}
	for _, tc := range tests {
		if got := contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.05 {
			t.Errorf("contrast(%s, %s) = %.2f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestWebDefaults(t *testing.T) {
	w := Default().Web
	if w.PasswordSignIn.Enabled || !w.PasswordSignIn.RequireTLS || time.Duration(w.Session.Lifetime) != 7*24*time.Hour || !w.SkipConsent {
		t.Errorf("Default().Web = %+v; want password sign-in off (with TLS required), a week of session, consent skipped for known grants", w)
	}
}
