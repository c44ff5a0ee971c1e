package oauth_test

import (
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestRegistrationRefusesMultiLineNames(t *testing.T) {
	e := newEnv(t)
	bad := map[string]string{
		"newline":           "Bank\nSECURITY NOTICE",
		"carriage return":   "Bank\rx",
		"tab":               "Bank\tx",
		"NUL":               "Bank\x00",
		"bidi override":     "evil\u202emoc.elppa",
		"bidi isolate":      "evil\u2066x",
		"zero-width space":  "pay\u200bpal",
		"line separator":    "a\u2028b",
		"paragraph sep":     "a\u2029b",
		"invalid UTF-8":     "bad\xff",
		"byte order mark":   "\ufeffApp",
		"soft hyphen":       "pay\u00adpal",
		"interlinear annot": "a\ufff9b",
	}
	for name, clientName := range bad {
		t.Run("register: "+name, func(t *testing.T) {
			m := webMeta()
			m.ClientName = clientName
			if _, err := e.p.Register(t.Context(), m, ""); errCode(err) != oauth.InvalidClientMetadata {
				t.Fatalf("Register(client_name %q) = %v, want invalid_client_metadata", clientName, err)
			}
		})
	}
	reg, err := e.p.Register(t.Context(), webMeta(), "")
	if err != nil {
		t.Fatal(err)
	}
	for name, clientName := range bad {
		t.Run("update: "+name, func(t *testing.T) {
			m := webMeta()
			m.ClientName = clientName
			_, err := e.p.UpdateRegistration(t.Context(), reg.Client.ID, reg.RegistrationToken.Reveal(), m)
			if errCode(err) != oauth.InvalidClientMetadata {
				t.Fatalf("UpdateRegistration(client_name %q) = %v, want invalid_client_metadata", clientName, err)
			}
		})
	}
	for _, good := range []string{"Example App", "Café Übersicht", "日本語アプリ", "Bob's app (beta)", "Emoji 📺 TV"} {
		m := webMeta()
		m.ClientName = good
		if _, err := e.p.Register(t.Context(), m, ""); err != nil {
			t.Errorf("Register(client_name %q) = %v, want it accepted", good, err)
		}
	}
}

func TestRegistrationClientURIHost(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, uri string
		want      string
	}{
		{"unicode host, shown in ASCII", "https://аpple.com", ""},
		{"ASCII host", "https://app.example.com", ""},
		{"host that has no ASCII form", "https://xn--a.example", oauth.InvalidClientMetadata},
		{"space in host", "https://exa%20mple.com", oauth.InvalidClientMetadata},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := oauth.ClientMetadata{ClientName: "X", ClientURI: tt.uri, TokenEndpointAuthMethod: oauth.AuthNone, GrantTypes: []string{oauth.GrantDeviceCode}}
			if _, err := e.p.Register(t.Context(), m, ""); errCode(err) != tt.want {
				t.Fatalf("Register(client_uri %q) = %v, want %q", tt.uri, err, tt.want)
			}
		})
	}
}
