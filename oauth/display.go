package oauth

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxShownNameLen is how many characters of an app's name are shown to a
// user who decides (chat pushes, ad-hoc forms, web pages); a longer name is
// cut, ending in "…". Registration allows longer names (see applyMetadata),
// which the admin commands show whole.
const MaxShownNameLen = 48

// deletedAppName is shown for an app whose client was deleted meanwhile.
const deletedAppName = "(deleted application)"

// AppLabel is how an app is shown to a user deciding about it. Everything in
// it was chosen by whoever registered the app, so it is untrusted text in
// front of the user: [AppInfo.Label] makes it one line of limited length,
// and names the host the app registered (its client_uri's) in ASCII, so that
// a name cannot pose as a message of this service or as another app, and a
// look-alike Unicode host shows as the xn-- host it is (RFC 5890 A-labels).
// Every transport (chat, ad-hoc commands, web pages) shows apps through it,
// so that they all show the same.
type AppLabel struct {
	// Name is the app's name on one line: control and format characters
	// (bidi overrides, zero-width characters) removed, runs of white space
	// and line breaks turned into one space, quotation marks turned into
	// apostrophes so that the name cannot close the quotes it is shown in,
	// and cut to MaxShownNameLen characters. It is "(deleted application)"
	// for an app whose client no longer exists.
	Name string
	// Host is the host of the app's client_uri in ASCII (A-labels), lower
	// case, without port; "" when the app registered no usable client_uri.
	Host    string
	deleted bool
}

// Label returns how the app is shown to a user; see [AppLabel].
func (a AppInfo) Label() AppLabel {
	if strings.TrimSpace(a.Name) == "" {
		return AppLabel{Name: deletedAppName, deleted: true}
	}
	return AppLabel{Name: shownName(a.Name), Host: asciiHost(a.URI)}
}

// Quoted returns the name in double quotes, as it is always shown; the
// deleted-app placeholder is not quoted, since no app chose it.
func (l AppLabel) Quoted() string {
	if l.deleted {
		return l.Name
	}
	return `"` + l.Name + `"`
}

// String returns the quoted name beside the host: `"Example" (example.com)`,
// or `"Demo TV" (no web address)` for an app that registered none.
func (l AppLabel) String() string {
	switch {
	case l.deleted:
		return l.Name
	case l.Host == "":
		return l.Quoted() + " (no web address)"
	}
	return l.Quoted() + " (" + l.Host + ")"
}

// shownName turns a stored name into what AppLabel.Name says.
func shownName(name string) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range strings.ToValidUTF8(name, "\uFFFD") {
		switch {
		case unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		case strings.ContainsRune(`"“”„‟«»〝〞＂`, r):
			r = '\''
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	s := b.String()
	if n <= MaxShownNameLen {
		return s
	}
	runes := []rune(s)[:MaxShownNameLen-1]
	return strings.TrimRight(string(runes), " ") + "…"
}

// asciiHost returns the host of rawURL in ASCII, or "" if it has none that
// IDNA's lookup rules accept.
func asciiHost(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	host, err := hostASCII(u.Hostname())
	if err != nil {
		return ""
	}
	return host
}

// hostASCII returns host in its ASCII form: an IP literal as it is, a
// domain name converted with IDNA's lookup profile (UTS #46 mapping, then
// RFC 5891 A-labels), which also refuses characters no host name may hold.
func hostASCII(host string) (string, error) {
	if host == "" {
		return "", fmt.Errorf("no host")
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	a, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("host %q is not a valid domain name", host)
	}
	return a, nil
}

// checkShownName refuses a client_name that could not be shown on one line
// as it is: invalid UTF-8, control characters (line breaks, tabs), line and
// paragraph separators, and format characters (bidi overrides and
// isolates, zero-width characters, soft hyphens), which can make a name
// read as something else than it is.
func checkShownName(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("client_name is not valid UTF-8")
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return fmt.Errorf("client_name must be one line without control characters (it has U+%04X)", r)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("client_name must not contain format characters such as bidi overrides (it has U+%04X)", r)
		}
	}
	return nil
}
