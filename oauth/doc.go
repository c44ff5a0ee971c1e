// Package oauth is the core of xmppoauth: an OAuth 2.0 authorization server and
// OpenID Connect provider whose users are XMPP addresses (bare JIDs).
//
// It knows neither HTTP nor XMPP: package oauthhttp serves it over HTTP and
// packages component and adhoc serve it over XMPP. Persistence is behind the
// [Store] interface declared here; package store implements it on Badger, and
// package storetest holds the conformance suite every backend must pass.
//
// Specifications implemented:
//   - RFC 6749 OAuth 2.0 (authorization_code, refresh_token, client_credentials)
//   - RFC 7636 PKCE (S256 only, required for every authorization request)
//   - RFC 8628 Device Authorization Grant
//   - RFC 7591 / RFC 7592 Dynamic Client Registration and Management
//   - RFC 7009 Token Revocation, RFC 7662 Token Introspection
//   - RFC 8414 Authorization Server Metadata, RFC 9207 "iss" in responses
//   - RFC 9068 JWT access tokens, RFC 7517 JWKS
//   - RFC 9700 OAuth 2.0 Security Best Current Practice (single-use codes with
//     replay revocation, refresh token rotation with reuse detection)
//   - RFC 8252 native apps (loopback redirects with any port, private-use schemes)
//   - OpenID Connect Core 1.0 (ID tokens, UserInfo) and Discovery 1.0
//   - XEP-0493 OAuth Client Login scopes (xmpp:client:normal, xmpp:account:read,
//     xmpp:account:write, and "xmpp" as the full-access alias)
package oauth
