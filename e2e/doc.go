// Package e2e holds the end-to-end tests of the HTTP side: the real
// provider on the Badger store, served by package oauthhttp on loopback,
// driven by the clients our users use: golang.org/x/oauth2 (RFC 6749
// authorization code with RFC 7636 PKCE, RFC 8628 device flow, refresh)
// and github.com/coreos/go-oidc (OpenID Connect Discovery 1.0, ID token
// verification against the JWKS, UserInfo). Registration goes over HTTP
// (RFC 7591); revocation (RFC 7009) and introspection (RFC 7662) are
// checked with plain requests.
//
// The package has no code of its own; everything is in the tests.
package e2e
