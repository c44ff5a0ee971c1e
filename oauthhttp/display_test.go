package oauthhttp_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// TestPagesShowAppByLabel checks that the sign-in and consent pages show an
// app as oauth.AppInfo.Label does: its name quoted, beside the host of its
// client_uri in ASCII form, so that a look-alike Unicode host shows as the
// xn-- host it is.
func TestPagesShowAppByLabel(t *testing.T) {
	ts := newTestServer(t, nil)
	reg := ts.register(oauth.ClientMetadata{
		ClientName:              "Apple",
		ApplicationType:         oauth.AppNative,
		ClientURI:               "https://аpple.com",
		RedirectURIs:            []string{"http://127.0.0.1/callback"},
		TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:              []string{oauth.GrantAuthorizationCode},
	})
	const label = `"Apple" (xn--pple-43d.com)`
	params := authorizeParams(reg.Client.ID, map[string]string{"scope": "openid"})
	browser := ts.browser()
	signin := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+params.Encode(), "", ""))
	for name, page := range map[string]response{"sign-in": signin, "consent": toConsent(t, ts, browser, params)} {
		text := html.UnescapeString(page.body)
		if !strings.Contains(text, label) {
			t.Errorf("%s page lacks %s:\n%s", name, label, page.body)
		}
		// The link may lead to the registered URI, but the page never
		// shows the Unicode host as text.
		if strings.Contains(text, ">https://аpple.com<") || strings.Contains(text, "(аpple") {
			t.Errorf("%s page shows the Unicode host:\n%s", name, page.body)
		}
	}
}
