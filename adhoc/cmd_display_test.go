package adhoc_test

import (
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// lookalike is a device app whose client_uri host has a Cyrillic а: it is
// not apple.com, and the user must see so wherever they decide.
func lookalike() oauth.ClientMetadata {
	return oauth.ClientMetadata{ClientName: "Apple TV", ClientURI: "https://аpple.com", TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken}}
}

const lookalikeLabel = `"Apple TV" (xn--pple-43d.com)`

// TestAppsShownByLabel checks that every command shows an app as
// oauth.AppInfo.Label does: quoted, beside its host in ASCII form.
func TestAppsShownByLabel(t *testing.T) {
	e := newCmdEnv(t)
	_, cred := e.register(t, lookalike())
	d := e.startDevice(t, cred, "openid")

	form := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
	show := e.next(t, userAlice, form, adhoc.ActionNext, one("user_code", d.auth.UserCode), false)
	if text := fixedText(show.Form); !strings.Contains(text, lookalikeLabel) || strings.Contains(text, "аpple") {
		t.Errorf("approval stage shows %q, want %s and no Unicode host", text, lookalikeLabel)
	}
	e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", "approve"), false)

	list := e.start(t, userAlice, adhoc.NodeListApps, false)
	if text := fixedText(list.Form); !strings.Contains(text, lookalikeLabel) {
		t.Errorf("List authorized apps shows %q, want %s", text, lookalikeLabel)
	}
	if r := rows(list.Form); len(r) != 1 || r[0]["app"] != "Apple TV" || r[0]["uri"] != "xn--pple-43d.com" {
		t.Errorf("List authorized apps table = %v, want the name and the ASCII host", r)
	}

	revoke := e.start(t, userAlice, adhoc.NodeRevokeApps, false)
	for label := range options(t, revoke.Form, "grants") {
		if !strings.HasPrefix(label, lookalikeLabel) {
			t.Errorf("Revoke app access offers %q, want it to start with %s", label, lookalikeLabel)
		}
	}

	clients := e.start(t, userAdmin, adhoc.NodeListClients, true)
	if text := fixedText(clients.Form); !strings.Contains(text, lookalikeLabel) {
		t.Errorf("List clients shows %q, want %s", text, lookalikeLabel)
	}
}
