package component

import (
	"slices"
	"testing"
	"time"
)

// streamEvents records the observer's calls, in order, on a channel.
type streamEvents chan string

func (e streamEvents) ComponentConnected()    { e <- "up" }
func (e streamEvents) ComponentDisconnected() { e <- "down" }

// take waits for n events.
func (e streamEvents) take(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for range n {
		select {
		case ev := <-e:
			got = append(got, ev)
		case <-time.After(ioTimeout):
			t.Fatalf("observer saw %v, then nothing", got)
		}
	}
	return got
}

// TestObserverSeesConnectsAndReconnects checks that the observer hears of
// each established stream and of its end: start-up, a lost connection, the
// reconnection and the shutdown. A failed handshake is not a connection.
func TestObserverSeesConnectsAndReconnects(t *testing.T) {
	srv := newFakeServer(t)
	events := make(streamEvents, 8)
	_, stop := startComponent(t, srv.addr(), newLogRecorder(t), Handlers{}, func(cfg *Config) { cfg.Observer = events })

	srv.next(t).reject(testDomain, "not-authorized")
	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	fc.ping(testDomain)
	if got := events.take(t, 1); !slices.Equal(got, []string{"up"}) {
		t.Fatalf("after the first handshake, observer saw %v, want [up]", got)
	}
	fc.nc.Close()
	fc2 := srv.next(t)
	fc2.accept(testDomain, testSecret)
	fc2.ping(testDomain)
	if got := events.take(t, 2); !slices.Equal(got, []string{"down", "up"}) {
		t.Fatalf("after the reconnection, observer saw %v, want [down up]", got)
	}
	// Stopping sends </stream:stream> and waits for ours.
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	if st := fc2.next(); st != nil {
		t.Fatalf("got %+v, want </stream:stream>", st)
	}
	fc2.send("</stream:stream>")
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := events.take(t, 1); !slices.Equal(got, []string{"down"}) {
		t.Fatalf("after shutdown, observer saw %v, want [down]", got)
	}
}
