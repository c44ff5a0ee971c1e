package oauthhttp_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// passwords is a PasswordChecker with fixed accounts; down makes it fail
// like an unreachable server.
type passwords struct {
	mu       sync.Mutex
	accounts map[string]string
	down     bool
	checked  int
}

func (p *passwords) CheckPassword(_ context.Context, jid string, pw oauth.Secret) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checked++
	if p.down {
		return errors.New("connection refused")
	}
	if want, ok := p.accounts[jid]; !ok || want != pw.Reveal() {
		return fmt.Errorf("check: %w", oauthhttp.ErrWrongPassword)
	}
	return nil
}

func TestPasswordSignIn(t *testing.T) {
	pw := &passwords{accounts: map[string]string{alice: "wonderland"}}
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) { o.Passwords = pw })
	client := ts.nativeClient().Client.ID
	browser := ts.browser()
	params := authorizeParams(client, nil)
	page := ts.do(browser, ts.newRequest(http.MethodGet, "/authorize?"+params.Encode(), "", ""))
	for _, want := range []string{`action="/authorize/password"`, `type="password"`, `autocomplete="current-password"`, "<details"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	form := func(jid, password string) url.Values {
		return url.Values{"csrf_token": {formField(t, csrfRE, page.body)}, "request": {formField(t, requestRE, page.body)}, "jid": {jid}, "password": {password}}
	}
	post := func(b *http.Client, f url.Values) response {
		return ts.do(b, ts.newRequest(http.MethodPost, "/authorize/password", formType, f.Encode()))
	}

	tests := []struct {
		name       string
		form       url.Values
		down       bool
		wantStatus int
		wantText   string
	}{
		{"no CSRF token", url.Values{"request": {params.Encode()}, "jid": {alice}, "password": {"wonderland"}}, false, http.StatusForbidden, "This form has expired"},
		{"no password", form(alice, ""), false, http.StatusBadRequest, "Enter your XMPP address and your password"},
		{"other domain", form("bob@elsewhere.test", "x"), false, http.StatusBadRequest, "cannot sign in here"},
		{"wrong password", form(alice, "looking-glass"), false, http.StatusBadRequest, "The address or the password is wrong"},
		{"server down", form(alice, "wonderland"), true, http.StatusServiceUnavailable, "could not be checked right now"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pw.mu.Lock()
			pw.down = tc.down
			pw.mu.Unlock()
			r := post(browser, tc.form)
			if r.StatusCode != tc.wantStatus {
				t.Fatalf("POST /authorize/password = %d, want %d:\n%s", r.StatusCode, tc.wantStatus, r.body)
			}
			checkPageHeaders(t, r)
			if !strings.Contains(html.UnescapeString(r.body), tc.wantText) {
				t.Errorf("page does not say %q:\n%s", tc.wantText, r.body)
			}
			if strings.Contains(r.body, "wonderland") || strings.Contains(r.body, "looking-glass") {
				t.Errorf("the page shows the password back")
			}
		})
	}
	pw.mu.Lock()
	pw.down = false
	pw.mu.Unlock()

	r := post(browser, form("Alice@example.test", "wonderland"))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/authorize?") {
		t.Fatalf("POST /authorize/password = %d to %q, want 303 back to /authorize", r.StatusCode, r.Header.Get("Location"))
	}
	consent := ts.do(browser, ts.newRequest(http.MethodGet, r.Header.Get("Location"), "", ""))
	if !strings.Contains(consent.body, `action="/authorize/consent"`) || !strings.Contains(consent.body, alice) {
		t.Fatalf("after the password, no consent page for %s:\n%s", alice, consent.body)
	}
	clientRedirect(t, ts, answer(t, ts, browser, consent, "approve"), http.StatusSeeOther)
	if n := len(ts.notes.signInNotices()); n != 0 {
		t.Errorf("%d requests pushed to chat for a password sign-in", n)
	}

	t.Run("too many wrong passwords", func(t *testing.T) {
		var last response
		for range 6 {
			last = post(browser, form(alice, "guess"))
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("after many wrong passwords: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
		}
		pw.mu.Lock()
		before := pw.checked
		pw.mu.Unlock()
		post(browser, form(alice, "wonderland"))
		pw.mu.Lock()
		defer pw.mu.Unlock()
		if pw.checked != before {
			t.Errorf("the server was asked while the address is over its limit")
		}
	})
}

