package component

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"
)

// ioTimeout bounds every read and write of the fake server, so that a broken
// test fails instead of hanging. It is a safety net, not an assertion.
const ioTimeout = 20 * time.Second

// fakeServer plays the XMPP server's side of XEP-0114 on loopback.
type fakeServer struct {
	ln    net.Listener
	conns chan *fakeConn
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, conns: make(chan *fakeConn, 16)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns <- &fakeConn{t: t, nc: nc, dec: xml.NewDecoder(nc)}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		close(s.conns)
		for c := range s.conns {
			c.nc.Close()
		}
	})
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

// next returns the next connection the component made.
func (s *fakeServer) next(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-s.conns:
		t.Cleanup(func() { c.nc.Close() })
		return c
	case <-time.After(ioTimeout):
		t.Fatal("the component did not connect")
		return nil
	}
}

// fakeConn is one component connection, seen from the server.
type fakeConn struct {
	t   *testing.T
	nc  net.Conn
	dec *xml.Decoder
}

const fakeStreamID = "stream-1"

// accept reads the stream header and handshake, checks the handshake
// against secret and accepts it.
func (c *fakeConn) accept(domain, secret string) {
	c.t.Helper()
	c.open(domain)
	want := sha1.Sum([]byte(fakeStreamID + secret))
	if got := c.readHandshake(); got != hex.EncodeToString(want[:]) {
		c.t.Errorf("handshake = %q, want %x", got, want)
	}
	c.send("<handshake/>")
}

// reject reads the stream header and handshake and answers with a stream
// error, as Prosody does for a wrong secret.
func (c *fakeConn) reject(domain, condition string) {
	c.t.Helper()
	c.open(domain)
	c.readHandshake()
	c.send("<stream:error><" + condition + " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
		"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Given token does not match calculated token</text></stream:error></stream:stream>")
	c.nc.Close()
}

func (c *fakeConn) open(domain string) {
	c.t.Helper()
	for {
		se, ok := c.token().(xml.StartElement)
		if !ok {
			continue // the XML declaration
		}
		if se.Name.Space != nsStream || se.Name.Local != "stream" {
			c.t.Fatalf("got <%s/>, want the stream header", se.Name.Local)
		}
		for _, a := range se.Attr {
			if a.Name.Local == "to" && a.Value != domain {
				c.t.Errorf("stream header to=%q, want %q", a.Value, domain)
			}
		}
		break
	}
	c.send("<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='" +
		fakeStreamID + "' from='" + domain + "'>")
}

func (c *fakeConn) readHandshake() string {
	c.t.Helper()
	for {
		if se, ok := c.token().(xml.StartElement); ok {
			var v string
			if err := c.dec.DecodeElement(&v, &se); err != nil {
				c.t.Fatalf("read handshake: %v", err)
			}
			return v
		}
	}
}

func (c *fakeConn) token() xml.Token {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(ioTimeout))
	tok, err := c.dec.Token()
	if err != nil {
		c.t.Fatalf("fake server read: %v", err)
	}
	return xml.CopyToken(tok)
}

func (c *fakeConn) send(s string) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatalf("fake server write: %v", err)
	}
}

// next returns the next stanza the component sent, or nil when it closed
// the stream with </stream:stream>.
func (c *fakeConn) next() *inStanza {
	c.t.Helper()
	for {
		switch t := c.token().(type) {
		case xml.StartElement:
			st := new(inStanza)
			if err := c.dec.DecodeElement(st, &t); err != nil {
				c.t.Fatalf("fake server decode: %v", err)
			}
			return st
		case xml.EndElement:
			return nil
		}
	}
}

// ping sends an XEP-0199 ping from alice and checks the component answers,
// skipping whatever else the component sends meanwhile (its own keepalive
// pings).
func (c *fakeConn) ping(domain string) {
	c.t.Helper()
	c.send("<iq type='get' id='ping1' from='" + alice + "' to='" + domain + "'><ping xmlns='urn:xmpp:ping'/></iq>")
	for {
		st := c.next()
		if st == nil {
			c.t.Fatal("the component closed the stream instead of answering a ping")
		}
		if st.Kind == "iq" && st.ID == "ping1" {
			if st.Type != "result" || st.To != alice {
				c.t.Fatalf("ping answer = %+v, want a result to %s", st, alice)
			}
			return
		}
	}
}

// logRecorder is a slog.Handler that keeps records on a channel (and prints
// them to the test's output).
type logRecorder struct {
	ch   chan slog.Record
	next slog.Handler
}

func newLogRecorder(t *testing.T) *logRecorder {
	return &logRecorder{
		ch:   make(chan slog.Record, 1024),
		next: slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}),
	}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Clone():
	default: // a test that stopped listening does not block the component
	}
	return h.next.Handle(ctx, r)
}

func (h *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logRecorder{ch: h.ch, next: h.next.WithAttrs(attrs)}
}

func (h *logRecorder) WithGroup(name string) slog.Handler {
	return &logRecorder{ch: h.ch, next: h.next.WithGroup(name)}
}

// wait returns the next record that match accepts.
func (h *logRecorder) wait(t *testing.T, what string, match func(slog.Record) bool) slog.Record {
	t.Helper()
	timeout := time.After(ioTimeout)
	for {
		select {
		case r := <-h.ch:
			if match(r) {
				return r
			}
		case <-timeout:
			t.Fatalf("no log record: %s", what)
		}
	}
}

// attr returns the value of a record's attribute.
func attr(r slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}
