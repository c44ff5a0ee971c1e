package xmpptest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// XML namespaces of RFC 6120.
const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind    = "urn:ietf:params:xml:ns:xmpp-bind"
)

// SASLError is a SASL <failure/> (RFC 6120 §6.5) or a stream error that
// ended a [Login].
type SASLError struct {
	// Condition is the failure's defined condition, e.g. "not-authorized".
	Condition string
	// Text is the optional human-readable text.
	Text string
	// Challenge is the last challenge the server sent before failing, as
	// decoded data: for OAUTHBEARER, the JSON error of RFC 7628 §3.2.2.
	Challenge []byte
}

func (e *SASLError) Error() string {
	msg := "sasl failure: " + e.Condition
	if e.Text != "" {
		msg += " (" + e.Text + ")"
	}
	if len(e.Challenge) > 0 {
		msg += " after the challenge " + strconv.Quote(string(e.Challenge))
	}
	return msg
}

// Mechanisms opens a client stream to domain at addr and returns the SASL
// mechanisms the server offers (RFC 6120 §6.4.1).
func Mechanisms(ctx context.Context, addr, domain string) ([]string, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.close()
	return c.open(domain)
}

// maxChallenges bounds the round trips of one exchange: the mechanisms here
// need at most two.
const maxChallenges = 4

// Login logs in to domain at addr the way an XMPP client does over an
// unencrypted stream: it opens a stream, authenticates with m (RFC 6120
// §6.4.2 to §6.4.6: the initial response, then one answer for each
// challenge), restarts the stream and binds a resource (§7). It returns the
// full JID the server bound, or a *SASLError when the server refused the
// credentials.
func Login(ctx context.Context, addr, domain string, m Mechanism) (string, error) {
	c, err := dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer c.close()
	mechs, err := c.open(domain)
	if err != nil {
		return "", err
	}
	if !slices.Contains(mechs, m.Name()) {
		return "", fmt.Errorf("server does not offer %s (offers %v)", m.Name(), mechs)
	}
	initial, err := m.Start()
	if err != nil {
		return "", fmt.Errorf("%s: %w", m.Name(), err)
	}
	if err := c.send(fmt.Sprintf("<auth xmlns='%s' mechanism='%s'>%s</auth>", nsSASL, xmlEscape(m.Name()), encode(initial))); err != nil {
		return "", err
	}
	var challenge []byte
	for round := 0; ; round++ {
		el, err := c.next()
		if err != nil {
			return "", err
		}
		if el.XMLName.Space != nsSASL {
			return "", fmt.Errorf("expected a SASL element, got <%s xmlns='%s'>", el.XMLName.Local, el.XMLName.Space)
		}
		data, err := decode(el.Text)
		if err != nil {
			return "", fmt.Errorf("<%s/>: %w", el.XMLName.Local, err)
		}
		switch el.XMLName.Local {
		case "success":
			if err := m.Success(data); err != nil {
				return "", fmt.Errorf("%s: %w", m.Name(), err)
			}
			return c.bind(domain)
		case "failure":
			f := el.failure()
			f.Challenge = challenge
			return "", f
		case "challenge":
			if round == maxChallenges {
				return "", fmt.Errorf("%s: more than %d challenges", m.Name(), maxChallenges)
			}
			challenge = data
			resp, err := m.Next(data)
			if err != nil {
				return "", fmt.Errorf("%s: %w", m.Name(), err)
			}
			if err := c.send(fmt.Sprintf("<response xmlns='%s'>%s</response>", nsSASL, encode(resp))); err != nil {
				return "", err
			}
		default:
			return "", fmt.Errorf("expected SASL challenge, success or failure, got <%s/>", el.XMLName.Local)
		}
	}
}

