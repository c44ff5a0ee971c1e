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
//	GET  /authorize/wait/:id                      waits for it, then redirects with the code (RFC 9207 iss)
//	POST /token                                   RFC 6749 §3.2, RFC 8628 §3.4
//	POST /device_authorization                    RFC 8628 §3.1
//	GET|POST /device                              RFC 8628 §3.3 user interaction (verification_uri)
//	POST /revoke                                  RFC 7009 Token Revocation
//	POST /introspect                              RFC 7662 Token Introspection
//	GET|POST /userinfo                            OpenID Connect Core §5.3, bearer tokens per RFC 6750
//	GET  /static/style.css                        the pages' stylesheet (the CSP forbids inline styles)
//
// When the issuer has a path, RFC 8414 §3.1 also places the metadata at
// /.well-known/oauth-authorization-server followed by that path.
//
// Pages are html/template files embedded in the binary. Every page is sent
// with a strict Content-Security-Policy and frame denial, and every form is
// protected against cross-site request forgery by a double-submit token
// (a random cookie echoed in a hidden field, compared in constant time).
package oauthhttp
