package oauthhttp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// handleToken serves the token endpoint (RFC 6749 §3.2) for every enabled
// grant; the core runs the shared steps (client authentication, grant type
// allowed for the client, scope policy) for all of them.
func (h *Handler) handleToken(c *gin.Context) {
	cred, req, err := ParseTokenRequest(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	resp, err := h.p.Token(c.Request.Context(), cred, req)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.log.DebugContext(c.Request.Context(), "token issued", "client_id", cred.ID, "grant_type", req.GrantType)
	noStore(c)
	c.JSON(http.StatusOK, resp)
}

// ParseTokenRequest reads a token request (RFC 6749 §3.2, §4.1.3, §4.4, §6;
// RFC 8628 §3.4): a POST with an application/x-www-form-urlencoded body of
// at most 64 KiB, no parameter repeated, and the client's credentials in
// HTTP Basic or the body (see RFC 6749 §2.3.1). It never panics; every
// error is an *oauth.Error.
func ParseTokenRequest(r *http.Request) (oauth.ClientCredentials, oauth.TokenRequest, error) {
	form, err := readForm(r)
	if err != nil {
		return oauth.ClientCredentials{}, oauth.TokenRequest{}, err
	}
	cred, err := clientCredentials(r, form)
	if err != nil {
		return oauth.ClientCredentials{}, oauth.TokenRequest{}, err
	}
	req := oauth.TokenRequest{
		GrantType:    form.Get("grant_type"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
		RefreshToken: form.Get("refresh_token"),
		DeviceCode:   form.Get("device_code"),
		Scope:        form.Get("scope"),
	}
	if req.GrantType == "" {
		return oauth.ClientCredentials{}, oauth.TokenRequest{}, oauth.Errorf(oauth.InvalidRequest, "grant_type is missing")
	}
	return cred, req, nil
}

// noStore marks a response that carries tokens or secrets (RFC 6749 §5.1:
// "Cache-Control: no-store" and "Pragma: no-cache").
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
}
