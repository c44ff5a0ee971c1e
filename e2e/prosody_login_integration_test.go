//go:build integration && unix

package e2e_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/prosodytest"
	"github.com/xmppoauth/xmppoauth/internal/xmpptest"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// prosodyModules is the directory of the project's Prosody modules,
// relative to this package.
const prosodyModules = "../contrib/prosody"

// checkTimeout is the module's xmppoauth_timeout in these tests: long
// enough for a busy machine to answer on loopback, short enough for the
// test of an xmppoauth that does not answer.
const checkTimeout = 5

// Modes of the token check server.
const (
	checkAnswer = iota // xmppoauth's /xmpp/userinfo answers
	checkHang          // no answer until the module gives up
	checkFail          // 500
)

// tokenCheck serves xmppoauth's /xmpp/userinfo (oauthhttp.XMPPLoginHandler)
// to the Prosody module on a listener of its own, as
// xmppoauth_check_url allows, and counts the questions.
type tokenCheck struct {
	*httptest.Server
	mode  atomic.Int32
	calls atomic.Int32
}

func startTokenCheck(t *testing.T, e *env) *tokenCheck {
	t.Helper()
	login := oauthhttp.XMPPLoginHandler(e.p, oauthhttp.XMPPLoginOptions{Realm: "E2E", Logger: e.p.Config().Logger})
	stop := make(chan struct{})
	c := &tokenCheck{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.calls.Add(1)
		switch c.mode.Load() {
		case checkHang:
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case checkFail:
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
		default:
			login.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(c.Close)
	t.Cleanup(func() { close(stop) }) // before Close, which waits for handlers
	return c
}

// startProsodyOAuth returns a startServer that starts Prosody (0.12 from
// the system, or what opts choose) with internal_hashed passwords, the
// accounts and mod_xmppoauth on the VirtualHost, set up as docs/prosody.md
// says and pointed at check; *check is set when the server starts.
func startProsodyOAuth(check **tokenCheck, opts ...prosodytest.Option) startServer {
	return func(t *testing.T, e *env) xmppServer {
		t.Helper()
		*check = startTokenCheck(t, e)
		all := append(opts,
			prosodytest.WithDomain(testDomain),
			prosodytest.WithAuthentication("internal_hashed"),
			// The admin shell creates Prosody's own tokens on 13.
			prosodytest.WithModules("admin_shell", "admin_socket"),
			prosodytest.WithPlugins(prosodyModules),
			prosodytest.WithHostOption("modules_enabled", []string{"xmppoauth"}),
			prosodytest.WithHostOption("xmppoauth_issuer", e.issuer),
			prosodytest.WithHostOption("xmppoauth_check_url", (*check).URL+"/xmpp/userinfo"),
			prosodytest.WithHostOption("xmppoauth_timeout", checkTimeout),
		)
		for local, password := range accounts {
			all = append(all, prosodytest.WithUser(local, password))
		}
		return prosodytest.Start(t, all...)
	}
}

// TestIntegrationProsodyLogin is the whole story on Debian 12's Prosody
// 0.12, whose SASL library lacks OAUTHBEARER: see testProsodyLogin.
func TestIntegrationProsodyLogin(t *testing.T) {
	var check *tokenCheck
	testProsodyLogin(t, startXMPP(t, startProsodyOAuth(&check)), &check)
}

// TestIntegrationProsody13Login is the same on Prosody 13 (Debian trixie's,
// chrooted), whose OAUTHBEARER for Prosody's own tokens keeps working
// beside xmppoauth's.
func TestIntegrationProsody13Login(t *testing.T) {
	var check *tokenCheck
	x := startXMPP(t, startProsodyOAuth(&check, prosodytest.Prosody13(t)))
	testProsodyLogin(t, x, &check)

	srv := x.srv.(*prosodytest.Server)
	t.Run("Prosody's own tokens", func(t *testing.T) {
		token := prosodyToken(t, srv, x.user)
		before := check.calls.Load()
		if jid, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", token)); fail != nil || !strings.HasPrefix(jid, x.user+"/") {
			t.Errorf("OAUTHBEARER with Prosody's token = %q, %v; want %s/…", jid, fail, x.user)
		}
		if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer(srv.JID("bob"), token)); fail == nil || fail.Condition != "not-authorized" {
			t.Errorf("Prosody's token of alice with bob as authzid = %v, want not-authorized", fail)
		}
		bogus := "secret-token:" + strings.Repeat("A", 40)
		_, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", bogus))
		if fail == nil || fail.Condition != "not-authorized" || challengeStatus(t, fail) != oauth.InvalidToken {
			t.Errorf("unknown Prosody token = %v, want invalid_token then not-authorized", fail)
		}
		if n := check.calls.Load() - before; n != 0 {
			t.Errorf("Prosody's tokens were sent to xmppoauth %d times", n)
		}
	})

	t.Run("a disabled account", func(t *testing.T) {
		bob, err := x.p.IssueToken(t.Context(), oauth.IssueRequest{JID: srv.JID("bob"), Scopes: []string{oauth.ScopeXMPP}, TTL: time.Hour})
		if err != nil {
			t.Fatalf("IssueToken: %v", err)
		}
		if out, err := srv.Ctl(t.Context(), "shell", `user:disable("`+srv.JID("bob")+`")`); err != nil {
			t.Fatalf("user:disable: %v\n%s", err, out)
		}
		if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", bob.AccessToken)); fail == nil || fail.Condition != "account-disabled" {
			t.Errorf("login to a disabled account = %v, want account-disabled", fail)
		}
	})
}

