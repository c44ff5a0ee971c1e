// Package forms implements XEP-0004: Data Forms, the "jabber:x:data" element
// that ad-hoc commands (XEP-0050, package adhoc) use to ask a user for input
// and to show results, together with XEP-0068: Field Standardization for Data
// Forms (the hidden FORM_TYPE field).
//
// A form is built with functional options:
//
//	f := forms.New(
//		forms.FormType("urn:example:device"),
//		forms.Title("Approve a device"),
//		forms.TextSingle("user_code", forms.Label("Code"), forms.Required()),
//		forms.Boolean("remember", forms.Label("Remember this device")),
//	)
//
// marshalled with encoding/xml (a [Form] is an [xml.Marshaler] and
// [xml.Unmarshaler], or use [Parse]), checked against what was sent with
// [Validate], and read with the typed getters [Form.String], [Form.Strings],
// [Form.Bool] and [Form.JID].
//
// JID syntax is checked by [ParseJID], which applies the structural rules of
// RFC 7622 (part lengths, empty parts, characters forbidden in the localpart)
// without the PRECIS profiles' case mapping and normalization.
//
// The package knows nothing of XMPP streams or of OAuth.
package forms
