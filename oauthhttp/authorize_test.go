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
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
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
		{"unknown client", authorizeParams("nobody", nil).Encode(), "No application is registered"},
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

// decide answers the sign-in waiting at wait as alice would in chat.
func decide(t *testing.T, ts *testServer, wait string, approve bool) {
	t.Helper()
	if _, err := ts.p.DecideSignIn(t.Context(), alice, strings.TrimPrefix(wait, "/authorize/wait/"), approve); err != nil {
		t.Fatalf("DecideSignIn: %v", err)
	}
}

// toConsent signs alice in with approval in chat and returns the consent
// page the browser lands on.
func toConsent(t *testing.T, ts *testServer, browser *http.Client, params url.Values) response {
	t.Helper()
	wait := signIn(t, ts, browser, params, alice)
	decide(t, ts, wait, true)
	r := ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/authorize?") {
		t.Fatalf("GET wait page after approval = %d to %q, want 303 back to /authorize", r.StatusCode, r.Header.Get("Location"))
	}
	r = ts.do(browser, ts.newRequest(http.MethodGet, r.Header.Get("Location"), "", ""))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `value="approve"`) {
		t.Fatalf("GET /authorize after sign-in = %d, want the consent page:\n%s", r.StatusCode, r.body)
	}
	return r
}

var jidFieldRE = regexp.MustCompile(`name="jid" value="([^"]*)"`)

// answer posts the consent page's form with decision.
func answer(t *testing.T, ts *testServer, browser *http.Client, page response, decision string) response {
	t.Helper()
	form := url.Values{
		"csrf_token": {formField(t, csrfRE, page.body)},
		"request":    {formField(t, requestRE, page.body)},
		"jid":        {formField(t, jidFieldRE, page.body)},
		"decision":   {decision},
	}
	return ts.do(browser, ts.newRequest(http.MethodPost, "/authorize/consent", formType, form.Encode()))
}

// clientRedirect checks that r sends the browser to the test client's
// redirect URI with state and iss, and returns the query.
func clientRedirect(t *testing.T, ts *testServer, r response, wantStatus int) url.Values {
	t.Helper()
	loc, err := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != wantStatus || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != "http://127.0.0.1/callback" {
		t.Fatalf("response = %d to %q, want %d to the client's redirect URI:\n%s", r.StatusCode, r.Header.Get("Location"), wantStatus, r.body)
	}
	q := loc.Query()
	if q.Get("state") != "st-123" || q.Get("iss") != ts.issuer {
		t.Fatalf("redirect query = %v, want state and iss (RFC 9207)", q)
	}
	return q
}

