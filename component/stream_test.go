package component

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gosrc.io/xmpp/stanza"
)

const testSecret = "s3cret"

// startComponent runs a component against addr until the test ends and
// returns it with a function that stops it and returns Run's error.
func startComponent(t *testing.T, addr string, logs *logRecorder, h Handlers, mutate func(*Config)) (*Component, func() error) {
	t.Helper()
	cfg := Config{
		Address:     addr,
		Domain:      testDomain,
		Secret:      testSecret,
		UserDomains: []string{"example.test"},
		Logger:      slog.New(logs),
		MinBackoff:  time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		KeepAlive:   -1,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c := New(cfg, h)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var runErr error
	// stop may be called from any goroutine, so it reports with t.Error.
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(ioTimeout):
				t.Error("Run did not return after its context was cancelled")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return c, stop
}

// connectedComponent runs a component without handlers against a fake
// server that accepts it, and returns it, its connection seen from the
// server (after a ping answered) and a function that stops it.
func connectedComponent(t *testing.T) (*Component, *fakeConn, func() error) {
	t.Helper()
	srv := newFakeServer(t)
	c, stop := startComponent(t, srv.addr(), newLogRecorder(t), Handlers{}, nil)
	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	fc.ping(testDomain)
	return c, fc, stop
}

func TestRunServesSendsAndClosesCleanly(t *testing.T) {
	c, fc, stop := connectedComponent(t)
	if !c.Connected() {
		t.Error("Connected() = false after answering a ping")
	}

	if err := c.SendConfirm(t.Context(), "alice@example.test", "tx1", "POST", "https://auth.example.test/device?x=1&y=2", "Was it you?", time.Time{}); err != nil {
		t.Fatalf("SendConfirm: %v", err)
	}
	st := fc.next()
	if st == nil || st.Kind != "message" || st.Type != "normal" || st.From != testDomain || st.To != "alice@example.test" || st.ID == "" {
		t.Fatalf("confirm message = %+v", st)
	}
	m := parseMessage(st, "alice@example.test")
	if m.Body != "Was it you?" || m.Thread != "tx1" || m.Confirm == nil ||
		*m.Confirm != (Confirm{XMLName: confirmName, ID: "tx1", Method: "POST", URL: "https://auth.example.test/device?x=1&y=2"}) {
		t.Errorf("confirm message parsed = %+v (confirm %+v)", m, m.Confirm)
	}

	if err := c.SendMessage(t.Context(), "alice@example.test/phone", "Approved."); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if st := fc.next(); st == nil || st.Type != "chat" || st.To != "alice@example.test/phone" || parseMessage(st, "").Body != "Approved." {
		t.Errorf("chat message = %+v", st)
	}

	// Stopping sends </stream:stream> and waits for ours.
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	if st := fc.next(); st != nil {
		t.Fatalf("got %+v, want </stream:stream>", st)
	}
	fc.send("</stream:stream>")
	if err := <-stopped; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	if c.Connected() {
		t.Error("Connected() = true after Run returned")
	}
	if err := c.SendMessage(t.Context(), "alice@example.test", "hi"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("SendMessage after Run = %v, want ErrNotConnected", err)
	}
}

func TestSendNotConnected(t *testing.T) {
	c := New(Config{Domain: testDomain}, Handlers{})
	if err := c.Send(t.Context(), stanza.NewMessage(stanza.Attrs{To: "a@example.test"})); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Send() = %v, want ErrNotConnected", err)
	}
	tests := []struct {
		name                      string
		to, id, method, url, body string
	}{
		{"bad JID", "@x", "1", "GET", "https://x", "b"},
		{"no id", "a@example.test", "", "GET", "https://x", "b"},
		{"no method", "a@example.test", "1", "", "https://x", "b"},
		{"no url", "a@example.test", "1", "GET", "", "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.SendConfirm(t.Context(), tt.to, tt.id, tt.method, tt.url, tt.body, time.Time{})
			if err == nil || errors.Is(err, ErrNotConnected) {
				t.Errorf("SendConfirm() = %v, want an argument error", err)
			}
		})
	}
}

func TestRunWrongSecretKeepsRetrying(t *testing.T) {
	srv := newFakeServer(t)
	logs := newLogRecorder(t)
	startComponent(t, srv.addr(), logs, Handlers{}, nil)

	for range 2 {
		srv.next(t).reject(testDomain, "not-authorized")
		r := logs.wait(t, "handshake rejected", func(r slog.Record) bool {
			v, ok := attr(r, "err")
			err, isErr := v.Any().(error)
			return r.Level == slog.LevelError && ok && isErr && errors.Is(err, ErrNotAuthorized)
		})
		if !strings.Contains(r.Message, "not authorized") || !strings.Contains(r.Message, "secret") {
			t.Errorf("log message = %q, want it to mention 'not authorized' and the secret", r.Message)
		}
	}
	// It keeps trying, and a fixed server configuration is picked up.
	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	fc.ping(testDomain)
}

