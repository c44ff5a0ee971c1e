package oauthhttp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// statusOf is the one table from core error codes to HTTP statuses. Codes
// not listed (and errors that are not *oauth.Error) are server faults.
var statusOf = map[string]int{
	// RFC 6749 §5.2: invalid_client is 401; the rest of the token endpoint's
	// errors are 400.
	oauth.InvalidClient:           http.StatusUnauthorized,
	oauth.InvalidRequest:          http.StatusBadRequest,
	oauth.InvalidGrant:            http.StatusBadRequest,
	oauth.UnauthorizedClient:      http.StatusBadRequest,
	oauth.UnsupportedGrantType:    http.StatusBadRequest,
	oauth.UnsupportedResponseType: http.StatusBadRequest,
	oauth.InvalidScope:            http.StatusBadRequest,
	oauth.AccessDenied:            http.StatusBadRequest,
	// RFC 8628 §3.5.
	oauth.AuthorizationPending: http.StatusBadRequest,
	oauth.SlowDown:             http.StatusBadRequest,
	oauth.ExpiredToken:         http.StatusBadRequest,
	// RFC 7591 §3.2.2.
	oauth.InvalidClientMetadata: http.StatusBadRequest,
	oauth.InvalidRedirectURI:    http.StatusBadRequest,
	// RFC 7009 §2.2.1.
	oauth.UnsupportedTokenType: http.StatusBadRequest,
	// OIDC Core §3.1.2.6 (normally redirected; 400 when shown directly).
	oauth.LoginRequired:       http.StatusBadRequest,
	oauth.ConsentRequired:     http.StatusBadRequest,
	oauth.InteractionRequired: http.StatusBadRequest,
	oauth.RequestNotSupported: http.StatusBadRequest,
	// RFC 6750 §3.1.
	oauth.InvalidToken:      http.StatusUnauthorized,
	oauth.InsufficientScope: http.StatusForbidden,
	// RFC 6585 §4.
	oauth.TooManyRequests:        http.StatusTooManyRequests,
	oauth.TemporarilyUnavailable: http.StatusServiceUnavailable,
	oauth.ServerError:            http.StatusInternalServerError,
}

// errorBody is the JSON error response of RFC 6749 §5.2.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// fail writes err as a JSON error response. An *oauth.Error is the client's
// business and is sent as is with the status of statusOf (413 for a body
// over the limit and 429 for a rate limit, see statusFor); anything else is
// logged here, once, and sent as a bare server_error so that internal text
// never reaches a client.
func (h *Handler) fail(c *gin.Context, err error) {
	e, ok := oauth.AsError(err)
	status, known := 0, false
	if ok {
		status, known = statusOf[e.Code]
	}
	if known {
		status = statusFor(err, e, status)
	}
	if !known {
		h.log.ErrorContext(c.Request.Context(), "request failed", "path", c.Request.URL.Path, "err", err)
		e, status = &oauth.Error{Code: oauth.ServerError}, http.StatusInternalServerError
	}
	h.writeError(c, status, e)
}

// writeError sends e with status and the headers its code calls for.
func (h *Handler) writeError(c *gin.Context, status int, e *oauth.Error) {
	switch e.Code {
	case oauth.InvalidClient:
		// RFC 6749 §5.2 requires the challenge when the client used the
		// Authorization header, and RFC 9110 §15.5.2 requires one on every
		// 401, so it is always sent.
		c.Header("WWW-Authenticate", `Basic realm=`+quote(h.site))
	case oauth.InvalidToken, oauth.InsufficientScope:
		// RFC 6750 §3.
		c.Header("WWW-Authenticate", bearerChallenge(h.site, e))
	}
	if e.Code == oauth.TooManyRequests || e.RetryAfter > 0 {
		// RFC 6585 §4, RFC 9110 §10.2.3: how many seconds to wait.
		c.Header("Retry-After", strconv.Itoa(max(e.RetryAfter, 1)))
	}
	// Errors of the token, device and registration endpoints may follow a
	// request carrying secrets; none of them is worth caching.
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.AbortWithStatusJSON(status, errorBody{Error: e.Code, Description: e.Description})
}

// bearerChallenge is the WWW-Authenticate value of RFC 6750 §3. A request
// without any token gets the bare challenge (§3.1: "the resource server
// SHOULD NOT include an error code").
func bearerChallenge(realm string, e *oauth.Error) string {
	v := `Bearer realm=` + quote(realm)
	if e == nil {
		return v
	}
	v += `, error=` + quote(e.Code)
	if e.Description != "" {
		v += `, error_description=` + quote(e.Description)
	}
	return v
}

// quote makes s an HTTP quoted-string (RFC 9110 §5.6.4). Control characters
// cannot be escaped there, so they are dropped, and RFC 6750 §3 limits
// error_description to printable ASCII, so anything else becomes '?'.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		case r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