func cookieNamed(r response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestAuthorizeSignInFlow(t *testing.T) {
	ts := newTestServer(t, nil, withComponent)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	params := authorizeParams(client, map[string]string{"login_hint": alice})

	page := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+params.Encode(), "", ""))
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET /authorize = %d %s", page.StatusCode, page.body)
	}
	checkPageHeaders(t, page)
	for _, want := range []string{`<label for="jid">`, `id="jid"`, `value="` + alice + `"`, "Test App", `action="/authorize/signin"`, "auth.example.test"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	if strings.Contains(page.body, `type="password"`) {
		t.Errorf("sign-in page offers a password while password sign-in is off")
	}
	csrfCookie := cookieNamed(page, "xoauth_csrf")
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
		for _, path := range []string{wait, wait + "/status"} {
			r := ts.do(ts.browser(), ts.newRequest(http.MethodGet, path, "", ""))
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s from another browser = %d, want 403", path, r.StatusCode)
			}
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
	for _, want := range []string{
		`<noscript><meta http-equiv="refresh" content="3"></noscript>`,         // goes on without JavaScript
		`<script src="/static/wait.js?v=`, `data-status="` + wait + `/status"`, // and at once with it
		si.Code, "yes " + si.Code, "Pending sign-ins", "<kbd>pending</kbd>", alice, // the three ways to answer
		`href="xmpp:auth.example.test?command;node=pending"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("wait page lacks %q:\n%s", want, r.body)
		}
	}
	status := func() string {
		t.Helper()
		r := ts.do(browser, ts.newRequest(http.MethodGet, wait+"/status", "", ""))
		if r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("GET status = %d, Cache-Control %q", r.StatusCode, r.Header.Get("Cache-Control"))
		}
		return strings.TrimSpace(r.body)
	}
	if got := status(); got != `{"done":false}` {
		t.Errorf("status while pending = %s", got)
	}

	decide(t, ts, wait, true)
	if got := status(); got != `{"done":true}` {
		t.Errorf("status once approved = %s", got)
	}
	r = ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/authorize?") {
		t.Fatalf("GET wait page after approval = %d to %q, want 303 back to /authorize", r.StatusCode, r.Header.Get("Location"))
	}
	sess := cookieNamed(r, "xoauth_session")
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure || sess.MaxAge != 0 || sess.Path != "/" {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, a browser-session cookie (no lifetime configured)", sess)
	}
	if again := ts.do(browser, ts.newRequest(http.MethodGet, wait, "", "")); again.StatusCode != http.StatusForbidden && again.StatusCode != http.StatusBadRequest {
		t.Errorf("GET wait page a second time = %d, want an error page", again.StatusCode)
	}

	consent := ts.do(browser, ts.newRequest(http.MethodGet, r.Header.Get("Location"), "", ""))
	if consent.StatusCode != http.StatusOK {
		t.Fatalf("GET consent = %d %s", consent.StatusCode, consent.body)
	}
	checkPageHeaders(t, consent)
	for _, want := range []string{`Allow "Test App" to use your account?`, "Keep access while you are away", "Confirm your XMPP address",
		alice, `value="approve"`, `value="deny"`, `action="/signout"`, "Sign out"} {
		if !strings.Contains(html.UnescapeString(consent.body), want) {
			t.Errorf("consent page lacks %q:\n%s", want, consent.body)
		}
	}

	done := answer(t, ts, browser, consent, "approve")
	q := clientRedirect(t, ts, done, http.StatusSeeOther)
	if ck := cookieNamed(done, "xoauth_session"); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("session cookie after consent = %+v, want it ended (no lifetime configured)", ck)
	}
	tok := ts.postForm("/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {"http://127.0.0.1/callback"},
		"client_id": {client}, "code_verifier": {verifier},
	}, "")
	if tok.StatusCode != http.StatusOK || tok.json(t)["id_token"] == nil {
		t.Errorf("code exchange = %d %s", tok.StatusCode, tok.body)
	}
}

func TestAuthorizeNotApproved(t *testing.T) {
	tests := []struct {
		name     string
		answer   func(ts *testServer, wait string)
		wantText string
	}{
		{"denied in chat", func(ts *testServer, wait string) { decide(t, ts, wait, false) }, "Sign-in denied"},
		{"expired", func(ts *testServer, _ string) { ts.clock.Advance(ts.p.Config().SignInTTL + 1) }, "Sign-in request expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			client := ts.nativeClient().Client.ID
			browser := ts.browser()
			wait := signIn(t, ts, browser, authorizeParams(client, nil), alice)
			tc.answer(ts, wait)
			r := ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
			if r.StatusCode != http.StatusOK || !strings.Contains(r.body, tc.wantText) || !strings.Contains(r.body, "Back to Test App") {
				t.Fatalf("GET wait page = %d, want a page saying %q with a link back:\n%s", r.StatusCode, tc.wantText, r.body)
			}
			checkPageHeaders(t, r)
			link := regexp.MustCompile(`class="button" href="([^"]+)"`).FindStringSubmatch(r.body)
			if link == nil {
				t.Fatalf("no link back to the app:\n%s", r.body)
			}
			loc, _ := url.Parse(html.UnescapeString(link[1]))
			if q := loc.Query(); loc.Host != "127.0.0.1" || q.Get("error") != oauth.AccessDenied || q.Get("state") != "st-123" || q.Get("iss") != ts.issuer {
				t.Errorf("link back = %s, want access_denied with state and iss", loc)
			}
			if cookieNamed(r, "xoauth_session") != nil {
				t.Errorf("a session was started without an approval")
			}
		})
	}
}

