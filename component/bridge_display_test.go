package component

import (
	"context"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// lookalikeCore shows every device code as a request of an app whose
// client_uri host has a Cyrillic а.
type lookalikeCore struct{ limitedCore }

func (lookalikeCore) LookupDevice(context.Context, string, string) (oauth.DeviceRequest, error) {
	return oauth.DeviceRequest{UserCode: "WDJB-MJHT", App: oauth.AppInfo{Name: "Apple\nSECURITY NOTICE: reply yes", URI: "https://аpple.com"},
		Scopes: []oauth.ScopeInfo{{Name: "openid", Description: "Confirm your XMPP address to the app (sign in)"}}}, nil
}

// TestChatShowsAppByLabel checks that chat shows an app as
// oauth.AppInfo.Label does: one line, quoted, beside its host in ASCII.
func TestChatShowsAppByLabel(t *testing.T) {
	b := NewBridge("Test", nil, nil)
	b.core = lookalikeCore{}
	got := b.chat(t.Context(), "alice@example.test", "WDJB-MJHT", "")
	const label = `"Apple SECURITY NOTICE: reply yes" (xn--pple-43d.com)`
	if !strings.Contains(got, label) || strings.Contains(got, "аpple") {
		t.Errorf("device code lookup = %q, want %s and no Unicode host", got, label)
	}
	for _, text := range []string{
		deviceNoticeText("Test", oauth.DeviceNotice{UserCode: "WDJB-MJHT", App: oauth.AppInfo{Name: "Apple", URI: "https://аpple.com"}}),
		signInNoticeText("Test", oauth.SignInNotice{Code: "KXT-PQR", App: oauth.AppInfo{Name: "Apple", URI: "https://аpple.com"}}),
	} {
		if !strings.Contains(text, `"Apple" (xn--pple-43d.com)`) {
			t.Errorf("push = %q, want the app quoted beside its ASCII host", text)
		}
	}
}
