package oauthhttp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// The browser session remembers who signed in, so that the next
// authorization request of the same browser goes straight to the consent
// page. It is a cookie holding the bare JID, when the user proved it (the
// ID token's auth_time) and when the session ends, signed with HMAC-SHA256:
// the server keeps no session state, and a cookie it did not sign is
// ignored. HttpOnly keeps it from scripts; SameSite=Lax keeps it off
// cross-site POSTs (the consent form has a CSRF token as well); over https
// it is Secure and __Host- prefixed.

// session is a signed-in browser.
type session struct {
	JID      string `json:"j"`
	AuthTime int64  `json:"a"` // Unix seconds
	Expiry   int64  `json:"e"` // Unix seconds
}

// authTime is when the user proved who they are.
func (s session) authTime() time.Time { return time.Unix(s.AuthTime, 0) }

func (h *Handler) sessionCookie() string {
	if h.secure {
		return "__Host-xoauth_session"
	}
	return "xoauth_session"
}

// sign returns the MAC of payload under the session key.
func (h *Handler) sign(payload string) []byte {
	m := hmac.New(sha256.New, h.sessionKey)
	m.Write([]byte("xoauth-session-v1\x00")) // domain separation from any other use of the key
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// startSession remembers jid in the browser. With no session lifetime
// configured, the cookie lasts until the browser closes and is valid only
// for as long as a sign-in takes; it is ended once the sign-in is over
// (endSignInSession).
func (h *Handler) startSession(c *gin.Context, jid string, authTime time.Time) {
	now := h.now()
	life := h.sessionLife
	if life <= 0 {
		life = max(h.p.Config().SignInTTL, 10*time.Minute)
	}
	s := session{JID: oauth.NormalizeJID(jid), AuthTime: authTime.Unix(), Expiry: now.Add(life).Unix()}
	raw, _ := json.Marshal(s) // a struct of strings and ints always marshals
	payload := base64.RawURLEncoding.EncodeToString(raw)
	ck := &http.Cookie{
		Name:     h.sessionCookie(),
		Value:    payload + "." + base64.RawURLEncoding.EncodeToString(h.sign(payload)),
		Path:     "/",
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if h.sessionLife > 0 {
		ck.MaxAge = int(h.sessionLife / time.Second)
	}
	http.SetCookie(c.Writer, ck)
}

// session returns the browser's valid session, if it has one.
func (h *Handler) session(c *gin.Context) (session, bool) {
	for _, ck := range c.Request.CookiesNamed(h.sessionCookie()) {
		if s, ok := h.parseSession(ck.Value); ok {
			return s, true
		}
	}
	return session{}, false
}

func (h *Handler) parseSession(v string) (session, bool) {
	payload, mac, ok := strings.Cut(v, ".")
	if !ok {
		return session{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, h.sign(payload)) {
		return session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, false
	}
	var s session
	if json.Unmarshal(raw, &s) != nil || s.JID == "" || h.now().Unix() >= s.Expiry {
		return session{}, false
	}
	return s, true
}

// endSession signs the browser out.
func (h *Handler) endSession(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     h.sessionCookie(),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// endSignInSession ends a session that was only meant to last one sign-in
// (no session lifetime configured).
func (h *Handler) endSignInSession(c *gin.Context) {
	if h.sessionLife <= 0 {
		h.endSession(c)
	}
}
