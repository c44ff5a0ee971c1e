package oauthhttp_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-dBjftJeZ4CVP"

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeParams is a valid authorization request of client, changed by
// edits ("" deletes a parameter).
func authorizeParams(client string, edits map[string]string) url.Values {
	v := url.Values{
		"response_type":         {"code"},
		"client_id":             {client},
		"redirect_uri":          {"http://127.0.0.1/callback"},
		"scope":                 {"openid offline_access"},
		"state":                 {"st-123"},
		"nonce":                 {"n-456"},
		"code_challenge":        {challenge(verifier)},
		"code_challenge_method": {"S256"},
	}
	for k, x := range edits {
		if x == "" {
			v.Del(k)
		} else {
			v.Set(k, x)
		}
	}
	return v
}

var (
	csrfRE    = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	requestRE = regexp.MustCompile(`name="request" value="([^"]*)"`)
)

// formField returns a hidden field's value from a page.
func formField(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page has no field matching %s:\n%s", re, page)
	}
	return html.UnescapeString(m[1])
}

func TestAuthorizeErrorsShownToUser(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	tests := []struct {
		name     string
		query    string
		wantText string
	}{
		{"no client_id", authorizeParams(client, map[string]string{"client_id": ""}).Encode(), "no client_id"},
		{"unknown client", authorizeParams("nobody", nil).Encode(), "no application is registered"},
		{"unregistered redirect_uri", authorizeParams(client, map[string]string{"redirect_uri": "https://evil.example/cb"}).Encode(), "redirect_uri is not registered"},
		{"repeated redirect_uri", authorizeParams(client, nil).Encode() + "&redirect_uri=http%3A%2F%2F127.0.0.1%2Fother", "must not be repeated"},
		{"malformed query", "client_id=%zz", "malformed query"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get("/authorize?" + tc.query)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("GET /authorize = %d, want 400", r.StatusCode)
			}
			if loc := r.Header.Get("Location"); loc != "" {
				t.Errorf("redirected to %s; must not redirect to an unvalidated URI", loc)
			}
			checkPageHeaders(t, r)
			if !strings.Contains(html.UnescapeString(r.body), tc.wantText) {
				t.Errorf("page does not say %q:\n%s", tc.wantText, r.body)
			}
		})
	}
}

func TestAuthorizeErrorsRedirected(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	tests := []struct {
		name       string
		method     string
		edits      map[string]string
		wantStatus int
		wantError  string
	}{
		{"no PKCE", http.MethodGet, map[string]string{"code_challenge": "", "code_challenge_method": ""}, http.StatusFound, oauth.InvalidRequest},
		{"plain PKCE", http.MethodGet, map[string]string{"code_challenge_method": "plain"}, http.StatusFound, oauth.InvalidRequest},
		{"implicit flow", http.MethodGet, map[string]string{"response_type": "token"}, http.StatusFound, oauth.UnsupportedResponseType},
		{"unknown scope", http.MethodGet, map[string]string{"scope": "openid root"}, http.StatusFound, oauth.InvalidScope},
		{"prompt=none", http.MethodGet, map[string]string{"prompt": "none"}, http.StatusFound, oauth.LoginRequired},
		{"POST form", http.MethodPost, map[string]string{"prompt": "none"}, http.StatusSeeOther, oauth.LoginRequired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := authorizeParams(client, tc.edits)
			var r response
			if tc.method == http.MethodPost {
				r = ts.do(nil, ts.newRequest(http.MethodPost, "/authorize", formType, params.Encode()))
			} else {
				r = ts.get("/authorize?" + params.Encode())
			}
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("%s /authorize = %d %s, want %d", tc.method, r.StatusCode, r.body, tc.wantStatus)
			}
			loc, err := url.Parse(r.Header.Get("Location"))
			if err != nil {
				t.Fatalf("Location: %v", err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "http://127.0.0.1/callback" {
				t.Errorf("redirected to %s, want the client's redirect URI", got)
			}
			q := loc.Query()
			if q.Get("error") != tc.wantError || q.Get("state") != "st-123" || q.Get("iss") != ts.issuer {
				t.Errorf("redirect query = %v, want error=%s, state=st-123, iss=%s", q, tc.wantError, ts.issuer)
			}
			if q.Get("error_description") == "" {
				t.Errorf("redirect has no error_description")
			}
		})
	}
}

// signIn walks a browser through the sign-in form and returns the wait
// page's path.
func signIn(t *testing.T, ts *testServer, browser *http.Client, params url.Values, jid string) string {
	t.Helper()
	r := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+params.Encode(), "", ""))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize = %d %s", r.StatusCode, r.body)
	}
	form := url.Values{
		"csrf_token": {formField(t, csrfRE, r.body)},
		"request":    {formField(t, requestRE, r.body)},
		"jid":        {jid},
	}
	r = ts.do(browser, ts.newRequest(http.MethodPost, "/authorize/signin", formType, form.Encode()))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /authorize/signin = %d %s, want 303", r.StatusCode, r.body)
	}
	return r.Header.Get("Location")
}