func TestPasswordSignInOff(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.postForm("/authorize/password", url.Values{"jid": {alice}, "password": {"x"}}, "")
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("POST /authorize/password with password sign-in off = %d, want 404", r.StatusCode)
	}
}

// fakeC2S is a client-to-server listener speaking just enough RFC 6120 for
// a password check: stream header, features (no STARTTLS; SASL PLAIN),
// then success or failure.
func fakeC2S(t *testing.T, password string) (addr string, auths chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	auths = make(chan string, 8)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				rd := bufio.NewReader(conn)
				if _, err := rd.ReadString('>'); err != nil { // <?xml ...?>
					return
				}
				if _, err := rd.ReadString('>'); err != nil { // <stream:stream ...>
					return
				}
				fmt.Fprint(conn, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.test' version='1.0'>`+
					`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>`)
				var auth strings.Builder
				for !strings.HasSuffix(auth.String(), "</auth>") {
					b, err := rd.ReadByte()
					if err != nil {
						return
					}
					auth.WriteByte(b)
				}
				_, payload, _ := strings.Cut(strings.TrimSuffix(auth.String(), "</auth>"), ">")
				raw, _ := base64.StdEncoding.DecodeString(payload)
				auths <- string(raw)
				if parts := strings.Split(string(raw), "\x00"); len(parts) == 3 && parts[2] == password {
					fmt.Fprint(conn, `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`)
				} else {
					fmt.Fprint(conn, `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>`)
				}
				_, _ = rd.ReadString('>')
			}()
		}
	}()
	return ln.Addr().String(), auths
}

func TestC2SPasswordChecker(t *testing.T) {
	addr, auths := fakeC2S(t, "wonderland")
	tests := []struct {
		name       string
		requireTLS bool
		jid        string
		password   string
		wantErr    error // nil, ErrWrongPassword, or errAny
	}{
		{"right password", false, alice, "wonderland", nil},
		{"wrong password", false, alice, "looking-glass", oauthhttp.ErrWrongPassword},
		{"no TLS offered but required", true, alice, "wonderland", errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &oauthhttp.C2SPasswordChecker{Address: addr, RequireTLS: tc.requireTLS}
			err := c.CheckPassword(t.Context(), tc.jid, oauth.Secret(tc.password))
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("CheckPassword() = %v, want nil", err)
			case tc.wantErr == errAny && (err == nil || errors.Is(err, oauthhttp.ErrWrongPassword)):
				t.Fatalf("CheckPassword() = %v, want a failure to check", err)
			case tc.wantErr == oauthhttp.ErrWrongPassword && !errors.Is(err, oauthhttp.ErrWrongPassword):
				t.Fatalf("CheckPassword() = %v, want ErrWrongPassword", err)
			}
			if tc.requireTLS {
				select {
				case a := <-auths:
					t.Errorf("the password was sent without TLS: %q", a)
				default:
				}
				return
			}
			if a := <-auths; a != "\x00alice\x00"+tc.password {
				t.Errorf("SASL PLAIN message = %q, want authcid alice", a)
			}
		})
	}
	t.Run("server unreachable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		closed := ln.Addr().String()
		ln.Close()
		c := &oauthhttp.C2SPasswordChecker{Address: closed}
		if err := c.CheckPassword(t.Context(), alice, "x"); err == nil || errors.Is(err, oauthhttp.ErrWrongPassword) {
			t.Errorf("CheckPassword() on a closed port = %v, want a failure to check", err)
		}
	})
}

var errAny = errors.New("any error")