// testProsodyLogin: alice keeps her password (PLAIN and SCRAM, and
// prosodyctl register still works), approves a device in chat, and the
// device's xmpp token logs in with OAUTHBEARER; a sign-in token, a garbage
// token and a wrong authzid get RFC 7628's JSON error; an xmppoauth that
// cannot answer is a temporary failure; alice revokes the app in chat and
// the token's next login fails.
func testProsodyLogin(t *testing.T, x *xmppEnv, check **tokenCheck) {
	srv := x.srv.(*prosodytest.Server)
	ctx := t.Context()
	discovery := x.issuer + "/.well-known/openid-configuration"
	t.Logf("Prosody %s", srv.Version)

	mechs, err := xmpptest.Mechanisms(ctx, srv.C2SAddr, srv.Domain)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Prosody %s with mod_xmppoauth offers %v", srv.Version, mechs)
	for _, want := range []string{"PLAIN", "SCRAM-SHA-1", "OAUTHBEARER"} {
		if !slices.Contains(mechs, want) {
			t.Errorf("mechanisms %v lack %s", mechs, want)
		}
	}
	if out, err := srv.Ctl(ctx, "check", "config"); err != nil {
		t.Errorf("prosodyctl check config with mod_xmppoauth: %v\n%s", err, out)
	}

	// Passwords: gosrc.io/xmpp logs in with PLAIN, and SCRAM works.
	alice := x.login(t, "alice", accounts["alice"])
	if jid, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.ScramSHA1("alice", accounts["alice"])); fail != nil || !strings.HasPrefix(jid, x.user+"/") {
		t.Fatalf("SCRAM-SHA-1 login = %q, %v", jid, fail)
	}

	// Approved in chat: a device's token that may log in, and a token to
	// sign in with.
	tok, signIn := x.appTokens(t, alice)
	access := tok.AccessToken
	// What "xmppoauth tokens issue" makes, for a user Prosody has no
	// account of.
	nobody, err := x.p.IssueToken(ctx, oauth.IssueRequest{JID: srv.JID("dave"), Scopes: []string{oauth.ScopeXMPP}, TTL: time.Hour})
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}

	tests := []struct {
		name       string
		mech       xmpptest.Mechanism
		wantStatus string // the RFC 7628 §3.2.2 status; "" logs in
	}{
		{name: "xmpp token", mech: xmpptest.OAuthBearer("", access)},
		{name: "xmpp token with alice as authzid", mech: xmpptest.OAuthBearer(x.user, access)},
		{name: "xmpp token with bob as authzid", mech: xmpptest.OAuthBearer(srv.JID("bob"), access), wantStatus: oauth.InvalidToken},
		{name: "openid-only token", mech: xmpptest.OAuthBearer("", signIn.AccessToken), wantStatus: oauth.InsufficientScope},
		{name: "refresh token", mech: xmpptest.OAuthBearer("", tok.RefreshToken), wantStatus: oauth.InvalidToken},
		{name: "token of a user without an account here", mech: xmpptest.OAuthBearer("", nobody.AccessToken), wantStatus: oauth.InvalidToken},
		{name: "garbage token", mech: xmpptest.OAuthBearer("", "bm90LWEtdG9rZW4"), wantStatus: oauth.InvalidToken},
		{name: "not a bearer token", mech: xmpptest.OAuthBearer("", "not a token\r\nX-Injected: 1"), wantStatus: oauth.InvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jid, fail := login(t, srv.C2SAddr, srv.Domain, tc.mech)
			if tc.wantStatus == "" {
				if fail != nil || !strings.HasPrefix(jid, x.user+"/") {
					t.Fatalf("login = %q, %v; want %s/…", jid, fail, x.user)
				}
				return
			}
			if fail == nil {
				t.Fatalf("login as %q succeeded, want %s", jid, tc.wantStatus)
			}
			checkRefusal(t, fail, tc.wantStatus, discovery)
		})
	}

	t.Run("xmppoauth does not answer", func(t *testing.T) {
		for _, mode := range []int32{checkHang, checkFail} {
			(*check).mode.Store(mode)
			_, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", access))
			if fail == nil || fail.Condition != "temporary-auth-failure" || len(fail.Challenge) != 0 {
				t.Errorf("mode %d: login = %v, want temporary-auth-failure without a challenge", mode, fail)
			}
		}
		(*check).mode.Store(checkAnswer)
		if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", access)); fail != nil {
			t.Errorf("login once xmppoauth answers again: %v", fail)
		}
	})

	t.Run("prosodyctl register still works", func(t *testing.T) {
		if out, err := srv.Ctl(ctx, "register", "carol", srv.Domain, "carol's password"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if jid, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.ScramSHA1("carol", "carol's password")); fail != nil || !strings.HasPrefix(jid, srv.JID("carol")+"/") {
			t.Errorf("carol's SCRAM login = %q, %v", jid, fail)
		}
	})

	t.Run("the module reloads and unloads", func(t *testing.T) {
		shell := func(cmd string) {
			t.Helper()
			if out, err := srv.Ctl(ctx, "shell", cmd); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("prosodyctl shell %q: %v\n%s", cmd, err, out)
			}
		}
		shell(`module:reload("xmppoauth", "` + srv.Domain + `")`)
		if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", access)); fail != nil {
			t.Errorf("login after a reload: %v", fail)
		}
		shell(`module:unload("xmppoauth", "` + srv.Domain + `")`)
		mechs, err := xmpptest.Mechanisms(ctx, srv.C2SAddr, srv.Domain)
		if err != nil {
			t.Fatal(err)
		}
		// 0.12 offers OAUTHBEARER only with the module; 13 offers its own
		// for Prosody's tokens, which does not take xmppoauth's.
		if slices.Contains(mechs, "OAUTHBEARER") {
			if strings.HasPrefix(srv.Version, "0.") {
				t.Errorf("0.12 without the module offers %v", mechs)
			} else if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", access)); fail == nil {
				t.Errorf("xmppoauth's token logs in without the module")
			}
		}
		shell(`module:load("xmppoauth", "` + srv.Domain + `")`)
		if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", access)); fail != nil {
			t.Errorf("login after loading the module again: %v", fail)
		}
	})

	// The user revokes the app in chat: the token's next login fails.
	alice.revokeApp("E2E Chat")
	_, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.OAuthBearer("", access))
	if fail == nil {
		t.Fatal("login with a revoked token succeeded")
	}
	checkRefusal(t, fail, oauth.InvalidToken, discovery)
	if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.Plain("alice", accounts["alice"])); fail != nil {
		t.Errorf("password login after revocation: %v", fail)
	}
}

