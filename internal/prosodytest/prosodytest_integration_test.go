//go:build integration && unix

package prosodytest

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func TestIntegrationStart(t *testing.T) {
	srv := Start(t,
		WithDomain("example.test"),
		WithUser("alice", "wonder land"),
		WithComponent("oauth.example.test", "s3cret"),
		WithAdmins("alice@example.test"),
	)
	if srv.ComponentDomain != "oauth.example.test" || srv.Secret != "s3cret" {
		t.Errorf("component = %q/%q, want oauth.example.test/s3cret", srv.ComponentDomain, srv.Secret)
	}
	if got := srv.JID("alice"); got != "alice@example.test" {
		t.Errorf("JID(alice) = %q", got)
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, "data", "example%2etest", "accounts", "alice.dat")); err != nil {
		t.Errorf("account not created: %v", err)
	}

	if h := readStreamHeader(t, srv.C2SAddr, "jabber:client", srv.Domain); !strings.Contains(h, "stream:stream") {
		t.Errorf("c2s answered %q", h)
	}
	if h := readStreamHeader(t, srv.ComponentAddr, "jabber:component:accept", srv.ComponentDomain); !strings.Contains(h, "stream:stream") {
		t.Errorf("component port answered %q", h)
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
}
