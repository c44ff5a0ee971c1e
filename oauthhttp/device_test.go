package oauthhttp_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

func TestDeviceAuthorization(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	conf := ts.confidentialClient()
	tests := []struct {
		name       string
		auth       string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{name: "public client", form: url.Values{"client_id": {public}, "scope": {"openid xmpp"}}, wantStatus: http.StatusOK},
		{name: "confidential client with Basic", auth: basic(conf.Client.ID, conf.Secret.Reveal()), form: url.Values{"scope": {"xmpp"}}, wantStatus: http.StatusOK},
		{name: "wrong secret", auth: basic(conf.Client.ID, "x"), wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "no client", form: url.Values{"scope": {"xmpp"}}, wantStatus: http.StatusUnauthorized, wantError: oauth.InvalidClient},
		{name: "unknown scope", form: url.Values{"client_id": {public}, "scope": {"root"}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidScope},
		{name: "repeated scope", form: url.Values{"client_id": {public}, "scope": {"xmpp", "openid"}}, wantStatus: http.StatusBadRequest, wantError: oauth.InvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm("/device_authorization", tc.form, tc.auth)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("POST /device_authorization = %d %s, want %d", r.StatusCode, r.body, tc.wantStatus)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if tc.wantError != "" {
				if got := r.errorCode(t); got != tc.wantError {
					t.Errorf("error = %q, want %q", got, tc.wantError)
				}
				return
			}
			m := r.json(t)
			if m["device_code"] == "" || m["user_code"] == "" || m["verification_uri"] != ts.issuer+"/device" ||
				!strings.HasPrefix(m["verification_uri_complete"].(string), ts.issuer+"/device?user_code=") {
				t.Errorf("response = %v", m)
			}
		})
	}
}

func TestDevicePolling(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	da := ts.postForm("/device_authorization", url.Values{"client_id": {public}}, "").json(t)
	poll := func() response {
		return ts.postForm("/token", url.Values{"grant_type": {oauth.GrantDeviceCode}, "device_code": {da["device_code"].(string)}, "client_id": {public}}, "")
	}
	steps := []struct {
		name      string
		before    func()
		wantError string
	}{
		{"pending", nil, oauth.AuthorizationPending},
		{"too fast", nil, oauth.SlowDown},
		{"denied", func() {
			ts.clock.Advance(60e9)
			if err := ts.p.DecideDevice(t.Context(), alice, da["user_code"].(string), false); err != nil {
				t.Fatalf("DecideDevice: %v", err)
			}
		}, oauth.AccessDenied},
		{"expired", func() { ts.clock.Advance(ts.p.Config().DeviceCodeTTL) }, oauth.ExpiredToken},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			r := poll()
			if r.StatusCode != http.StatusBadRequest || r.errorCode(t) != s.wantError {
				t.Errorf("poll = %d %s, want 400 %s", r.StatusCode, r.body, s.wantError)
			}
		})
	}
}

var userCodeRE = regexp.MustCompile(`id="user_code"[^>]*value="([^"]*)"`)

