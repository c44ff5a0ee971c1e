package component

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"gosrc.io/xmpp/stanza"
)

// errStreamClosed means the server closed the stream with </stream:stream>.
var errStreamClosed = errors.New("server closed the stream")

// session is one established XEP-0114 stream. Exactly one goroutine reads
// (readLoop); any number write, one stanza at a time.
type session struct {
	nc      net.Conn
	dec     *xml.Decoder
	timeout time.Duration // bounds each write and the wait for the server's </stream:stream>

	wmu    sync.Mutex
	closed bool // we sent </stream:stream>; guarded by wmu

	// pending maps the id of an IQ we sent to the channel its answer is
	// reported on (the keepalive ping).
	pending sync.Map
}

// dial connects to the server's component port and performs the XEP-0114
// handshake, all within timeout and interrupted by ctx.
func dial(ctx context.Context, address, domain, secret string, timeout time.Duration) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	// The handshake shares the deadline, and ctx ending interrupts it.
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	interrupt := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer interrupt()

	s := &session{nc: nc, timeout: timeout}
	if err := s.handshake(domain, secret); err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("handshake with %s: %w", address, ctx.Err())
		}
		return nil, fmt.Errorf("handshake with %s: %w", address, err)
	}
	if !interrupt() {
		// ctx ended just as the handshake finished; the deadline is spoilt.
		nc.Close()
		return nil, fmt.Errorf("handshake with %s: %w", address, ctx.Err())
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("clear deadline: %w", err)
	}
	return s, nil
}

// handshake opens the stream and authenticates (XEP-0114 §3): the
// handshake value is the lower-case hex SHA-1 of the stream ID the server
// sent followed by the shared secret.
func (s *session) handshake(domain, secret string) error {
	header := "<?xml version='1.0'?><stream:stream xmlns='" + nsComponent +
		"' xmlns:stream='" + nsStream + "' to='" + string(appendEscaped(nil, domain)) + "'>"
	if _, err := s.nc.Write([]byte(header)); err != nil {
		return fmt.Errorf("send stream header: %w", err)
	}
	s.dec = xml.NewDecoder(s.nc)
	streamID, err := stanza.InitStream(s.dec)
	if err != nil {
		return fmt.Errorf("read stream header: %w", err)
	}
	if streamID == "" {
		return errors.New("server sent no stream id")
	}
	sum := sha1.Sum([]byte(streamID + secret))
	if _, err := s.nc.Write([]byte("<handshake>" + hex.EncodeToString(sum[:]) + "</handshake>")); err != nil {
		return fmt.Errorf("send handshake: %w", err)
	}
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return fmt.Errorf("read handshake answer: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Space == nsStream && t.Name.Local == "error":
				return s.decodeStreamError(t)
			case t.Name.Local == "handshake":
				if err := s.dec.Skip(); err != nil {
					return fmt.Errorf("read handshake answer: %w", err)
				}
				return nil
			default:
				return fmt.Errorf("expected <handshake/>, got <%s/>", t.Name.Local)
			}
		case xml.EndElement:
			return errStreamClosed
		}
	}
}

// decodeStreamError reads a <stream:error/> whose start tag was just read.
func (s *session) decodeStreamError(start xml.StartElement) error {
	var se stanza.StreamError
	if err := s.dec.DecodeElement(&se, &start); err != nil {
		return fmt.Errorf("read stream error: %w", err)
	}
	return &StreamError{Condition: se.Error.Local, Text: se.Text}
}

// readLoop reads stanzas and passes each to handle, in the reading
// goroutine, until the stream ends. It returns why: errStreamClosed, a
// *StreamError, or the read error (also when the connection was closed).
func (s *session) readLoop(handle func(*inStanza)) error {
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Space == nsStream && t.Name.Local == "error":
				return s.decodeStreamError(t)
			case isStanzaNS(t.Name.Space) && (t.Name.Local == "iq" || t.Name.Local == "message" || t.Name.Local == "presence"):
				st := new(inStanza)
				if err := s.dec.DecodeElement(st, &t); err != nil {
					return fmt.Errorf("read <%s/>: %w", t.Name.Local, err)
				}
				handle(st)
			default:
				if err := s.dec.Skip(); err != nil {
					return fmt.Errorf("read: %w", err)
				}
			}
		case xml.EndElement:
			return errStreamClosed
		}
	}
}

// write sends one complete stanza. A write that fails may have sent part of
// the stanza, which leaves the stream unusable, so it closes the connection:
// the read loop then ends and Run reconnects.
func (s *session) write(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrNotConnected
	}
	// Not ctx's deadline: a short handler deadline must not cut a stanza
	// in half. The timeout only catches a server that stopped reading.
	_ = s.nc.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.nc.Write(data); err != nil {
		s.nc.Close()
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// sendClose sends </stream:stream> (RFC 6120 §4.4); nothing may be written
// after it.
func (s *session) sendClose() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	_ = s.nc.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.nc.Write([]byte(stanza.StreamClose)); err != nil {
		return fmt.Errorf("close stream: %w", err)
	}
	return nil
}

// ping sends an XEP-0199 ping from and to the component's own domain. The
// server routes it back to us, we answer it like any ping, and the server
// routes the answer back again: a round trip through the server in both
// directions, with no need to know any other address on it.
func (s *session) ping(ctx context.Context, domain string) error {
	id := "ping-" + randomID()
	ch := make(chan struct{}, 1)
	s.pending.Store(id, ch)
	defer s.pending.Delete(id)
	d := string(appendEscaped(nil, domain))
	iq := "<iq type='get' id='" + id + "' from='" + d + "' to='" + d + "'><ping xmlns='" + NSPing + "'/></iq>"
	if err := s.write(ctx, []byte(iq)); err != nil {
		return fmt.Errorf("keepalive ping: %w", err)
	}
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case <-ch:
		return nil
	case <-timer.C:
		return fmt.Errorf("keepalive ping: no answer within %v", s.timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// answered reports an IQ result or error to whoever waits for it; it
// returns false if nobody does.
func (s *session) answered(id string) bool {
	v, ok := s.pending.LoadAndDelete(id)
	if ok {
		v.(chan struct{}) <- struct{}{}
	}
	return ok
}

// isStanzaNS reports whether ns is a stanza namespace: the component
// stream's, or the client namespace some servers keep when routing.
func isStanzaNS(ns string) bool { return ns == nsComponent || ns == nsClient }

// inStanza is an incoming iq, message or presence: its attributes and its
// child elements, copied verbatim.
type inStanza struct {
	Kind     string // "iq", "message" or "presence"
	ID       string
	Type     string
	From     string
	To       string
	Lang     string
	Children []RawElement
}

// UnmarshalXML implements xml.Unmarshaler.
func (st *inStanza) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	st.Kind = start.Name.Local
	for _, a := range start.Attr {
		switch {
		case a.Name.Space == xmlNamespace && a.Name.Local == "lang":
			st.Lang = a.Value
		case a.Name.Space != "":
		case a.Name.Local == "id":
			st.ID = a.Value
		case a.Name.Local == "type":
			st.Type = a.Value
		case a.Name.Local == "from":
			st.From = a.Value
		case a.Name.Local == "to":
			st.To = a.Value
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var r RawElement
			if err := r.UnmarshalXML(d, t); err != nil {
				return err
			}
			st.Children = append(st.Children, r)
		case xml.EndElement:
			return nil
		}
	}
}