// checkRefusal requires the refusal of RFC 7628 §3.2.2: a JSON challenge
// with status, the xmpp scope and the issuer's openid-configuration, then
// not-authorized.
func checkRefusal(t *testing.T, fail *xmpptest.SASLError, status, discovery string) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(fail.Challenge, &got); err != nil {
		t.Fatalf("refusal %v: the challenge is not JSON: %v", fail, err)
	}
	want := map[string]any{"status": status, "scope": oauth.ScopeXMPP, "openid-configuration": discovery}
	if len(got) != len(want) || got["status"] != want["status"] || got["scope"] != want["scope"] || got["openid-configuration"] != want["openid-configuration"] {
		t.Errorf("refusal = %s, want %v", fail.Challenge, want)
	}
	if fail.Condition != "not-authorized" {
		t.Errorf("SASL failure %q after the challenge, want not-authorized", fail.Condition)
	}
}

// challengeStatus returns the status of an RFC 7628 error challenge.
func challengeStatus(t *testing.T, fail *xmpptest.SASLError) string {
	t.Helper()
	var got struct{ Status string }
	if err := json.Unmarshal(fail.Challenge, &got); err != nil {
		t.Fatalf("refusal %v: the challenge is not JSON: %v", fail, err)
	}
	return got.Status
}

