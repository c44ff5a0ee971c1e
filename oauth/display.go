package oauth

import (
	"fmt"
	"net"
		"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

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
