package oauthhttp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// handleUserInfo serves the UserInfo endpoint (OIDC Core §5.3). The access
// token comes in the Authorization header (RFC 6750 §2.1) or, on POST, in a
// form body (§2.2); never in the URL query (§2.3 is not supported, as it
// leaks tokens into logs). Failures carry an RFC 6750 §3 challenge.
func (h *Handler) handleUserInfo(c *gin.Context) {
	token, err := userInfoToken(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	if token == "" {
		// RFC 6750 §3.1: a request without authentication gets the bare
		// challenge, without an error code.
		c.Header("WWW-Authenticate", bearerChallenge(h.site, nil))
		noStore(c)
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	claims, err := h.p.UserInfo(c.Request.Context(), token)
	if err != nil {
		h.fail(c, err)
		return
	}
	noStore(c)
	c.JSON(http.StatusOK, claims)
}

// userInfoToken finds the bearer token of a UserInfo request. RFC 6750 §2:
// "Clients MUST NOT use more than one method to transmit the token in each
// request", so a token in both places is invalid_request.
func userInfoToken(r *http.Request) (string, error) {
	header, err := bearerToken(r)
	if err != nil {
		return "", err
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") == "" {
		return header, nil
	}
	if checkMediaType(r, "application/x-www-form-urlencoded") != nil {
		// A POST with another body carries the token in the header only.
		return header, nil
	}
	form, err := readForm(r)
	if err != nil {
		return "", err
	}
	body := form.Get("access_token")
	switch {
	case body != "" && header != "":
		return "", oauth.Errorf(oauth.InvalidRequest, "the access token was sent in more than one way")
	case body != "":
		return body, nil
	}
	return header, nil
}