var prosodyTokenRE = regexp.MustCompile(`secret-token:[A-Za-z0-9+/=]+`)

// prosodyToken has Prosody 13's mod_tokenauth issue an OAuth token for
// user, as mod_http_oauth2 would, through the admin shell.
func prosodyToken(t *testing.T, srv *prosodytest.Server, user string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), exchangeTimeout)
	defer cancel()
	lua := `>local ta = prosody.hosts[` + strconvQuote(srv.Domain) + `].modules.tokenauth; ` +
		`local g = assert(ta.create_grant(` + strconvQuote(user) + `, ` + strconvQuote(user) + `, 3600)); ` +
		`return (assert(ta.create_token(` + strconvQuote(user) + `, g, "prosody:registered", 3600, "oauth2")))`
	out, err := srv.Ctl(ctx, "shell", lua)
	token := prosodyTokenRE.FindString(out)
	if err != nil || token == "" {
		t.Fatalf("creating a Prosody token: %v\n%s", err, out)
	}
	return token
}

// strconvQuote quotes s for Lua, which reads Go's double-quoted escapes of
// ASCII text the same way.
func strconvQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestIntegrationProsodyModuleConfig checks that mod_xmppoauth refuses to
// load, saying why in Prosody's log, with a configuration it cannot work
// with, on both versions; the host's passwords keep working.
func TestIntegrationProsodyModuleConfig(t *testing.T) {
	tests := []struct {
		name    string
		options map[string]any
		wantLog string
	}{
		{"no issuer", map[string]any{}, "xmppoauth_issuer is not set"},
		{"http issuer", map[string]any{"xmppoauth_issuer": "http://auth.example.org"}, "xmppoauth_issuer must be an https URL"},
		{"http check URL", map[string]any{"xmppoauth_issuer": "https://auth.example.org", "xmppoauth_check_url": "http://auth.example.org/xmpp/userinfo"}, "xmppoauth_check_url must be an https URL"},
		{"domain in the check URL", map[string]any{"xmppoauth_issuer": "https://auth.example.org", "xmppoauth_check_url": "https://auth.example.org/xmpp/userinfo?domain=other.test"}, "must not set domain="},
		{"relative issuer", map[string]any{"xmppoauth_issuer": "auth.example.org"}, "is not an absolute URL"},
		{"no timeout", map[string]any{"xmppoauth_issuer": "https://auth.example.org", "xmppoauth_timeout": 0}, "xmppoauth_timeout must be between"},
	}
	for _, version := range []struct {
		name string
		opts func(t *testing.T) []prosodytest.Option
	}{
		{"0.12", func(*testing.T) []prosodytest.Option { return nil }},
		{"13", func(t *testing.T) []prosodytest.Option { return []prosodytest.Option{prosodytest.Prosody13(t)} }},
	} {
		t.Run(version.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					opts := append(version.opts(t),
						prosodytest.WithAuthentication("internal_hashed"),
						prosodytest.WithUser("alice", accounts["alice"]),
						prosodytest.WithPlugins(prosodyModules),
						prosodytest.WithHostOption("modules_enabled", []string{"xmppoauth"}),
					)
					for _, name := range slices.Sorted(maps.Keys(tc.options)) {
						opts = append(opts, prosodytest.WithHostOption(name, tc.options[name]))
					}
					srv := prosodytest.Start(t, opts...)
					ctx, cancel := context.WithTimeout(t.Context(), exchangeTimeout)
					defer cancel()
					mechs, err := xmpptest.Mechanisms(ctx, srv.C2SAddr, srv.Domain)
					if err != nil {
						t.Fatal(err)
					}
					if strings.HasPrefix(srv.Version, "0.") && slices.Contains(mechs, "OAUTHBEARER") {
						t.Errorf("OAUTHBEARER offered (%v) with the module misconfigured", mechs)
					}
					if _, fail := login(t, srv.C2SAddr, srv.Domain, xmpptest.ScramSHA1("alice", accounts["alice"])); fail != nil {
						t.Errorf("password login: %v", fail)
					}
					log, err := os.ReadFile(filepath.Join(srv.Dir, "prosody.log"))
					if err != nil {
						t.Fatal(err)
					}
					if !regexp.MustCompile(`(?m)error\t.*xmppoauth.*` + regexp.QuoteMeta(tc.wantLog)).Match(log) {
						t.Errorf("Prosody's log has no error with %q", tc.wantLog)
					}
				})
			}
		})
	}
}
