package oauth

import (
	"net"
	"net/url"
	"strings"
	"testing"
)

// FuzzUserCode checks the normalization of typed user codes and sign-in
// codes (RFC 8628 §6.1): the result holds only A–Z and 0–9, normalizing is
// idempotent and blind to case, spaces and dashes, and a normalized
// 8-letter code survives FormatUserCode.
func FuzzUserCode(f *testing.F) {
	for _, s := range []string{"WDJB-MJHT", "wdjb mjht", " WDJBMJHT\n", "kxt-4pq", "ǅ", "ß", "ﬃ", "İ", "ＡＢＣ", "wdjb\u200b-mjht", "", "----"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeCode(s)
		for _, r := range n {
			if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
				t.Fatalf("normalizeCode(%q) = %q, with %q", s, n, r)
			}
		}
		if again := normalizeCode(n); again != n {
			t.Fatalf("normalizeCode(%q) = %q, but normalizeCode(%q) = %q", s, n, n, again)
		}
		if lower := normalizeCode(strings.ToLower(n)); lower != n {
			t.Fatalf("normalizeCode of %q in lower case = %q, want %q", n, lower, n)
		}
		if spaced := normalizeCode(" " + strings.Join(strings.Split(n, ""), "-") + " "); spaced != n {
			t.Fatalf("normalizeCode of %q with dashes and spaces = %q", n, spaced)
		}
		if len(n) == 8 {
			if formatted := FormatUserCode(n); len(formatted) != 9 || formatted[4] != '-' || normalizeCode(formatted) != n {
				t.Fatalf("FormatUserCode(%q) = %q", n, formatted)
			}
		}
	})
}

// FuzzRedirectURI checks redirect URI registration and matching (RFC 6749
// §3.1.2, RFC 8252 §7, RFC 9700 §2.1): an accepted URI is absolute, has no
// fragment, no user information and no scheme that runs code, https only on
// the client_uri's host, http only on a loopback IP of a native app; it
// matches itself, and a match for it is never one with a fragment or on
// another host.
func FuzzRedirectURI(f *testing.F) {
	for _, sd := range []struct {
		native               bool
		host, uri, requested string
	}{
		{false, "app.example.com", "https://app.example.com/cb", "https://app.example.com/cb"},
		{false, "app.example.com", "https://APP.example.com:8443/cb?x=1", "https://app.example.com/cb?x=1"},
		{false, "app.example.com", "https://app.example.com/cb#f", "https://app.example.com/cb"},
		{false, "app.example.com", "https://app.example.com.evil.example/cb", ""},
		{false, "", "https://app.example.com/cb", ""},
		{true, "", "http://127.0.0.1/cb", "http://127.0.0.1:49152/cb"},
		{true, "", "http://[::1]:0/cb?x", "http://[::1]:1234/cb?x"},
		{true, "", "http://localhost/cb", "http://localhost/cb"},
		{true, "", "http://127.0.0.1/cb", "http://127.0.0.1:80@evil.example/cb"},
		{true, "", "http://127.0.0.1/cb", "http://127.0.0.1/cb#x"},
		{true, "", "com.example.app:/cb", "com.example.app:/cb"},
		{true, "", "com.example.app://evil/cb", ""},
		{true, "", "urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob"},
		{true, "", "JavaScript:alert(1)", ""},
		{true, "", "data:text/html,x", ""},
		{true, "", "com.example.app:/cb\x00", ""},
		{true, "", "", ""},
	} {
		f.Add(sd.native, sd.host, sd.uri, sd.requested)
	}
	f.Fuzz(func(t *testing.T, native bool, clientHost, uri, requested string) {
		appType := AppWeb
		if native {
			appType = AppNative
		}
		clientHost = strings.ToLower(clientHost)
		err := checkRedirectURI(appType, clientHost, uri)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("checkRedirectURI(%q) failed without a reason", uri)
			}
			return
		}
		if !redirectMatches([]string{uri}, uri) {
			t.Fatalf("accepted redirect URI %q does not match itself", uri)
		}
		checkAccepted := func(what, s string) {
			t.Helper()
			if s == oobRedirect {
				return
			}
			u, err := url.Parse(s)
			if err != nil || u.Scheme == "" || strings.Contains(s, "#") || u.User != nil {
				t.Fatalf("%s redirect URI %q (registered %q) is not absolute or has a fragment or user information", what, s, uri)
			}
			switch scheme := strings.ToLower(u.Scheme); scheme {
			case "javascript", "data", "vbscript", "file", "blob", "about":
				t.Fatalf("%s redirect URI %q has the %s: scheme", what, s, scheme)
			case "https":
				if strings.ToLower(u.Hostname()) != clientHost {
					t.Fatalf("%s redirect URI %q is off the client's host %q", what, s, clientHost)
				}
			case "http":
				if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() || !native {
					t.Fatalf("%s redirect URI %q is http off a loopback IP or for a web app", what, s)
				}
			}
		}
		checkAccepted("accepted", uri)
		if requested != uri && redirectMatches([]string{uri}, requested) {
			checkAccepted("matching", requested)
			ru, _ := url.Parse(requested)
			gu, _ := url.Parse(uri)
			if ru.Hostname() != gu.Hostname() || ru.Path != gu.Path || ru.RawQuery != gu.RawQuery {
				t.Fatalf("%q matches registered %q with another host, path or query", requested, uri)
			}
		}
	})
}
