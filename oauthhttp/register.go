package oauthhttp

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// registrationResponse is the client information response of RFC 7591 §3.2.1
// extended by RFC 7592 §3.
type registrationResponse struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	oauth.ClientMetadata
}

// handleRegister serves RFC 7591 §3.1. The initial access token, if the
// deployment requires one, comes as a bearer token.
func (h *Handler) handleRegister(c *gin.Context) {
	token, err := bearerToken(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	m, _, err := readRegistration(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	reg, err := h.p.Register(c.Request.Context(), m, token)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeRegistration(c, http.StatusCreated, reg, "")
}

// handleReadRegistration serves RFC 7592 §2.1.
func (h *Handler) handleReadRegistration(c *gin.Context) {
	token, ok := h.registrationToken(c)
	if !ok {
		return
	}
	cl, err := h.p.ReadRegistration(c.Request.Context(), c.Param("client_id"), token)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeRegistration(c, http.StatusOK, oauth.ClientRegistration{Client: cl}, token)
}

// handleUpdateRegistration serves RFC 7592 §2.2: the body replaces the
// client's metadata, and its client_id must be the one in the URL.
func (h *Handler) handleUpdateRegistration(c *gin.Context) {
	token, ok := h.registrationToken(c)
	if !ok {
		return
	}
	m, bodyID, err := readRegistration(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	id := c.Param("client_id")
	if bodyID != "" && bodyID != id {
		h.fail(c, oauth.Errorf(oauth.InvalidRequest, "client_id in the body differs from the client being updated"))
		return
	}
	reg, err := h.p.UpdateRegistration(c.Request.Context(), id, token, m)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.writeRegistration(c, http.StatusOK, reg, token)
}

// handleDeleteRegistration serves RFC 7592 §2.3: 204 on success.
func (h *Handler) handleDeleteRegistration(c *gin.Context) {
	token, ok := h.registrationToken(c)
	if !ok {
		return
	}
	id := c.Param("client_id")
	if err := h.p.DeleteRegistration(c.Request.Context(), id, token); err != nil {
		h.fail(c, err)
		return
	}
	noStore(c)
	c.Status(http.StatusNoContent)
}

// registrationToken returns the registration access token (RFC 7592 §1),
// which every management request must carry; it writes the error if not.
func (h *Handler) registrationToken(c *gin.Context) (string, bool) {
	token, err := bearerToken(c.Request)
	if err == nil && token == "" {
		err = oauth.Errorf(oauth.InvalidToken, "a registration access token is required")
	}
	if err != nil {
		h.fail(c, err)
		return "", false
	}
	return token, true
}

// writeRegistration sends a client information response. The secrets are
// only known when newly issued; the registration access token presented on
// a management request is echoed (RFC 7592 §3 makes it part of every
// response) unless the core issued a new one.
func (h *Handler) writeRegistration(c *gin.Context, status int, reg oauth.ClientRegistration, presented string) {
	cl := reg.Client
	resp := registrationResponse{
		ClientID:                cl.ID,
		ClientSecret:            reg.Secret.Reveal(),
		ClientIDIssuedAt:        cl.CreatedAt.Unix(),
		RegistrationAccessToken: reg.RegistrationToken.Reveal(),
		RegistrationClientURI:   h.url("/register/" + url.PathEscape(cl.ID)),
		ClientMetadata:          cl.Metadata(),
	}
	if resp.RegistrationAccessToken == "" {
		resp.RegistrationAccessToken = presented
	}
	if !cl.Public() {
		// RFC 7591 §3.2.1: REQUIRED if client_secret is issued; 0 means
		// it does not expire.
		var exp int64
		if !cl.SecretExpiresAt.IsZero() {
			exp = cl.SecretExpiresAt.Unix()
		}
		resp.ClientSecretExpiresAt = &exp
	}
	noStore(c) // RFC 7591 §3.2.1
	c.JSON(status, resp)
}

// readRegistration reads a JSON registration body (of at most the body limit).
func readRegistration(r *http.Request) (oauth.ClientMetadata, string, error) {
	if err := checkMediaType(r, "application/json"); err != nil {
		return oauth.ClientMetadata{}, "", err
	}
	body, err := readBody(r)
	if err != nil {
		return oauth.ClientMetadata{}, "", err
	}
	return decodeRegistration(body)
}

// ParseClientMetadata decodes the JSON client metadata of a registration
// request (RFC 7591 §2, §3.1). Member names match exactly; members it does
// not know are ignored, as §2 requires ("The authorization server MUST
// ignore any client metadata sent by the client that it does not
// understand"); a known member of the wrong type, a body that is not one
// JSON object, or text that is not UTF-8 is invalid_client_metadata. The
// core validates the values. It never panics; every error is an
// *oauth.Error.
func ParseClientMetadata(body []byte) (oauth.ClientMetadata, error) {
	m, _, err := decodeRegistration(body)
	return m, err
}

// decodeRegistration is ParseClientMetadata that also returns the client_id
// member, which an RFC 7592 §2.2 update carries.
func decodeRegistration(body []byte) (oauth.ClientMetadata, string, error) {
	bad := func(what string) error {
		return oauth.Errorf(oauth.InvalidClientMetadata, "%s", what)
	}
	if !utf8.Valid(body) {
		return oauth.ClientMetadata{}, "", bad("the body is not UTF-8")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return oauth.ClientMetadata{}, "", bad("the body must be a JSON object")
	}
	// encoding/json matches struct fields case-insensitively; decoding into
	// a map first keeps member names exact.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &members); err != nil {
		return oauth.ClientMetadata{}, "", bad("the body is not valid JSON")
	}
	var m oauth.ClientMetadata
	var clientID string
	fields := []struct {
		name string
		dst  any
	}{
		{"client_id", &clientID},
		{"redirect_uris", &m.RedirectURIs},
		{"token_endpoint_auth_method", &m.TokenEndpointAuthMethod},
		{"grant_types", &m.GrantTypes},
		{"response_types", &m.ResponseTypes},
		{"client_name", &m.ClientName},
		{"client_uri", &m.ClientURI},
		{"logo_uri", &m.LogoURI},
		{"scope", &m.Scope},
		{"contacts", &m.Contacts},
		{"tos_uri", &m.TOSURI},
		{"policy_uri", &m.PolicyURI},
		{"software_id", &m.SoftwareID},
		{"software_version", &m.SoftwareVersion},
		{"application_type", &m.ApplicationType},
	}
	for _, f := range fields {
		raw, ok := members[f.name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return oauth.ClientMetadata{}, "", bad("member " + f.name + " has the wrong type")
		}
	}
	return m, clientID, nil
}
