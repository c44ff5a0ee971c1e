// Package component connects xmppoauth to an XMPP server as an external
// component, per XEP-0114: Jabber Component Protocol, and answers the
// stanzas the server routes to the component's domain.
//
// What it serves itself:
//   - XEP-0030 Service Discovery: disco#info (identity and features, which
//     are generated from the registered handlers) and disco#items, including
//     the XEP-0050 Ad-Hoc Commands node "http://jabber.org/protocol/commands"
//     whose items come from [Handlers.Items];
//   - XEP-0199 XMPP Ping and XEP-0092 Software Version;
//   - RFC 6121 §3 presence subscriptions, the component acting as its own
//     server: users may subscribe to the component, and it asks to see
//     theirs in return; a [Roster] keeps the subscriptions, so that the
//     component sends its presence to every subscriber, and probes the
//     users it follows, each time its stream comes up, and unavailable
//     before it closes; [Component.Availability] says whether a followed
//     user is online;
//   - RFC 6120 §8.3 stanza errors for everything it does not serve, so no
//     IQ request goes unanswered (RFC 6120 §8.2.3).
//
// What it hands on: IQ requests by payload name to an [IQHandler], and
// messages to a [MessageHandler], including XEP-0070 Verifying HTTP Requests
// via XMPP answers (see [Confirm]); [Component.SendConfirm] sends the XEP-0070
// confirmation requests. Handlers exchange raw XML.
//
// What ties it to the OAuth core:
//   - [Bridge] implements oauth.Notifier: a web sign-in or device approval
//     waiting for a user is pushed as a XEP-0070 confirm request whose body
//     also tells clients without XEP-0070 how to answer ("yes CODE") and
//     until when, marked with XEP-0334 Message Processing Hints (no-store,
//     no-permanent-store) and an XEP-0023 Message Expiration, and not sent
//     at all to a user known to be offline. It runs package adhoc's
//     XEP-0050 commands, and answers chat text, limited per user: yes/no
//     CODE, a device's code alone (shown with the RFC 8628 §5.4 warning),
//     help.
//   - [CAMHandlers] serves XEP-0494 Client Access Management (urn:xmpp:cam:0):
//     list and revoke a user's OAuth grants (auth type "grant").
//
// The stream is our own small XEP-0114 client built on the stanza package of
// gosrc.io/xmpp (stream header, handshake, stream errors, outgoing stanzas).
// We do not use gosrc.io/xmpp's Component and StreamManager because, in
// v0.5.1, they cannot be made reliable from outside: reading the server's
// stream header has no deadline, a rejected handshake leaves the socket open
// and is reported only as text, a </stream:stream> from the server blocks the
// reader forever without telling anyone, Send races with reconnection on an
// unguarded field, and the reconnect loop ignores contexts and gives up on a
// wrong secret. Incoming IQ and message payloads are kept as raw XML
// ([RawElement]) rather than decoded through gosrc.io/xmpp's global type
// registry, whose Command type keeps only one child of <command/>.
package component
