package oauthhttp

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// metadata is the Authorization Server Metadata of RFC 8414 §2, which is
// also the OpenID Provider Metadata of OIDC Discovery §3 (RFC 8414 was
// written so that the two coincide).
type metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	UserInfoEndpoint                           string   `json:"userinfo_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	DeviceAuthorizationEndpoint                string   `json:"device_authorization_endpoint,omitempty"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseISSParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	OpPolicyURI                                string   `json:"op_policy_uri,omitempty"`
	OpTOSURI                                   string   `json:"op_tos_uri,omitempty"`
}

// handleMetadata serves RFC 8414 §3 and OIDC Discovery §4 (one document).
func (h *Handler) handleMetadata(c *gin.Context) {
	scopes := h.p.Scopes()
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = s.Name
	}
	clientAuth := []string{oauth.AuthNone, oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost}
	m := metadata{
		Issuer:                            h.issuer,
		TokenEndpoint:                     h.url("/token"),
		JWKSURI:                           h.url("/jwks"),
		UserInfoEndpoint:                  h.url("/userinfo"),
		RegistrationEndpoint:              h.url("/register"),
		RevocationEndpoint:                h.url("/revoke"),
		IntrospectionEndpoint:             h.url("/introspect"),
		ScopesSupported:                   names,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               h.p.GrantTypes(),
		TokenEndpointAuthMethodsSupported: clientAuth,
		// Public clients revoke their own tokens with client_id alone
		// (RFC 7009 §2.1); introspection needs a confidential caller.
		RevocationEndpointAuthMethodsSupported:     clientAuth,
		IntrospectionEndpointAuthMethodsSupported:  []string{oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost},
		CodeChallengeMethodsSupported:              []string{"S256"},
		AuthorizationResponseISSParameterSupported: true, // RFC 9207 §3
		SubjectTypesSupported:                      []string{"public"},
		IDTokenSigningAlgValuesSupported:           h.p.SigningAlgs(),
		ClaimsSupported: []string{
			"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp",
			"jid", "preferred_username", "name",
		},
		// What the person registering a client reads about this service's
		// terms and about how clients may use the data it provides
		// (RFC 8414 §2, OIDC Discovery §3); left out when not configured.
		OpPolicyURI: h.policy,
		OpTOSURI:    h.tos,
	}
	if h.grantEnabled(oauth.GrantAuthorizationCode) {
		m.AuthorizationEndpoint = h.url("/authorize")
	} else {
		m.ResponseTypesSupported = []string{}
	}
	if h.grantEnabled(oauth.GrantDeviceCode) {
		m.DeviceAuthorizationEndpoint = h.url("/device_authorization")
	}
	// Short, so key rotation and configuration changes show up soon.
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, m)
}

// handleJWKS serves the JSON Web Key Set (RFC 7517 §5) named by jwks_uri.
// New keys are published KeyPublishDelay before they sign, which is far
// longer than this cache lifetime.
func (h *Handler) handleJWKS(c *gin.Context) {
	set, err := h.p.JWKS(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, set)
}
