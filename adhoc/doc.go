// Package adhoc implements XEP-0050: Ad-Hoc Commands, server side: the
// <command/> payload with all its children (actions, notes, a XEP-0004 data
// form from package forms), and an [Engine] that runs multi-stage commands.
//
// A command is a [Definition]: a node, the name users see in their client's
// command menu, and a first stage. Each stage is a [StageFunc] that returns a
// [Response]: the form or result to show, notes, the actions allowed next
// (next, prev, complete) and the stage that handles the submission. The
// engine does what every command needs, so that no command can forget it:
//
//   - sessions with random ids, bound to the requester's full JID, expiring
//     after a period of inactivity, bounded per bare JID and in total;
//   - the XEP-0050 §3.4 action rules, read loosely as §3.4 allows:
//     "execute" resolves to the default of the last <actions/> (which every
//     stage sets), a forward action that is not offered (next where only
//     complete is, or complete where only next is) is the stage's forward
//     action, prev where it is not offered is refused (bad-action),
//     unknown actions are malformed-action, cancel ends the session, and
//     prev returns to the previous stage with the data it had;
//   - validation of a submitted form against the form that was sent
//     ([forms.Validate]); a failed submission gets the same form back with
//     error notes rather than an error stanza;
//   - admin-only commands, refused (forbidden) and hidden from disco#items
//     for everyone else;
//   - the error conditions of XEP-0050 §4.4 as a [StanzaError].
//
// It also makes forms that clients which draw little still show whole: every
// fixed field gets a var of its own (clients that key fields by var show
// only the last of those without), and the notes of a stage that goes on
// are repeated as its form's first fields (poezio and profanity show no
// notes then). A command may answer to aliases of its node.
//
// [Engine.Items] and [Engine.Info] answer XEP-0030 disco#items on the node
// "http://jabber.org/protocol/commands" and disco#info on a command node, from
// the registered definitions only.
//
// The package does not touch the XMPP stream. A transport (package component,
// on gosrc.io/xmpp) calls [RegisterPayload] once, turns each incoming IQ into
// a [Command] with [FromIQ], calls [Engine.Handle], and sends the returned
// *Command as the IQ result payload or the *StanzaError as the IQ error.
package adhoc
