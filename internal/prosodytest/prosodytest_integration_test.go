//go:build integration && unix

package prosodytest

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/internal/xmpptest"
)

// readStreamHeader opens an XML stream on addr and returns the server's
// stream header, enough to see that Prosody speaks XMPP there.
func readStreamHeader(t *testing.T, addr, ns, to string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	header := "<?xml version='1.0'?><stream:stream to='" + to + "' xmlns='" + ns +
		"' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
	if _, err := conn.Write([]byte(header)); err != nil {
		t.Fatalf("write: %v", err)
	}
	// The answer starts with an XML declaration, then the stream header.
	r := bufio.NewReader(conn)
	var b strings.Builder
	for range 2 {
		s, err := r.ReadString('>')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		b.WriteString(s)
	}
	return b.String()
}

// TestIntegrationStart runs Debian 12's Prosody 0.12.
func TestIntegrationStart(t *testing.T) { testStart(t) }

// TestIntegrationStart13 runs Prosody 13 chrooted into a Debian trixie
// root.
func TestIntegrationStart13(t *testing.T) {
	srv := testStart(t, Prosody13(t))
	if major(srv.Version) != 13 || !strings.HasPrefix(srv.Dir, srv.Root+"/tmp/") {
		t.Errorf("Version %q, Dir %s, Root %s: want 13.x in a directory under the root's /tmp", srv.Version, srv.Dir, srv.Root)
	}
}

func testStart(t *testing.T, opts ...Option) *Server {
	srv := Start(t, append(opts,
		WithDomain("example.test"),
		WithUser("alice", "wonder land"),
		WithComponent("oauth.example.test", "s3cret"),
		WithAdmins("alice@example.test"),
	)...)
	if srv.ComponentDomain != "oauth.example.test" || srv.Secret != "s3cret" {
		t.Errorf("component = %q/%q, want oauth.example.test/s3cret", srv.ComponentDomain, srv.Secret)
	}
	if got := srv.JID("alice"); got != "alice@example.test" {
		t.Errorf("JID(alice) = %q", got)
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, "data", "example%2etest", "accounts", "alice.dat")); err != nil {
		t.Errorf("account not created: %v", err)
	}
	t.Logf("Prosody %s", srv.Version)

	if h := readStreamHeader(t, srv.C2SAddr, "jabber:client", srv.Domain); !strings.Contains(h, "stream:stream") {
		t.Errorf("c2s answered %q", h)
	}
	if h := readStreamHeader(t, srv.ComponentAddr, "jabber:component:accept", srv.ComponentDomain); !strings.Contains(h, "stream:stream") {
		t.Errorf("component port answered %q", h)
	}
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	if out, err := srv.Ctl(ctx, "check", "config"); err != nil {
		t.Errorf("prosodyctl check config: %v\n%s", err, out)
	}

	srv.Restart(t)
	if h := readStreamHeader(t, srv.ComponentAddr, "jabber:component:accept", srv.ComponentDomain); !strings.Contains(h, "stream:stream") {
		t.Errorf("component port after restart answered %q", h)
	}

	srv.Stop()
	srv.Stop() // idempotent
	if conn, err := net.Dial("tcp", srv.C2SAddr); err == nil {
		conn.Close()
		t.Errorf("c2s port still accepts connections after Stop")
	}
	return srv
}

// TestIntegrationPasswords checks WithAuthentication with Prosody's default
// provider, internal_hashed, on both versions: PLAIN and SCRAM-SHA-1 are
// offered and log in.
func TestIntegrationPasswords(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) []Option
	}{
		{"0.12", func(*testing.T) []Option { return nil }},
		{"13", func(t *testing.T) []Option { return []Option{Prosody13(t)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := Start(t, append(tc.opts(t), WithAuthentication("internal_hashed"), WithUser("alice", "wonder land"))...)
			ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
			defer cancel()
			mechs, err := xmpptest.Mechanisms(ctx, srv.C2SAddr, srv.Domain)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Prosody %s offers %v", srv.Version, mechs)
			for _, m := range []xmpptest.Mechanism{xmpptest.Plain("alice", "wonder land"), xmpptest.ScramSHA1("alice", "wonder land")} {
				if jid, err := xmpptest.Login(ctx, srv.C2SAddr, srv.Domain, m); err != nil || !strings.HasPrefix(jid, "alice@"+srv.Domain+"/") {
					t.Errorf("%s login = %q, %v", m.Name(), jid, err)
				}
			}
			var fail *xmpptest.SASLError
			if _, err := xmpptest.Login(ctx, srv.C2SAddr, srv.Domain, xmpptest.ScramSHA1("alice", "wrong")); !errors.As(err, &fail) || fail.Condition != "not-authorized" {
				t.Errorf("SCRAM with a wrong password = %v, want not-authorized", err)
			}
		})
	}
}