func TestAuthorizeSignInFlow(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	params := authorizeParams(client, map[string]string{"login_hint": alice})

	page := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+params.Encode(), "", ""))
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize = %d %s", page.StatusCode, page.body)
	}
	checkPageHeaders(t, page)
	for _, want := range []string{`<label for="jid">`, `id="jid"`, `value="` + alice + `"`, "Test App", `action="/authorize/signin"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	var csrfCookie *http.Cookie
	for _, c := range page.Cookies() {
		if c.Name == "xoauth_csrf" {
			csrfCookie = c
		}
	}
	if csrfCookie == nil || !csrfCookie.HttpOnly || csrfCookie.SameSite != http.SameSiteLaxMode || csrfCookie.Secure {
		t.Fatalf("CSRF cookie = %+v, want HttpOnly, SameSite=Lax, not Secure on http", csrfCookie)
	}
	token := formField(t, csrfRE, page.body)
	request := formField(t, requestRE, page.body)

	post := func(t *testing.T, b *http.Client, form url.Values) response {
		t.Helper()
		return ts.do(b, ts.newRequest(http.MethodPost, "/authorize/signin", formType, form.Encode()))
	}
	t.Run("CSRF", func(t *testing.T) {
		tests := []struct {
			name    string
			browser *http.Client
			token   string
		}{
			{"no field", browser, ""},
			{"wrong field", browser, strings.Repeat("A", 43)},
			{"no cookie", ts.browser(), token},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := post(t, tc.browser, url.Values{"csrf_token": {tc.token}, "request": {request}, "jid": {alice}})
				if r.StatusCode != http.StatusForbidden {
					t.Errorf("POST /authorize/signin = %d, want 403", r.StatusCode)
				}
				checkPageHeaders(t, r)
			})
		}
	})
	t.Run("user mistakes show the form again", func(t *testing.T) {
		tests := []struct {
			name, jid, wantText string
		}{
			{"empty address", "", "Enter your XMPP address"},
			{"other domain", "bob@elsewhere.test", "cannot sign in here"},
			{"not an address", "alice", "not an XMPP address"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := post(t, browser, url.Values{"csrf_token": {token}, "request": {request}, "jid": {tc.jid}})
				if r.StatusCode != http.StatusBadRequest {
					t.Fatalf("POST /authorize/signin = %d, want 400", r.StatusCode)
				}
				checkPageHeaders(t, r)
				if !strings.Contains(r.body, `role="alert"`) || !strings.Contains(html.UnescapeString(r.body), tc.wantText) {
					t.Errorf("page does not say %q:\n%s", tc.wantText, r.body)
				}
				if formField(t, requestRE, r.body) != request {
					t.Errorf("the form lost the authorization request")
				}
			})
		}
	})
	t.Run("altered request is validated again", func(t *testing.T) {
		altered := authorizeParams(client, map[string]string{"redirect_uri": "https://evil.example/cb"}).Encode()
		r := post(t, browser, url.Values{"csrf_token": {token}, "request": {altered}, "jid": {alice}})
		if r.StatusCode != http.StatusBadRequest || r.Header.Get("Location") != "" {
			t.Errorf("POST /authorize/signin = %d to %q, want a 400 page", r.StatusCode, r.Header.Get("Location"))
		}
	})

	r := post(t, browser, url.Values{"csrf_token": {token}, "request": {request}, "jid": {"Alice@Example.test"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /authorize/signin = %d %s, want 303", r.StatusCode, r.body)
	}
	wait := r.Header.Get("Location")
	if !strings.HasPrefix(wait, "/authorize/wait/") {
		t.Fatalf("Location = %q, want the wait page", wait)
	}
	id := strings.TrimPrefix(wait, "/authorize/wait/")
	if notes := ts.notes.signInNotices(); len(notes) != 1 || notes[0].URL != ts.issuer+wait || notes[0].JID != alice {
		t.Errorf("sign-in notices = %+v, want one for %s with URL %s", notes, alice, ts.issuer+wait)
	}

	t.Run("wait page in another browser", func(t *testing.T) {
		r := ts.do(ts.browser(), ts.newRequest(http.MethodGet, wait, "", ""))
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s from another browser = %d, want 403", wait, r.StatusCode)
		}
	})
	r = ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET wait page = %d %s", r.StatusCode, r.body)
	}
	checkPageHeaders(t, r)
	si, err := ts.p.GetSignIn(t.Context(), id)
	if err != nil {
		t.Fatalf("GetSignIn: %v", err)
	}
	for _, want := range []string{`<meta http-equiv="refresh" content="2">`, si.Code, "yes " + si.Code, alice} {
		if !strings.Contains(r.body, want) {
			t.Errorf("wait page lacks %q:\n%s", want, r.body)
		}
	}

	if _, err := ts.p.DecideSignIn(t.Context(), alice, si.Code, true); err != nil {
		t.Fatalf("DecideSignIn: %v", err)
	}
	r = ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET wait page after approval = %d %s, want 303", r.StatusCode, r.body)
	}
	loc, _ := url.Parse(r.Header.Get("Location"))
	if q := loc.Query(); loc.Host != "127.0.0.1" || q.Get("code") == "" || q.Get("state") != "st-123" || q.Get("iss") != ts.issuer {
		t.Errorf("redirect = %s, want code, state and iss on the client's URI", loc)
	}

	r = ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	if r.StatusCode == http.StatusSeeOther || r.StatusCode == http.StatusOK {
		t.Errorf("GET wait page a second time = %d, want an error page", r.StatusCode)
	}
}

func TestAuthorizeDenied(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	wait := signIn(t, ts, browser, authorizeParams(client, nil), alice)
	if _, err := ts.p.DecideSignIn(t.Context(), alice, strings.TrimPrefix(wait, "/authorize/wait/"), false); err != nil {
		t.Fatalf("DecideSignIn: %v", err)
	}
	r := ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	loc, _ := url.Parse(r.Header.Get("Location"))
	if q := loc.Query(); r.StatusCode != http.StatusSeeOther || q.Get("error") != oauth.AccessDenied || q.Get("state") != "st-123" {
		t.Errorf("GET wait page = %d to %s, want 303 with access_denied", r.StatusCode, loc)
	}
}

func TestAuthorizeExpired(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	wait := signIn(t, ts, browser, authorizeParams(client, nil), alice)
	ts.clock.Advance(ts.p.Config().SignInTTL + 1)
	r := ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || loc.Query().Get("error") != oauth.AccessDenied {
		t.Errorf("GET wait page after expiry = %d to %s, want access_denied", r.StatusCode, loc)
	}
}

func TestAuthorizeOutOfBand(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	wait := signIn(t, ts, browser, authorizeParams(client, map[string]string{"redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}), alice)
	if _, err := ts.p.DecideSignIn(t.Context(), alice, strings.TrimPrefix(wait, "/authorize/wait/"), true); err != nil {
		t.Fatalf("DecideSignIn: %v", err)
	}
	r := ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET wait page = %d %s, want the code page", r.StatusCode, r.body)
	}
	checkPageHeaders(t, r)
	if !regexp.MustCompile(`id="code" type="text" readonly value="[A-Za-z0-9_-]{43}"`).MatchString(r.body) {
		t.Errorf("page does not show the code:\n%s", r.body)
	}
}

func TestAuthorizeRateLimited(t *testing.T) {
	ts := newTestServer(t, func(c *oauth.Config) {
		c.Limits.SignInPushes = oauth.Rate{Count: 1, Window: 60e9}
	})
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	signIn(t, ts, browser, authorizeParams(client, nil), alice)
	page := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+authorizeParams(client, nil).Encode(), "", ""))
	form := url.Values{"csrf_token": {formField(t, csrfRE, page.body)}, "request": {formField(t, requestRE, page.body)}, "jid": {alice}}
	r := ts.do(browser, ts.newRequest(http.MethodPost, "/authorize/signin", formType, form.Encode()))
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second sign-in = %d, want 429", r.StatusCode)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	checkPageHeaders(t, r)
}

func TestCookiesOnHTTPS(t *testing.T) {
	ts := newTLSTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	r := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+authorizeParams(client, nil).Encode(), "", ""))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize = %d %s", r.StatusCode, r.body)
	}
	cookies := r.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-xoauth_csrf" || !cookies[0].Secure || cookies[0].Path != "/" {
		t.Fatalf("cookies = %+v, want one Secure __Host- cookie", cookies)
	}
	form := url.Values{"csrf_token": {formField(t, csrfRE, r.body)}, "request": {formField(t, requestRE, r.body)}, "jid": {alice}}
	r = ts.do(browser, ts.newRequest(http.MethodPost, "/authorize/signin", formType, form.Encode()))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /authorize/signin = %d %s", r.StatusCode, r.body)
	}
	cookies = r.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Secure-xoauth_signin" || !cookies[0].Secure || !cookies[0].HttpOnly {
		t.Fatalf("cookies = %+v, want the Secure sign-in binding cookie", cookies)
	}
	r = ts.do(browser, ts.newRequest(http.MethodGet, r.Header.Get("Location"), "", ""))
	if r.StatusCode != http.StatusOK {
		t.Errorf("GET wait page = %d, want 200", r.StatusCode)
	}
}
