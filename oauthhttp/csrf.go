package oauthhttp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// csrfField is the hidden form field that echoes the CSRF cookie.
const csrfField = "csrf_token"

// csrfCookie names the double-submit cookie. Over https it gets the
// __Host- prefix, which browsers only accept from this exact host, with
// Secure and Path=/, so a sibling subdomain cannot plant one.
func (h *Handler) csrfCookie() string {
	if h.secure {
		return "__Host-xoauth_csrf"
	}
	return "xoauth_csrf"
}

// csrfToken returns the browser's CSRF token, setting a new random one if it
// has none. A cross-site page can make the browser send the cookie but can
// neither read it nor set it, so it cannot fill in the matching field.
func (h *Handler) csrfToken(c *gin.Context) string {
	if ck, err := c.Request.Cookie(h.csrfCookie()); err == nil && validCSRF(ck.Value) {
		return ck.Value
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	token := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     h.csrfCookie(),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
	return token
}

// checkCSRF reports whether the form's token matches the cookie, in
// constant time.
func (h *Handler) checkCSRF(c *gin.Context, form url.Values) bool {
	ck, err := c.Request.Cookie(h.csrfCookie())
	if err != nil || !validCSRF(ck.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(form.Get(csrfField))) == 1
}

// validCSRF reports whether v looks like a token csrfToken made.
func validCSRF(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// csrfFailed shows the page for a form whose token did not match: most
// often an old tab or cookies being blocked.
func (h *Handler) csrfFailed(c *gin.Context) {
	h.render(c, http.StatusForbidden, "error", "Form expired", errorPage{
		Heading: "This form has expired",
		Message: "Your browser did not send the form's security cookie. Make sure cookies are allowed for this site, go back, reload the page and try again.",
	})
}
