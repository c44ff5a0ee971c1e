// Package e2e holds the end-to-end tests of the HTTP side: the real
// provider on the Badger store, served by package oauthhttp on loopback,
// driven by the clients our users use: golang.org/x/oauth2 (RFC 6749
// authorization code with RFC 7636 PKCE, RFC 8628 device flow, refresh)
// and github.com/coreos/go-oidc (OpenID Connect Discovery 1.0, ID token
// verification against the JWKS, UserInfo). Registration goes over HTTP
// (RFC 7591); revocation (RFC 7009) and introspection (RFC 7662) are
// checked with plain requests.
//
// The files tagged integration run the whole service against real XMPP
// servers, with the component attached over XEP-0114 and users logged in
// with a real XMPP client (gosrc.io/xmpp) who approve in chat: XEP-0050
// commands, XEP-0070 confirmations and chat replies. The same chat tests
// run against Debian's Prosody (internal/prosodytest) and ejabberd
// (internal/ejabberdtest). Against ejabberd, an app's token from a device
// flow approved in chat logs in to the user's account with SASL X-OAUTH2
// through ejabberd's REST token backend (oauth_db_type: rest) and calls
// mod_http_api as a Bearer token, until the user revokes the app in chat.
// Against Prosody 0.12 and 13 (the latter chrooted into a Debian trixie
// root), the same token logs in with SASL OAUTHBEARER (RFC 7628) through
// contrib/prosody's mod_xmppoauth, beside the users' passwords.
//
// The package has no code of its own; everything is in the tests.
package e2e
