//go:build integration && unix

package e2e_test

import (
	"net"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
)

// TestIntegrationReconnectProsody restarts Prosody twice in a row.
func TestIntegrationReconnectProsody(t *testing.T) { testReconnect(t, startProsody) }

// TestIntegrationReconnectEjabberd restarts ejabberd twice in a row.
func TestIntegrationReconnectEjabberd(t *testing.T) { testReconnect(t, startEjabberd) }

// testReconnect stops and starts the XMPP server twice in a row, with the
// component's reconnection delays as serve has them by default, and logs
// how long after the server accepted connections again the component was
// back each time: about a second at most in the common case (the figure
// is logged, not asserted: a busy machine may take longer). A subscribed
// user sees the component online again after each restart.
func testReconnect(t *testing.T, startServer startServer) {
	x := startXMPP(t, startServer, func(c *component.Config) {
		c.MinBackoff, c.MaxBackoff = component.DefaultMinBackoff, component.DefaultMaxBackoff
	})
	addr := endpointsOf(x.srv).ComponentAddr
	began := time.Now()
	for i := 1; i <= 2; i++ {
		stopped := time.Now()
		accepting := make(chan time.Time, 1)
		go func() {
			// Once the component saw the old server go, note when the
			// new one first accepts a connection on the component port.
			for !x.streams.downAfter(stopped) {
				time.Sleep(5 * time.Millisecond)
			}
			for {
				if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
					accepting <- time.Now()
					c.Close()
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		x.srv.Restart(t)
		up := x.waitReconnected(t, stopped)
		var acc time.Time
		select {
		case acc = <-accepting:
		case <-time.After(ioTimeout):
			t.Fatal("the component port never accepted a connection")
		}
		t.Logf("restart %d: the server accepted connections %v after it was stopped; the component was back %v after that",
			i, acc.Sub(stopped).Round(time.Millisecond), max(up.Sub(acc), 0).Round(time.Millisecond))

		alice := x.login(t, "alice", accounts["alice"])
		if i == 1 {
			x.subscribe(t, alice)
		} else {
			// Logged in again after the restart: online, by the probe's
			// answer or by the component's own presence.
			alice.waitPresence(t, "")
		}
		if list := alice.run(adhoc.NodeListApps, "", adhoc.ActionExecute, nil); list.Status != adhoc.StatusCompleted {
			t.Fatalf("List authorized apps after restart %d = %+v", i, list)
		}
		alice.logout()
	}
	t.Logf("two restarts, and the component back after each, in %v", time.Since(began).Round(time.Millisecond))
}
