package component

import "encoding/xml"

// Confirm is the <confirm/> element of XEP-0070: Verifying HTTP Requests via
// XMPP. The component sends it in a message to ask a user to confirm a
// request ([Component.SendConfirm]); the user's client echoes it back in a
// normal message to accept, or in an error message with not-authorized to
// deny (XEP-0070 §4.2), which a [MessageHandler] sees as [Message.Confirm].
type Confirm struct {
	XMLName xml.Name `xml:"http://jabber.org/protocol/http-auth confirm"`
	// ID is the transaction identifier the user was shown.
	ID string `xml:"id,attr"`
	// Method is the HTTP method of the request being confirmed.
	Method string `xml:"method,attr"`
	// URL is the URL of the request being confirmed.
	URL string `xml:"url,attr"`
}