func TestRunRefusedConnectionIsRetried(t *testing.T) {
	// A port nobody listens on: take one, then free it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	logs := newLogRecorder(t)
	_, stop := startComponent(t, addr, logs, Handlers{}, nil)
	for range 2 {
		r := logs.wait(t, "cannot connect", func(r slog.Record) bool {
			return r.Message == "cannot connect to the XMPP server"
		})
		v, _ := attr(r, "err")
		if err, _ := v.Any().(error); errors.Is(err, ErrNotAuthorized) || r.Level != slog.LevelWarn {
			t.Errorf("refused connection logged as %v %v, want a warning that is not ErrNotAuthorized", r.Level, err)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

func TestRunReconnects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		breaks func(fc *fakeConn)
	}{
		{
			name:   "connection dropped",
			breaks: func(fc *fakeConn) { fc.nc.Close() },
		},
		{
			name:   "server closes the stream",
			breaks: func(fc *fakeConn) { fc.send("</stream:stream>") },
		},
		{
			name: "server sends a stream error",
			breaks: func(fc *fakeConn) {
				fc.send("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
			},
		},
		{
			name: "keepalive ping unanswered",
			mutate: func(cfg *Config) {
				cfg.KeepAlive = time.Millisecond
				// Also the wait for a ping's answer; long enough for
				// the handshake on a busy machine.
				cfg.ConnectTimeout = time.Second
			},
			breaks: func(*fakeConn) {}, // the fake server never routes the ping back
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t)
			logs := newLogRecorder(t)
			startComponent(t, srv.addr(), logs, Handlers{}, tt.mutate)

			fc := srv.next(t)
			fc.accept(testDomain, testSecret)
			fc.ping(testDomain)
			tt.breaks(fc)
			logs.wait(t, "connection lost", func(r slog.Record) bool { return r.Message == "component connection lost" })

			fc2 := srv.next(t)
			fc2.accept(testDomain, testSecret)
			fc2.ping(testDomain)
		})
	}
}

// The keepalive ping goes to the component's own domain; a server routes it
// back, the component answers itself, and the answer comes back too.
func TestKeepAliveRoundTrip(t *testing.T) {
	srv := newFakeServer(t)
	logs := newLogRecorder(t)
	startComponent(t, srv.addr(), logs, Handlers{}, func(cfg *Config) { cfg.KeepAlive = time.Millisecond })

	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	for range 3 {
		// Route the ping back like a server would, then its answer.
		var ping *inStanza
		for ping == nil {
			st := fc.next()
			if st == nil {
				t.Fatal("component closed the stream")
			}
			if st.Kind == "iq" && st.Type == "get" && st.From == testDomain && st.To == testDomain {
				ping = st
			}
		}
		fc.send("<iq type='get' id='" + ping.ID + "' from='" + testDomain + "' to='" + testDomain + "'><ping xmlns='urn:xmpp:ping'/></iq>")
		var result *inStanza
		for result == nil {
			st := fc.next()
			if st == nil {
				t.Fatal("component closed the stream")
			}
			if st.Kind == "iq" && st.Type == "result" && st.ID == ping.ID {
				result = st
			}
		}
		fc.send("<iq type='result' id='" + ping.ID + "' from='" + testDomain + "' to='" + testDomain + "'/>")
	}
	select {
	case <-srv.conns:
		t.Error("the component reconnected although its keepalive pings were answered")
	default:
	}
}

func TestRunWaitsForHandlers(t *testing.T) {
	srv := newFakeServer(t)
	logs := newLogRecorder(t)
	started := make(chan struct{})
	var finished atomic.Bool
	h := Handlers{IQ: map[xml.Name]IQHandler{echoName: IQHandlerFunc(func(ctx context.Context, iq IQ) ([]byte, error) {
		close(started)
		<-ctx.Done()
		finished.Store(true)
		return nil, ctx.Err()
	})}}
	_, stop := startComponent(t, srv.addr(), logs, h, func(cfg *Config) { cfg.StanzaTimeout = time.Hour })

	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	fc.send("<iq type='set' id='e1' from='" + alice + "' to='" + testDomain + "'><echo xmlns='urn:example:echo'/></iq>")
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Answer the component's </stream:stream> so Run need not wait.
	for fc.next() != nil {
	}
	fc.send("</stream:stream>")
	if err := <-stopped; err != nil {
		t.Errorf("Run() = %v", err)
	}
	if !finished.Load() {
		t.Error("Run returned before the stanza handler it started")
	}
}

func TestRunRejectsBadConfigAndSecondRun(t *testing.T) {
	if err := New(Config{}, Handlers{}).Run(t.Context()); err == nil || !strings.Contains(err.Error(), "invalid config") {
		t.Errorf("Run(empty config) = %v, want an invalid config error", err)
	}

	srv := newFakeServer(t)
	c, _ := startComponent(t, srv.addr(), newLogRecorder(t), Handlers{}, nil)
	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	fc.ping(testDomain)
	if err := c.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run() = %v, want an error", err)
	}
}