// bind restarts the stream after authentication (RFC 6120 §6.4.6) and binds
// a resource the server chooses (§7).
func (c *conn) bind(domain string) (string, error) {
	if _, err := c.open(domain); err != nil {
		return "", err
	}
	if err := c.send(fmt.Sprintf("<iq type='set' id='bind-1'><bind xmlns='%s'/></iq>", nsBind)); err != nil {
		return "", err
	}
	el, err := c.next()
	if err != nil {
		return "", err
	}
	if el.XMLName.Local != "iq" || el.attr("type") != "result" || el.attr("id") != "bind-1" {
		return "", fmt.Errorf("resource binding failed: %s", el.Inner)
	}
	for _, b := range el.Children {
		for _, j := range b.Children {
			if b.XMLName.Space == nsBind && j.XMLName.Local == "jid" {
				return strings.TrimSpace(j.Text), nil
			}
		}
	}
	return "", fmt.Errorf("resource binding answer without a JID: %s", el.Inner)
}

// encode writes SASL data as RFC 6120 §6.4.2 wants it: base64, and "=" for
// an empty response (nil sends none).
func encode(data []byte) string {
	if data != nil && len(data) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(data)
}

// decode reads the base64 content of a SASL element ("=" or nothing is
// empty).
func decode(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if text == "" || text == "=" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("bad base64: %w", err)
	}
	return b, nil
}

// element is any XML element, read whole.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []element  `xml:",any"`
	Text     string     `xml:",chardata"`
	Inner    string     `xml:",innerxml"`
}

func (e element) attr(local string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// failure reads a SASL <failure/> or a stream error.
func (e element) failure() *SASLError {
	f := &SASLError{}
	for _, c := range e.Children {
		if c.XMLName.Local == "text" {
			f.Text = strings.TrimSpace(c.Text)
		} else if f.Condition == "" {
			f.Condition = c.XMLName.Local
		}
	}
	return f
}

// conn is one client connection.
type conn struct {
	nc   net.Conn
	r    *bufio.Reader
	dec  *xml.Decoder
	stop func() bool
}

// dial connects to addr; ctx bounds the whole exchange.
func dial(ctx context.Context, addr string) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	// Unblock reads and writes when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	return &conn{nc: nc, r: bufio.NewReader(nc), stop: stop}, nil
}

func (c *conn) close() {
	c.stop()
	_, _ = io.WriteString(c.nc, "</stream:stream>")
	c.nc.Close()
}

func (c *conn) send(s string) error {
	if _, err := io.WriteString(c.nc, s); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// open sends a stream header, reads the server's and its features, and
// returns the SASL mechanisms offered (none after authentication).
func (c *conn) open(domain string) ([]string, error) {
	err := c.send(fmt.Sprintf("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' xmlns:stream='%s' version='1.0'>",
		xmlEscape(domain), nsStreams))
	if err != nil {
		return nil, err
	}
	// A new decoder for each stream: the server's new stream header starts
	// a new XML document. The bufio.Reader keeps what was read ahead.
	c.dec = xml.NewDecoder(c.r)
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read stream header: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != nsStreams || se.Name.Local != "stream" {
				return nil, fmt.Errorf("expected a stream header, got <%s>", se.Name.Local)
			}
			break
		}
	}
	feats, err := c.next()
	if err != nil {
		return nil, err
	}
	if feats.XMLName.Space != nsStreams || feats.XMLName.Local != "features" {
		return nil, fmt.Errorf("expected stream features, got <%s>", feats.XMLName.Local)
	}
	var mechs []string
	for _, f := range feats.Children {
		if f.XMLName.Space == nsSASL && f.XMLName.Local == "mechanisms" {
			for _, m := range f.Children {
				mechs = append(mechs, strings.TrimSpace(m.Text))
			}
		}
	}
	return mechs, nil
}

// next reads the next top-level element of the stream. A stream error
// becomes a *SASLError carrying its condition.
func (c *conn) next() (element, error) {
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return element{}, fmt.Errorf("read: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var el element
			if err := c.dec.DecodeElement(&el, &t); err != nil {
				return element{}, fmt.Errorf("read <%s>: %w", t.Name.Local, err)
			}
			if el.XMLName.Space == nsStreams && el.XMLName.Local == "error" {
				e := el.failure()
				return element{}, fmt.Errorf("stream error: %w", e)
			}
			return el, nil
		case xml.EndElement:
			return element{}, errors.New("the server closed the stream")
		}
	}
}

// xmlEscape escapes s for an attribute value.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // escapes both quotes too
	return b.String()
}
