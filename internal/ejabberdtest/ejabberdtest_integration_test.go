//go:build integration && unix

package ejabberdtest

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/xmpptest"
)

// testTimeout bounds each exchange with a server, so that a stuck server
// fails the test instead of hanging it.
const testTimeout = 30 * time.Second

// componentHandshake connects an XEP-0114 component and reports whether the
// server accepted the secret.
func componentHandshake(t *testing.T, addr, domain, secret string) bool {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(testTimeout))
	header := "<?xml version='1.0'?><stream:stream to='" + domain +
		"' xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>"
	if _, err := io.WriteString(conn, header); err != nil {
		t.Fatalf("write: %v", err)
	}
	r := bufio.NewReader(conn)
	var head strings.Builder
	for !strings.Contains(head.String(), "<stream:stream") || !strings.HasSuffix(head.String(), ">") {
		s, err := r.ReadString('>')
		if err != nil {
			t.Fatalf("read stream header: %v (so far %q)", err, head.String())
		}
		head.WriteString(s)
	}
	_, rest, _ := strings.Cut(head.String(), " id='")
	id, _, ok := strings.Cut(rest, "'")
	if !ok {
		t.Fatalf("no stream id in %q", head.String())
	}
	sum := sha1.Sum([]byte(id + secret)) // XEP-0114 §3
	if _, err := io.WriteString(conn, "<handshake>"+hex.EncodeToString(sum[:])+"</handshake>"); err != nil {
		t.Fatalf("write handshake: %v", err)
	}
	answer, err := r.ReadString('>')
	if err != nil {
		t.Fatalf("read handshake answer: %v", err)
	}
	return strings.HasPrefix(answer, "<handshake")
}

func TestIntegrationStart(t *testing.T) {
	srv := Start(t,
		WithDomain("example.test"),
		WithUser("alice", "wonder land"),
		WithComponent("oauth.example.test", "s3cret"),
		WithAdmins("alice@example.test"),
	)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	if got := srv.JID("alice"); got != "alice@example.test" {
		t.Errorf("JID(alice) = %q", got)
	}
	mechs, err := xmpptest.Mechanisms(ctx, srv.C2SAddr, srv.Domain)
	if err != nil {
		t.Fatalf("Mechanisms: %v", err)
	}
	for _, want := range []string{"PLAIN", "X-OAUTH2"} {
		if !slices.Contains(mechs, want) {
			t.Errorf("mechanisms %v lack %s", mechs, want)
		}
	}
	jid, err := xmpptest.Login(ctx, srv.C2SAddr, srv.Domain, xmpptest.Plain("alice", "wonder land"))
	if err != nil || !strings.HasPrefix(jid, "alice@example.test/") {
		t.Fatalf("PLAIN login = %q, %v; want alice@example.test/…", jid, err)
	}
	var fail *xmpptest.SASLError
	if _, err := xmpptest.Login(ctx, srv.C2SAddr, srv.Domain, xmpptest.Plain("alice", "wrong")); !errors.As(err, &fail) || fail.Condition != "not-authorized" {
		t.Errorf("login with a wrong password = %v, want not-authorized", err)
	}
	if !componentHandshake(t, srv.ComponentAddr, srv.ComponentDomain, srv.Secret) {
		t.Errorf("component handshake with the right secret refused")
	}
	if componentHandshake(t, srv.ComponentAddr, srv.ComponentDomain, "wrong") {
		t.Errorf("component handshake with a wrong secret accepted")
	}
	if out := srv.Ctl(t, "registered_users", srv.Domain); !strings.Contains(out, "alice") {
		t.Errorf("registered_users = %q, want alice", out)
	}

	srv.Restart(t)
	if _, err := xmpptest.Login(ctx, srv.C2SAddr, srv.Domain, xmpptest.Plain("alice", "wonder land")); err != nil {
		t.Errorf("login after restart: %v", err)
	}

	srv.Stop()
	srv.Stop() // idempotent
	if conn, err := net.Dial("tcp", srv.C2SAddr); err == nil {
		conn.Close()
		t.Errorf("c2s port still accepts connections after Stop")
	}
}

// stubTokens is a REST token backend that knows one token.
type stubTokens struct {
	token, user string
	mu          sync.Mutex
	secrets     []string
}

func (s *stubTokens) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.secrets = append(s.secrets, r.Header.Get("X-Test-Secret"))
	s.mu.Unlock()
	var req struct{ Token string }
	if r.URL.Path != "/oauth/lookup" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Token != s.token {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"user": s.user, "scope": []string{"sasl_auth", DefaultAPIScope}, "expire": time.Now().Add(time.Hour).Unix(),
	})
}

// TestIntegrationOAuthREST shows the options that xmppoauth's tests rely
// on, against a stub backend: X-OAUTH2 logins and mod_http_api calls with
// Bearer tokens are checked at ext_api_url with the shared secret.
func TestIntegrationOAuthREST(t *testing.T) {
	stub := &stubTokens{token: "good-token", user: "alice@example.test"}
	backend := httptest.NewServer(stub)
	t.Cleanup(backend.Close)
	srv := Start(t,
		WithUser("alice", "pw"),
		WithOAuthREST(backend.URL, "X-Test-Secret", "0123456789abcdef"),
		WithHTTPAPI("", "connected_users_number"),
	)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()

	tests := []struct {
		name, user, token string
		wantOK            bool
	}{
		{"token of the user", "alice", "good-token", true},
		{"user with domain", "alice@example.test", "good-token", true},
		{"unknown token", "alice", "bad-token", false},
		{"another user's token", "bob", "good-token", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jid, err := xmpptest.Login(ctx, srv.C2SAddr, srv.Domain, xmpptest.XOAuth2(tc.user, tc.token))
			if tc.wantOK {
				if err != nil || !strings.HasPrefix(jid, "alice@example.test/") {
					t.Errorf("Login = %q, %v; want alice@example.test/…", jid, err)
				}
				return
			}
			var fail *xmpptest.SASLError
			if !errors.As(err, &fail) || fail.Condition != "not-authorized" {
				t.Errorf("Login = %q, %v; want not-authorized", jid, err)
			}
		})
	}

	for _, tc := range []struct {
		token string
		want  int
	}{{"good-token", http.StatusOK}, {"bad-token", http.StatusUnauthorized}} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.APIURL+"/connected_users_number", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("mod_http_api: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("mod_http_api with %s = %d %s, want %d", tc.token, resp.StatusCode, body, tc.want)
		}
	}

	stub.mu.Lock()
	defer stub.mu.Unlock()
	if len(stub.secrets) == 0 {
		t.Fatalf("ejabberd never called the token backend")
	}
	for _, s := range stub.secrets {
		if s != "0123456789abcdef" {
			t.Errorf("backend got secret %q, want 0123456789abcdef", s)
		}
	}
}
