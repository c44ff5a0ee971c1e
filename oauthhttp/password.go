package oauthhttp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// Password sign-in is optional and off unless Options.Passwords is set.
// The password is checked by the user's own XMPP server: the checker logs in
// as the user over a client-to-server stream (RFC 6120: STARTTLS, then SASL
// PLAIN, RFC 4616) and closes the stream at once, without binding a resource,
// so no presence is sent and no other session notices. The password is then
// forgotten: it is never stored or logged.

// ErrWrongPassword is returned by a [PasswordChecker] when the server
// refused the address and password (SASL not-authorized and the like).
var ErrWrongPassword = errors.New("wrong address or password")

// PasswordChecker checks an XMPP account's password. It returns nil when the
// password is right, an error wrapping [ErrWrongPassword] when it is wrong,
// and any other error when it could not tell.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, jid string, password oauth.Secret) error
}

// C2SPasswordChecker checks passwords by logging in to an XMPP server's
// client port as the user.
type C2SPasswordChecker struct {
	// Address is the server's client port, host:port.
	Address string
	// RequireTLS refuses to send the password unless the stream was
	// upgraded with STARTTLS (RFC 6120 §5) and the certificate is valid for
	// the user's domain. Turn it off only on loopback.
	RequireTLS bool
	// TLSConfig is used for STARTTLS; nil means the system's roots, with the
	// user's domain as server name.
	TLSConfig *tls.Config
	// Timeout bounds the whole check; 10 seconds when zero.
	Timeout time.Duration
}

// CheckPassword implements PasswordChecker.
func (p *C2SPasswordChecker) CheckPassword(ctx context.Context, jid string, password oauth.Secret) error {
	local, domain, ok := strings.Cut(jid, "@")
	if !ok || local == "" || domain == "" {
		return fmt.Errorf("check password: %w", ErrWrongPassword)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Address)
	if err != nil {
		return fmt.Errorf("check password: connect to %s: %w", p.Address, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()

	s := &c2sStream{conn: conn, domain: domain}
	if err := s.login(p, local, password); err != nil {
		return fmt.Errorf("check password on %s: %w", p.Address, err)
	}
	return nil
}

// c2sStream is the client side of the few steps of RFC 6120 a password
// check needs.
type c2sStream struct {
	conn   net.Conn
	dec    *xml.Decoder
	domain string
}

// open starts a stream (RFC 6120 §4.2) and reads its features.
func (s *c2sStream) open() (stanza.StreamFeatures, error) {
	s.dec = xml.NewDecoder(bufio.NewReader(s.conn))
	header := fmt.Sprintf("<?xml version='1.0'?><stream:stream to='%s' xmlns='%s' xmlns:stream='%s' version='1.0'>",
		xmlEscape(s.domain), stanza.NSClient, stanza.NSStream)
	if _, err := s.conn.Write([]byte(header)); err != nil {
		return stanza.StreamFeatures{}, fmt.Errorf("open stream: %w", err)
	}
	if _, err := stanza.InitStream(s.dec); err != nil {
		return stanza.StreamFeatures{}, fmt.Errorf("open stream: %w", err)
	}
	var f stanza.StreamFeatures
	if err := s.dec.Decode(&f); err != nil {
		return stanza.StreamFeatures{}, fmt.Errorf("read stream features: %w", err)
	}
	return f, nil
}

func (s *c2sStream) login(p *C2SPasswordChecker, local string, password oauth.Secret) error {
	f, err := s.open()
	if err != nil {
		return err
	}
	secure := false
	if _, ok := f.DoesStartTLS(); ok {
		if _, err := s.conn.Write([]byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
		var proceed stanza.TLSProceed
		if err := s.dec.Decode(&proceed); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if p.TLSConfig != nil {
			cfg = p.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = s.domain
		}
		tc := tls.Client(s.conn, cfg)
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
		s.conn, secure = tc, true
		if f, err = s.open(); err != nil {
			return err
		}
	}
	if !secure && p.RequireTLS {
		return errors.New("the server does not offer STARTTLS, and the password is not sent in the clear")
	}
	if !containsFold(f.Mechanisms.Mechanism, "PLAIN") {
		return fmt.Errorf("the server does not offer SASL PLAIN (it offers %v)", f.Mechanisms.Mechanism)
	}
	// RFC 4616: authzid NUL authcid NUL passwd.
	creds := base64.StdEncoding.EncodeToString([]byte("\x00" + local + "\x00" + password.Reveal()))
	if _, err := s.conn.Write([]byte("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + creds + "</auth>")); err != nil {
		return fmt.Errorf("sasl: %w", err)
	}
	p2, err := stanza.NextPacket(s.dec)
	if err != nil {
		return fmt.Errorf("sasl: %w", err)
	}
	_, _ = s.conn.Write([]byte("</stream:stream>"))
	switch v := p2.(type) {
	case stanza.SASLSuccess:
		return nil
	case stanza.SASLFailure:
		// RFC 6120 §6.5: not-authorized, account-disabled, … all mean no.
		return fmt.Errorf("%w (%s)", ErrWrongPassword, v.Any.Local)
	default:
		return fmt.Errorf("sasl: unexpected %s", p2.Name())
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), s) {
			return true
		}
	}
	return false
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Password attempts are limited per XMPP address, so that the sign-in page
// cannot be used to guess passwords faster than the XMPP server itself
// would allow.
const (
	passwordAttempts = 5
	passwordWindow   = 5 * time.Minute
)

// handlePassword signs in with the XMPP address and password of the
// sign-in page's password form, then goes on to consent.
func (h *Handler) handlePassword(c *gin.Context) {
	ctx := c.Request.Context()
	form, params, req, client, ok := h.readFlowForm(c, "sign-in")
	if !ok {
		return
	}
	jid := oauth.NormalizeJID(form.Get("jid"))
	password := oauth.Secret(form.Get("password"))
	again := func(status int, msg string) {
		h.renderSignIn(c, status, params, req, client, jid, msg, true)
	}
	if jid == "" || password == "" {
		again(http.StatusBadRequest, "Enter your XMPP address and your password.")
		return
	}
	if err := h.p.CheckUser(jid); err != nil {
		e, _ := oauth.AsError(err)
		again(pageStatus(e), describe(e))
		return
	}
	if ok, wait := h.pwTries.Allow(jid); !ok {
		secs := ratelimit.Seconds(wait)
		c.Header("Retry-After", strconv.Itoa(secs))
		again(http.StatusTooManyRequests, "Too many wrong passwords. Wait "+ratelimit.WaitText(secs)+", then try again, or approve the sign-in in your chat app instead.")
		return
	}
	err := h.passwords.CheckPassword(ctx, jid, password)
	switch {
	case errors.Is(err, ErrWrongPassword):
		h.log.InfoContext(ctx, "password sign-in refused", "jid", jid, "err", err)
		again(http.StatusBadRequest, "The address or the password is wrong.")
		return
	case err != nil:
		h.log.ErrorContext(ctx, "password check failed", "jid", jid, "err", err)
		again(http.StatusServiceUnavailable, "Your password could not be checked right now. Approve the sign-in in your chat app instead, or try again later.")
		return
	}
	h.log.InfoContext(ctx, "signed in with password", "jid", jid, "client_id", client.ID)
	h.startSession(c, jid, h.now())
	c.Redirect(http.StatusSeeOther, h.reenter(req))
}
