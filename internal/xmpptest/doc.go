// Package xmpptest is the client side of an XMPP login for integration
// tests, written out on the wire so that tests see exactly what a server
// offers and answers: it opens an unencrypted client stream (RFC 6120 §4),
// reads the SASL mechanisms offered (§6.4.1), runs one SASL exchange
// (§6.4.2 to §6.4.6, challenges included), restarts the stream and binds a
// resource (§7).
//
// The mechanisms are SASL PLAIN (RFC 4616), SCRAM-SHA-1 (RFC 5802),
// ejabberd's X-OAUTH2 and OAUTHBEARER (RFC 7628, as XEP-0493 uses it for
// XMPP). OAUTHBEARER is here because no client library the project uses
// speaks it: gosrc.io/xmpp v0.5.1 offers PLAIN and X-OAUTH2, and neither
// slixmpp 1.8 (Debian 12) nor mellium.im/sasl v0.3.2 or
// github.com/xmppo/go-xmpp v0.4.1 has it.
//
// Streams are plain TCP: the test servers (internal/prosodytest and
// internal/ejabberdtest) listen on loopback without TLS. Real clients must
// use TLS, which a token and a password both need.
package xmpptest
