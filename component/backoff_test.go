package component

import (
	"log/slog"
	"testing"
	"time"
)

// TestBackoff checks the delays between connection attempts: the first
// fastRetries at about min, so that a server that restarts is back within
// a second of listening, then doubling up to max, never above it.
func TestBackoff(t *testing.T) {
	b := backoff{min: time.Second, max: 10 * time.Second}
	within := func(i int, d, nominal time.Duration) {
		t.Helper()
		if d < nominal/2 || d > nominal {
			t.Errorf("attempt %d: delay %v, want between %v and %v", i, d, nominal/2, nominal)
		}
	}
	for i := range fastRetries {
		within(i, b.next(), time.Second)
	}
	for i, nominal := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		within(fastRetries+i, b.next(), nominal)
	}
	for range 100 {
		if d := b.next(); d > 10*time.Second {
			t.Fatalf("delay %v beyond max", d)
		}
	}
	b.reset()
	within(0, b.next(), time.Second)
	if d := b.longest(); d < 5*time.Second || d > 10*time.Second {
		t.Errorf("longest() = %v, want about max", d)
	}
}

// TestRunResetsBackoffOnceConnected checks that the backoff starts over as
// soon as a stream is established and authenticated: a server that fails
// several times, accepts, and drops the stream a moment later (a restart)
// is retried at once, not after the delay the failures had built up.
func TestRunResetsBackoffOnceConnected(t *testing.T) {
	srv := newFakeServer(t)
	logs := newLogRecorder(t)
	const minDelay, maxDelay = 2 * time.Millisecond, 2 * time.Second
	startComponent(t, srv.addr(), logs, Handlers{}, func(cfg *Config) { cfg.MinBackoff, cfg.MaxBackoff = minDelay, maxDelay })

	// Enough failures to leave the fast retries: the next delay would be
	// several times min.
	for range fastRetries + 3 {
		srv.next(t).nc.Close()
	}
	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	fc.ping(testDomain)
	fc.nc.Close()
	lost := logs.wait(t, "connection lost", func(r slog.Record) bool { return r.Message == "component connection lost" })
	v, _ := attr(lost, "retry_in")
	if d := v.Duration(); d > minDelay {
		t.Errorf("retry after an established stream dropped: %v, want at most MinBackoff %v", d, minDelay)
	}
	fc2 := srv.next(t)
	fc2.accept(testDomain, testSecret)
	fc2.ping(testDomain)
}
