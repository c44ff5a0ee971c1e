package config

import (
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// EnvSessionSecret overrides web.session.secret.
const EnvSessionSecret = "XMPPOAUTH_SESSION_SECRET"

// minContrast is the contrast ratio WCAG 2.2 success criterion 1.4.3 asks of
// normal text (level AA). Every colour pair the pages put text on must reach it.
const minContrast = 4.5

// Web configures the browser pages: their look, the signed-in session, the
// consent step and the optional password sign-in.
type Web struct {
	// LogoURL is an image shown beside the site name: an https URL (http on
	// loopback) or a path on this server; none when empty.
	LogoURL string `yaml:"logo_url"`
	// Colors are the pages' colours.
	Colors Colors `yaml:"colors"`
	// TemplateDir is a directory whose files replace the built-in templates
	// of the same name (layout.html, signin.html, style.css, …); none when
	// empty.
	TemplateDir string `yaml:"template_dir"`
	// Session is the browser session that remembers the signed-in user.
	Session Session `yaml:"session"`
	// SkipConsent goes straight back to an app that already holds a grant
	// of the user for every scope it asks (unless it asks prompt=consent).
	SkipConsent bool `yaml:"skip_consent"`
	// PasswordSignIn offers signing in with the XMPP password as well.
	PasswordSignIn PasswordSignIn `yaml:"password_sign_in"`
	// TOSURI is the service's terms of service: an https URL (http on
	// loopback), advertised as op_tos_uri (RFC 8414 §2, OpenID Connect
	// Discovery 1.0 §3) and linked from every page; none when empty.
	TOSURI string `yaml:"tos_uri"`
	// PolicyURI is the service's privacy policy, advertised as
	// op_policy_uri and linked from every page like TOSURI.
	PolicyURI string `yaml:"policy_uri"`
}

// Colors are CSS hex colours (#rgb or #rrggbb).
type Colors struct {
	// Primary is the colour of the header, buttons and links; white text
	// is written on it.
	Primary string `yaml:"primary"`
	// Background is the colour around the page's content.
	Background string `yaml:"background"`
	// Text is the colour of text, on white and on Background.
	Text string `yaml:"text"`
}

// Session configures the signed session cookie.
type Session struct {
	// Lifetime is how long a browser remembers the signed-in user; 0
	// forgets them as soon as a sign-in ends.
	Lifetime Duration `yaml:"lifetime"`
	// Secret signs the cookie (HMAC-SHA256); at least 32 characters. When
	// empty, a random key is made at start-up, and sessions end with a
	// restart.
	Secret oauth.Secret `yaml:"secret"`
	// SecretFile names a file holding Secret.
	SecretFile string `yaml:"secret_file"`
}

// PasswordSignIn configures signing in with the XMPP account's password,
// which is checked by logging in to the XMPP server as the user (SASL PLAIN
// over a client-to-server connection) and then forgotten.
type PasswordSignIn struct {
	// Enabled shows the password form on the sign-in page.
	Enabled bool `yaml:"enabled"`
	// Address is the XMPP server's client port, host:port.
	Address string `yaml:"address"`
	// RequireTLS refuses to send the password unless the connection was
	// upgraded with STARTTLS and the certificate is valid for the user's
	// domain. It may be false only on a loopback address.
	RequireTLS bool `yaml:"require_tls"`
}

// defaultWeb is the web section of [Default].
func defaultWeb() Web {
	return Web{
		Colors:      Colors{Primary: "#24385b", Background: "#f6f6f6", Text: "#1a1a1a"},
		Session:     Session{Lifetime: Duration(7 * 24 * time.Hour)},
		SkipConsent: true,
		PasswordSignIn: PasswordSignIn{
			Address:    "127.0.0.1:5222",
			RequireTLS: true,
		},
	}
}

// validateWeb checks the web section.
func (v *validator) validateWeb(w Web) {
	if w.LogoURL != "" {
		if strings.HasPrefix(w.LogoURL, "/") && !strings.HasPrefix(w.LogoURL, "//") {
			if _, err := url.Parse(w.LogoURL); err != nil {
				v.add("web.logo_url", "%q is not a valid path", w.LogoURL)
			}
		} else {
			v.publicURL("web.logo_url", w.LogoURL, false)
		}
	}
	colors := map[string]string{
		"web.colors.primary":    w.Colors.Primary,
		"web.colors.background": w.Colors.Background,
		"web.colors.text":       w.Colors.Text,
	}
	valid := true
	for _, key := range keysSorted(colors) {
		if _, ok := parseHexColor(colors[key]); !ok {
			v.add(key, "%q is not a colour such as #24385b or #fff", colors[key])
			valid = false
		}
	}
	if valid {
		for _, p := range []struct{ key, fg, bg, what string }{
			{"web.colors.primary", "#ffffff", w.Colors.Primary, "white text on the primary colour"},
			{"web.colors.text", w.Colors.Text, "#ffffff", "text on white"},
			{"web.colors.text", w.Colors.Text, w.Colors.Background, "text on the background colour"},
		} {
			if r := contrast(p.fg, p.bg); r < minContrast {
				v.add(p.key, "%s has a contrast ratio of %.1f:1; at least %.1f:1 is needed to be readable (WCAG 2.2, 1.4.3)", p.what, r, minContrast)
			}
		}
	}
	if w.TemplateDir != "" {
		if fi, err := os.Stat(w.TemplateDir); err != nil {
			v.add("web.template_dir", "%v", err)
		} else if !fi.IsDir() {
			v.add("web.template_dir", "%q is not a directory", w.TemplateDir)
		}
	}
	if d := time.Duration(w.Session.Lifetime); d != 0 && (d < time.Minute || d > 366*24*time.Hour) {
		v.add("web.session.lifetime", "must be 0 (forget at once) or between 1m0s and 8784h0m0s, got %v", d)
	}
	if s := w.Session.Secret; s != "" && len(s) < minSecretLen {
		v.secret("web.session.secret", "web.session.secret", "must be at least %d characters (try `openssl rand -hex 32`)", minSecretLen)
	}
	for _, u := range []struct{ key, value string }{{"web.tos_uri", w.TOSURI}, {"web.policy_uri", w.PolicyURI}} {
		if u.value != "" {
			v.documentURL(u.key, u.value)
		}
	}
	if p := w.PasswordSignIn; p.Enabled {
		v.hostPort("web.password_sign_in.address", p.Address, true)
		if host, _, err := net.SplitHostPort(p.Address); err == nil && !p.RequireTLS && !isLoopback(host) {
			v.add("web.password_sign_in.require_tls", "may be false only when address is on loopback: passwords must not cross a network in the clear")
		}
	}
}

// documentURL checks the URL of a document the pages link to and discovery
// advertises: absolute, https (http on loopback), without credentials. Unlike
// the issuer, it may have a query and a fragment (a section of a longer
// legal page).
func (v *validator) documentURL(key, s string) {
	u, _ := v.httpsURL(key, s, "https://example.org/terms")
	if u != nil && u.User != nil {
		v.add(key, "%q must not contain a user name or password", s)
	}
}

// parseHexColor reads #rgb or #rrggbb into its red, green and blue values.
func parseHexColor(s string) ([3]uint8, bool) {
	hex, ok := strings.CutPrefix(s, "#")
	if !ok || (len(hex) != 3 && len(hex) != 6) {
		return [3]uint8{}, false
	}
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	var rgb [3]uint8
	for i := range rgb {
		n, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return [3]uint8{}, false
		}
		rgb[i] = uint8(n)
	}
	return rgb, true
}

// contrast is the WCAG 2.2 contrast ratio of two colours, 1 to 21.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the relative luminance of a colour as WCAG 2.2 defines it.
func luminance(s string) float64 {
	rgb, _ := parseHexColor(s)
	var l [3]float64
	for i, c := range rgb {
		x := float64(c) / 255
		if x <= 0.04045 {
			l[i] = x / 12.92
		} else {
			l[i] = math.Pow((x+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}