func TestDevicePage(t *testing.T) {
	ts := newTestServer(t, nil)
	public := ts.nativeClient().Client.ID
	da := ts.postForm("/device_authorization", url.Values{"client_id": {public}}, "").json(t)
	userCode := da["user_code"].(string)

	browser := ts.browser()
	r := ts.do(browser, ts.newRequest(http.MethodGet, "/device", "", ""))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /device = %d", r.StatusCode)
	}
	checkPageHeaders(t, r)
	for _, want := range []string{`<label for="user_code">`, `<label for="jid">`, `action="/device"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("device page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "Check that it is the same code") || strings.Contains(r.body, "<svg") {
		t.Errorf("empty form asks to check a code, or shows a QR code")
	}

	r = ts.do(browser, ts.newRequest(http.MethodGet, "/device?user_code="+url.QueryEscape(userCode), "", ""))
	if got := formField(t, userCodeRE, r.body); got != userCode {
		t.Errorf("prefilled user code = %q, want %q", got, userCode)
	}
	// RFC 8628 §5.4: with the code in the link, the user must check it.
	if !strings.Contains(r.body, "Check that it is the same code") || !strings.Contains(r.body, `<p class="code">`+userCode+`</p>`) {
		t.Errorf("prefilled form does not ask to check the code:\n%s", r.body)
	}
	if !strings.Contains(r.body, `<svg class="qr"`) || !strings.Contains(r.body, `aria-label="QR code of the link to this page with code `+userCode+`"`) {
		t.Errorf("prefilled form has no QR code of verification_uri_complete:\n%s", r.body)
	}
	token := formField(t, csrfRE, r.body)

	submit := func(b *http.Client, form url.Values) response {
		return ts.do(b, ts.newRequest(http.MethodPost, "/device", formType, form.Encode()))
	}
	tests := []struct {
		name       string
		browser    *http.Client
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"no CSRF token", browser, url.Values{"user_code": {userCode}, "jid": {alice}}, http.StatusForbidden, "expired"},
		{"other browser", ts.browser(), url.Values{"csrf_token": {token}, "user_code": {userCode}, "jid": {alice}}, http.StatusForbidden, "expired"},
		{"missing address", browser, url.Values{"csrf_token": {token}, "user_code": {userCode}}, http.StatusBadRequest, "Enter both"},
		{"wrong code", browser, url.Values{"csrf_token": {token}, "user_code": {"BBBB-BBBB"}, "jid": {alice}}, http.StatusBadRequest, "No device is waiting"},
		{"other domain", browser, url.Values{"csrf_token": {token}, "user_code": {userCode}, "jid": {"bob@elsewhere.test"}}, http.StatusBadRequest, "cannot sign in here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := submit(tc.browser, tc.form)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("POST /device = %d, want %d:\n%s", r.StatusCode, tc.wantStatus, r.body)
			}
			checkPageHeaders(t, r)
			if !strings.Contains(html.UnescapeString(r.body), tc.wantText) {
				t.Errorf("page does not say %q:\n%s", tc.wantText, r.body)
			}
		})
	}
	r = submit(browser, url.Values{"csrf_token": {token}, "user_code": {strings.ToLower(userCode)}, "jid": {"Alice@example.test"}})
	sent := "/device/sent?" + url.Values{"jid": {alice}, "user_code": {userCode}}.Encode()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != sent {
		t.Fatalf("POST /device = %d to %q, want 303 to %s", r.StatusCode, r.Header.Get("Location"), sent)
	}
	r = ts.do(browser, ts.newRequest(http.MethodGet, sent, "", ""))
	checkPageHeaders(t, r)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, userCode) || !strings.Contains(r.body, alice) || !strings.Contains(r.body, "yes "+userCode) {
		t.Errorf("GET %s = %d:\n%s", sent, r.StatusCode, r.body)
	}
	if n, ok := ts.notes.lastDevice(); !ok || n.JID != alice || n.UserCode != userCode {
		t.Errorf("device notice = %+v, want one for %s with %s", n, alice, userCode)
	}
}

func TestDevicePageRateLimited(t *testing.T) {
	ts := newTestServer(t, func(c *oauth.Config) { c.Limits.UserCodeAttempts = oauth.Rate{Count: 1, Window: 60e9} })
	browser := ts.browser()
	r := ts.do(browser, ts.newRequest(http.MethodGet, "/device", "", ""))
	form := url.Values{"csrf_token": {formField(t, csrfRE, r.body)}, "user_code": {"BBBB-BBBB"}, "jid": {alice}}
	var last response
	for range 3 {
		last = ts.do(browser, ts.newRequest(http.MethodPost, "/device", formType, form.Encode()))
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("after too many wrong codes: %d, Retry-After %q; want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
	}
}

// testCommands are the commands the pages name, as the assembly passes them
// from package adhoc.
var testCommands = oauthhttp.Commands{
	ApproveDevice: oauthhttp.Command{Node: "approve-device", Name: "Approve a device"},
	SignIns:       oauthhttp.Command{Node: "pending", Name: "Pending sign-ins"},
}

func withComponent(o *oauthhttp.Options) {
	o.ComponentJID = "auth.example.test"
	o.Commands = testCommands
}

// TestDevicePageNamesTheCommand checks that the device page names the
// command both as command menus list it and as clients that list nodes
// (profanity) do, links to it, and suggests adding the component as a
// contact.
func TestDevicePageNamesTheCommand(t *testing.T) {
	ts := newTestServer(t, nil, withComponent)
	r := ts.get("/device")
	for _, want := range []string{
		"auth.example.test", "Approve a device", "<kbd>approve-device</kbd>",
		`href="xmpp:auth.example.test?command;node=approve-device"`, // XEP-0050 §2.5, XEP-0147
		"add <strong>auth.example.test</strong> to your contacts",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("device page lacks %q:\n%s", want, r.body)
		}
	}
	// Without commands given, the page still tells what to do.
	bare := newTestServer(t, nil, func(o *oauthhttp.Options) { o.ComponentJID = "auth.example.test" })
	if r := bare.get("/device"); !strings.Contains(r.body, "auth.example.test") || strings.Contains(r.body, "command;node=") {
		t.Errorf("device page without commands:\n%s", r.body)
	}
}

func TestDeviceSentNeedsItsParameters(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, q := range []string{"", "?jid=a@example.test", "?user_code=" + strings.Repeat("A", 40) + "&jid=a@example.test"} {
		if r := ts.get("/device/sent" + q); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/device" {
			t.Errorf("GET /device/sent%s = %d to %q, want 303 to /device", q, r.StatusCode, r.Header.Get("Location"))
		}
	}
}
