package oauthhttp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// handleRevoke serves RFC 7009 §2. The answer is 200 with an empty body
// whether or not the token was known (§2.2: "invalid tokens do not cause an
// error response"), so the endpoint cannot be used to test tokens.
func (h *Handler) handleRevoke(c *gin.Context) {
	cred, token, hint, err := parseTokenOperation(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	if err := h.p.Revoke(c.Request.Context(), cred, token, hint); err != nil {
		h.fail(c, err)
		return
	}
	noStore(c)
	c.Status(http.StatusOK)
}

// parseTokenOperation reads the body shared by revocation (RFC 7009 §2.1)
// and introspection (RFC 7662 §2.1): the token, an optional
// token_type_hint, and the caller's client credentials. A hint the server
// does not know is dropped, since it is only a hint (RFC 7009 §2.1: the
// server "MAY ignore" it; RFC 7662 §2.1 likewise).
func parseTokenOperation(r *http.Request) (cred oauth.ClientCredentials, token, hint string, err error) {
	form, err := readForm(r)
	if err != nil {
		return cred, "", "", err
	}
	if cred, err = clientCredentials(r, form); err != nil {
		return cred, "", "", err
	}
	token = form.Get("token")
	if token == "" {
		return cred, "", "", oauth.Errorf(oauth.InvalidRequest, "token is missing")
	}
	switch hint = form.Get("token_type_hint"); hint {
	case oauth.KindAccess, oauth.KindRefresh:
	default:
		hint = ""
	}
	return cred, token, hint, nil
}