func TestAuthorizeOutOfBand(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	page := toConsent(t, ts, browser, authorizeParams(client, map[string]string{"redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}))
	r := answer(t, ts, browser, page, "approve")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("POST consent = %d %s, want the code page", r.StatusCode, r.body)
	}
	checkPageHeaders(t, r)
	if !regexp.MustCompile(`id="code" type="text" readonly value="[A-Za-z0-9_-]{43}"`).MatchString(r.body) {
		t.Errorf("page does not show the code:\n%s", r.body)
	}
}

func TestConsent(t *testing.T) {
	ts := newTestServer(t, nil)
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	params := authorizeParams(client, nil)
	page := toConsent(t, ts, browser, params)
	fields := func(edit map[string]string) url.Values {
		f := url.Values{
			"csrf_token": {formField(t, csrfRE, page.body)}, "request": {formField(t, requestRE, page.body)},
			"jid": {alice}, "decision": {"approve"},
		}
		for k, v := range edit {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name       string
		browser    *http.Client
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"no CSRF token", browser, fields(map[string]string{"csrf_token": ""}), http.StatusForbidden, "This form has expired"},
		{"another browser, not signed in", ts.browser(), fields(nil), http.StatusForbidden, "This form has expired"},
		{"another account since the page was shown", browser, fields(map[string]string{"jid": "bob@example.test"}), http.StatusConflict, "You are now signed in as " + alice},
		{"no decision", browser, fields(map[string]string{"decision": "maybe"}), http.StatusBadRequest, "Choose Allow or Deny"},
		{"altered request", browser, fields(map[string]string{"request": authorizeParams(client, map[string]string{"redirect_uri": "https://evil.example/cb"}).Encode()}), http.StatusBadRequest, "redirect_uri is not registered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(tc.browser, ts.newRequest(http.MethodPost, "/authorize/consent", formType, tc.form.Encode()))
			if r.StatusCode != tc.wantStatus || r.Header.Get("Location") != "" {
				t.Fatalf("POST /authorize/consent = %d to %q, want %d", r.StatusCode, r.Header.Get("Location"), tc.wantStatus)
			}
			checkPageHeaders(t, r)
			if !strings.Contains(html.UnescapeString(r.body), tc.wantText) {
				t.Errorf("page does not say %q:\n%s", tc.wantText, r.body)
			}
		})
	}
	t.Run("signed out meanwhile", func(t *testing.T) {
		b := ts.browser()
		p := toConsent(t, ts, b, params)
		u, _ := url.Parse(ts.issuer)
		b.Jar.SetCookies(u, []*http.Cookie{{Name: "xoauth_session", Value: "", MaxAge: -1, Path: "/"}})
		r := answer(t, ts, b, p, "approve")
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Your sign-in has ended") || !strings.Contains(r.body, `action="/authorize/signin"`) {
			t.Errorf("consent without a session = %d, want the sign-in form:\n%s", r.StatusCode, r.body)
		}
	})
	t.Run("deny", func(t *testing.T) {
		q := clientRedirect(t, ts, answer(t, ts, browser, page, "deny"), http.StatusSeeOther)
		if q.Get("error") != oauth.AccessDenied || q.Get("code") != "" {
			t.Errorf("deny = %v, want access_denied", q)
		}
	})
}

