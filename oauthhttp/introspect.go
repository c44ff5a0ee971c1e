package oauthhttp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// handleIntrospect serves RFC 7662 §2. The caller must authenticate as a
// confidential client or a configured resource server (§2.1: "the endpoint
// MUST also require some form of authorization"); the core checks the
// credentials, and a caller without any is turned away here with 401.
func (h *Handler) handleIntrospect(c *gin.Context) {
	cred, token, hint, err := parseTokenOperation(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	if cred.ID == "" || cred.Secret == "" {
		h.fail(c, oauth.Errorf(oauth.InvalidClient, "introspection requires client authentication"))
		return
	}
	resp, err := h.p.Introspect(c.Request.Context(), cred, token, hint)
	if err != nil {
		h.fail(c, err)
		return
	}
	noStore(c)
	c.JSON(http.StatusOK, resp)
}
