// Package oauthhttp serves the core [oauth.Provider] over HTTP: the standard
// OAuth 2.0 and OpenID Connect endpoints plus the few browser pages of the
// sign-in and device flows. It is a thin edge: each handler parses the
// request, calls the core and writes the answer, and one function (fail) maps
// core errors to HTTP statuses.
//
// Endpoints, relative to the issuer URL (which may have a path):
//
//	GET  /.well-known/oauth-authorization-server  RFC 8414 Authorization Server Metadata
//	GET  /.well-known/openid-configuration        OpenID Connect Discovery 1.0 §4
//	GET  /jwks                                    RFC 7517 JSON Web Key Set
//	POST /register                                RFC 7591 Dynamic Client Registration
//	GET|PUT|DELETE /register/:client_id           RFC 7592 Client Registration Management
//	GET|POST /authorize                           RFC 6749 §4.1.1 with RFC 7636 PKCE, OIDC Core §3.1.2
//	POST /authorize/signin                        starts a sign-in confirmed over XMPP (XEP-0070)
//	GET  /authorize/wait/:id                      waits for the answer in chat, then goes on to consent
//	GET  /authorize/wait/:id/status               whether the wait page should move on (JSON, for wait.js)
//	POST /authorize/consent                       the consent page's answer: code or access_denied (RFC 9207 iss)
//	POST /authorize/password                      optional: sign in with the XMPP password (SASL PLAIN over c2s)
//	GET|POST /signout                             ends the browser session
//	POST /token                                   RFC 6749 §3.2, RFC 8628 §3.4
//	POST /device_authorization                    RFC 8628 §3.1
//	GET|POST /device                              RFC 8628 §3.3 user interaction (verification_uri), §5.4 check
//	GET  /device/sent                             where the device approval request went
//	POST /revoke                                  RFC 7009 Token Revocation
//	POST /introspect                              RFC 7662 Token Introspection
//	GET|POST /userinfo                            OpenID Connect Core §5.3, bearer tokens per RFC 6750
//	GET  /static/:file                            style.css, theme.css (configured colours), wait.js
//
// When the issuer has a path, RFC 8414 §3.1 also places the metadata at
// /.well-known/oauth-authorization-server followed by that path.
//
// Pages are html/template files embedded in the binary; a template
// directory may replace any of them (TemplateNames). Every page is sent
// with a strict Content-Security-Policy (no inline script or style, so the
// stylesheets and the one script are files), frame denial, no referrer and
// no caching, and every form is protected against cross-site request
// forgery by a double-submit token (a random cookie echoed in a hidden
// field, compared in constant time). Redirects after a POST are 303. The
// authorization endpoint sends no CORS headers.
//
// The browser session is a cookie signed with HMAC-SHA256 (HttpOnly,
// SameSite=Lax, Secure and __Host- over https) naming the signed-in bare
// JID, so the next sign-in is one click on the consent page. The device
// page links to the component's "Approve a device" command with an xmpp:
// URI (RFC 5122; XEP-0050 §2.5, XEP-0147) and shows
// verification_uri_complete as a QR code (ISO/IEC 18004, rsc.io/qr).
//
// Limits (see [Limits]): registrations and the sign-in flow's requests are
// counted per client address (gin's client IP, which trusts X-Forwarded-For
// only from [Options.TrustedProxies]); over a limit the answer is 429 Too
// Many Requests with Retry-After (RFC 6585 §4), a JSON error on API
// endpoints and an error page on browser pages. Every body is bounded (413,
// RFC 9110 §15.5.14), and forms and queries have at most 100 parameters.
package oauthhttp