func TestRememberedSession(t *testing.T) {
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) {
		o.SessionLifetime = time.Hour
		o.SessionKey = []byte("a key for the tests, 32 bytes ok")
	})
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	params := authorizeParams(client, nil)
	page := toConsent(t, ts, browser, params)
	done := answer(t, ts, browser, page, "approve")
	clientRedirect(t, ts, done, http.StatusSeeOther)
	if ck := cookieNamed(done, "xoauth_session"); ck != nil {
		t.Errorf("consent ended a remembered session: %+v", ck)
	}

	get := func(t *testing.T, b *http.Client, p url.Values) response {
		t.Helper()
		return ts.do(b, ts.newRequest(http.MethodGet, "/authorize?"+p.Encode(), "", ""))
	}
	// The next sign-in is one click: the consent page, straight away.
	r := get(t, browser, params)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `value="approve"`) || !strings.Contains(r.body, alice) {
		t.Fatalf("second sign-in = %d, want the consent page for %s:\n%s", r.StatusCode, alice, r.body)
	}
	q := clientRedirect(t, ts, answer(t, ts, browser, r, "approve"), http.StatusSeeOther)
	if q.Get("code") == "" {
		t.Fatalf("second sign-in gave no code: %v", q)
	}
	if n := len(ts.notes.signInNotices()); n != 1 {
		t.Errorf("%d requests pushed to chat, want only the first sign-in's", n)
	}

	tests := []struct {
		name     string
		edit     map[string]string
		wantPage string // "consent" or "signin"
	}{
		{"same request", nil, "consent"},
		{"prompt=login asks to sign in again", map[string]string{"prompt": "login"}, "signin"},
		{"prompt=select_account too", map[string]string{"prompt": "select_account"}, "signin"},
		{"login_hint of another user", map[string]string{"login_hint": "bob@example.test"}, "signin"},
		{"login_hint of this user", map[string]string{"login_hint": "ALICE@example.test"}, "consent"},
		{"max_age still met", map[string]string{"max_age": "3600"}, "consent"},
		{"max_age exceeded", map[string]string{"max_age": "0"}, "signin"},
	}
	ts.clock.Advance(time.Second)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, browser, authorizeParams(client, tc.edit))
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET /authorize = %d %s", r.StatusCode, r.body)
			}
			isConsent := strings.Contains(r.body, `action="/authorize/consent"`)
			if isConsent != (tc.wantPage == "consent") {
				t.Errorf("GET /authorize shows consent: %v, want the %s page:\n%s", isConsent, tc.wantPage, r.body)
			}
			if tc.wantPage == "signin" && !strings.Contains(r.body, `id="jid"`) {
				t.Errorf("not the sign-in form:\n%s", r.body)
			}
		})
	}

	t.Run("forged cookie", func(t *testing.T) {
		b := ts.browser()
		u, _ := url.Parse(ts.issuer)
		var sess *http.Cookie
		for _, c := range browser.Jar.Cookies(u) {
			if c.Name == "xoauth_session" {
				sess = c
			}
		}
		if sess == nil {
			t.Fatal("no session cookie in the jar")
		}
		payload, mac, _ := strings.Cut(sess.Value, ".")
		for name, v := range map[string]string{
			"other MAC":    payload + "." + strings.Repeat("A", len(mac)),
			"no MAC":       payload,
			"not base64":   "%%%." + mac,
			"other person": base64.RawURLEncoding.EncodeToString([]byte(`{"j":"bob@example.test","a":0,"e":99999999999}`)) + "." + mac,
		} {
			b.Jar.SetCookies(u, []*http.Cookie{{Name: "xoauth_session", Value: v, Path: "/"}})
			if r := get(t, b, params); strings.Contains(r.body, `action="/authorize/consent"`) {
				t.Errorf("%s: a forged session cookie was accepted", name)
			}
		}
	})

	t.Run("use another address", func(t *testing.T) {
		r := get(t, browser, params)
		next := html.UnescapeString(regexp.MustCompile(`name="next" value="([^"]+)"`).FindStringSubmatch(r.body)[1])
		out := ts.do(browser, ts.newRequest(http.MethodPost, "/signout", formType, url.Values{"csrf_token": {formField(t, csrfRE, r.body)}, "next": {next}}.Encode()))
		if out.StatusCode != http.StatusSeeOther || out.Header.Get("Location") != next {
			t.Fatalf("POST /signout = %d to %q, want 303 to %q", out.StatusCode, out.Header.Get("Location"), next)
		}
		if r := get(t, browser, params); !strings.Contains(r.body, `action="/authorize/signin"`) {
			t.Errorf("after signing out, /authorize does not ask who signs in:\n%s", r.body)
		}
	})

	t.Run("session ends after its lifetime", func(t *testing.T) {
		b := ts.browser()
		toConsent(t, ts, b, params)
		ts.clock.Advance(time.Hour)
		if r := get(t, b, params); !strings.Contains(r.body, `action="/authorize/signin"`) {
			t.Errorf("expired session still used:\n%s", r.body)
		}
	})
}

