package oauth_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestAppLabel(t *testing.T) {
	long := strings.Repeat("Long name ", 20)
	tests := []struct {
		name       string
		app        oauth.AppInfo
		wantName   string
		wantHost   string
		wantString string
	}{
		{"name and host", oauth.AppInfo{Name: "Example App", URI: "https://app.example.com/about"},
			"Example App", "app.example.com", `"Example App" (app.example.com)`},
		{"no address", oauth.AppInfo{Name: "Demo TV"},
			"Demo TV", "", `"Demo TV" (no web address)`},
		{"host with port and upper case", oauth.AppInfo{Name: "A", URI: "https://App.Example.COM:8443/"},
			"A", "app.example.com", `"A" (app.example.com)`},
		// RFC 3492 / IDNA: a Cyrillic а makes another host than apple.com;
		// its ASCII form shows it.
		{"unicode host in ASCII", oauth.AppInfo{Name: "Apple", URI: "https://аpple.com"},
			"Apple", "xn--pple-43d.com", `"Apple" (xn--pple-43d.com)`},
		{"punycode host stays", oauth.AppInfo{Name: "Apple", URI: "https://xn--pple-43d.com/"},
			"Apple", "xn--pple-43d.com", `"Apple" (xn--pple-43d.com)`},
		{"not a usable host", oauth.AppInfo{Name: "X", URI: "https://exa mple.com"},
			"X", "", `"X" (no web address)`},
		// Names stored before registration refused them: never more than
		// one line, whatever they hold.
		{"newlines and tabs", oauth.AppInfo{Name: "Bank\n\nSECURITY NOTICE:\treply yes"},
			"Bank SECURITY NOTICE: reply yes", "", `"Bank SECURITY NOTICE: reply yes" (no web address)`},
		{"bidi override and zero-width characters", oauth.AppInfo{Name: "evil\u202emoc.elppa\u200b\u2066x"},
			"evilmoc.elppax", "", `"evilmoc.elppax" (no web address)`},
		{"quotes cannot close the quote", oauth.AppInfo{Name: `Mail" (mail.example.com) “x”`, URI: "https://evil.example"},
			"Mail' (mail.example.com) 'x'", "evil.example", `"Mail' (mail.example.com) 'x'" (evil.example)`},
		{"invalid UTF-8", oauth.AppInfo{Name: "Bad\xffName"},
			"Bad\uFFFDName", "", `"Bad` + "\uFFFD" + `Name" (no web address)`},
		{"deleted app", oauth.AppInfo{ClientID: "abc"},
			"(deleted application)", "", "(deleted application)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.app.Label()
			if l.Name != tt.wantName || l.Host != tt.wantHost {
				t.Errorf("Label() = {Name: %q, Host: %q}, want {%q, %q}", l.Name, l.Host, tt.wantName, tt.wantHost)
			}
			if got := l.String(); got != tt.wantString {
				t.Errorf("Label().String() = %q, want %q", got, tt.wantString)
			}
		})
	}

	t.Run("long names are cut", func(t *testing.T) {
		l := oauth.AppInfo{Name: long}.Label()
		if n := utf8.RuneCountInString(l.Name); n != oauth.MaxShownNameLen {
			t.Errorf("shown name has %d characters, want %d: %q", n, oauth.MaxShownNameLen, l.Name)
		}
		if !strings.HasSuffix(l.Name, "…") || !strings.HasPrefix(long, strings.TrimSuffix(l.Name, "…")) {
			t.Errorf("shown name = %q, want the start of the name and …", l.Name)
		}
		if q := l.Quoted(); q != `"`+l.Name+`"` {
			t.Errorf("Quoted() = %q", q)
		}
	})
}