func TestSkipConsent(t *testing.T) {
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) {
		o.SessionLifetime = time.Hour
		o.SkipConsent = true
	})
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	clientRedirect(t, ts, answer(t, ts, browser, toConsent(t, ts, browser, authorizeParams(client, nil)), "approve"), http.StatusSeeOther)

	tests := []struct {
		name        string
		edit        map[string]string
		wantConsent bool
	}{
		{"same scopes: straight back", nil, false},
		{"fewer scopes: straight back", map[string]string{"scope": "openid"}, false},
		{"more scopes: ask", map[string]string{"scope": "openid xmpp"}, true},
		{"prompt=consent: ask", map[string]string{"prompt": "consent"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+authorizeParams(client, tc.edit).Encode(), "", ""))
			if tc.wantConsent {
				if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `action="/authorize/consent"`) {
					t.Errorf("GET /authorize = %d, want the consent page", r.StatusCode)
				}
				return
			}
			if q := clientRedirect(t, ts, r, http.StatusFound); q.Get("code") == "" {
				t.Errorf("redirect without a code: %v", q)
			}
		})
	}
}

func TestSignOutPage(t *testing.T) {
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) { o.SessionLifetime = time.Hour })
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	toConsent(t, ts, browser, authorizeParams(client, nil))

	r := ts.do(browser, ts.newRequest(http.MethodGet, "/signout", "", ""))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "remembers you as <strong class=\"jid\">"+alice) {
		t.Fatalf("GET /signout = %d:\n%s", r.StatusCode, r.body)
	}
	checkPageHeaders(t, r)
	token := formField(t, csrfRE, r.body)
	tests := []struct {
		name, next, wantLocation string
	}{
		{"to the sign-out page", "", "/signout?done=1"},
		{"not to another site", "https://evil.example/", "/signout?done=1"},
		{"not to another path", "/register", "/signout?done=1"},
		{"back to the authorization endpoint", "/authorize?client_id=x", "/authorize?client_id=x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(browser, ts.newRequest(http.MethodPost, "/signout", formType, url.Values{"csrf_token": {token}, "next": {tc.next}}.Encode()))
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != tc.wantLocation {
				t.Errorf("POST /signout = %d to %q, want 303 to %q", r.StatusCode, r.Header.Get("Location"), tc.wantLocation)
			}
		})
	}
	if r := ts.do(browser, ts.newRequest(http.MethodGet, "/signout?done=1", "", "")); !strings.Contains(r.body, "You are signed out") {
		t.Errorf("after signing out:\n%s", r.body)
	}
	if r := ts.do(browser, ts.newRequest(http.MethodPost, "/signout", formType, "")); r.StatusCode != http.StatusForbidden {
		t.Errorf("POST /signout without a CSRF token = %d, want 403", r.StatusCode)
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
	ts := newTLSTestServer(t, nil, func(o *oauthhttp.Options) { o.SessionLifetime = time.Hour })
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
	wait := r.Header.Get("Location")
	decide(t, ts, wait, true)
	r = ts.do(browser, ts.newRequest(http.MethodGet, wait, "", ""))
	sess := cookieNamed(r, "__Host-xoauth_session")
	if sess == nil || !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.MaxAge != 3600 {
		t.Fatalf("session cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, Max-Age=3600", sess)
	}
}
