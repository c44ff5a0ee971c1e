package adhoc

import (
	"encoding/xml"
	"fmt"

	"gosrc.io/xmpp/stanza"
)

// nsStanzas is the namespace of the defined conditions of RFC 6120 §8.3.3.
const nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

// Defined conditions of RFC 6120 §8.3.3 that the engine uses.
const (
	ConditionBadRequest          = "bad-request"
	ConditionForbidden           = "forbidden"
	ConditionInternalServerError = "internal-server-error"
	ConditionItemNotFound        = "item-not-found"
	ConditionNotAllowed          = "not-allowed"
	ConditionResourceConstraint  = "resource-constraint"
	ConditionUnexpectedRequest   = "unexpected-request"
)

// Specific conditions of XEP-0050 §4.4, in the commands namespace.
const (
	// SpecificBadAction: the action is not allowed at this stage.
	SpecificBadAction = "bad-action"
	// SpecificBadLocale: the xml:lang cannot be served.
	SpecificBadLocale = "bad-locale"
	// SpecificBadPayload: the payload (e.g. the data form) is not acceptable.
	SpecificBadPayload = "bad-payload"
	// SpecificBadSessionID: the session id is unknown (or not the
	// requester's).
	SpecificBadSessionID = "bad-sessionid"
	// SpecificMalformedAction: the action is not one XEP-0050 defines.
	SpecificMalformedAction = "malformed-action"
	// SpecificSessionExpired: the session has completed, been canceled or
	// timed out.
	SpecificSessionExpired = "session-expired"
)

// legacyCodes are the XEP-0086 error codes of the defined conditions.
// gosrc.io/xmpp's stanza.Err writes nothing at all when its Code is zero.
var legacyCodes = map[string]int{
	ConditionBadRequest:          400,
	ConditionForbidden:           403,
	ConditionItemNotFound:        404,
	ConditionNotAllowed:          405,
	ConditionInternalServerError: 500,
	ConditionResourceConstraint:  500,
	ConditionUnexpectedRequest:   400,
}

// StanzaError is a command failure the transport must send as an IQ error
// (XEP-0050 §4.4): an error type, a defined condition of RFC 6120, an
// optional XEP-0050 specific condition and an optional text for the user.
type StanzaError struct {
	Type      stanza.ErrorType
	Condition string
	Specific  string
	Text      string
}

// Error describes the failure.
func (e *StanzaError) Error() string {
	s := "adhoc: " + e.Condition
	if e.Specific != "" {
		s += " (" + e.Specific + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Node returns the complete <error/> element, specific condition included,
// as a generic node. gosrc.io/xmpp's stanza.Err has no place for the
// XEP-0050 specific condition, so a transport that wants it puts this node in
// stanza.IQ.Any (leaving stanza.IQ.Error nil) of an IQ of type error.
func (e *StanzaError) Node() *stanza.Node {
	n := &stanza.Node{
		XMLName: xml.Name{Local: "error"},
		Attrs:   []xml.Attr{{Name: xml.Name{Local: "type"}, Value: string(e.Type)}},
		Nodes:   []stanza.Node{{XMLName: xml.Name{Space: nsStanzas, Local: e.Condition}}},
	}
	if code, ok := legacyCodes[e.Condition]; ok {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: "code"}, Value: fmt.Sprint(code)})
	}
	if e.Specific != "" {
		n.Nodes = append(n.Nodes, stanza.Node{XMLName: xml.Name{Space: NS, Local: e.Specific}})
	}
	if e.Text != "" {
		n.Nodes = append(n.Nodes, stanza.Node{XMLName: xml.Name{Space: nsStanzas, Local: "text"}, Content: e.Text})
	}
	return n
}

// Err returns the error as gosrc.io/xmpp's stanza.Err, for stanza.IQ.Error.
// That type cannot carry the specific condition, which is lost; see
// [StanzaError.Node] to keep it.
func (e *StanzaError) Err() stanza.Err {
	code, ok := legacyCodes[e.Condition]
	if !ok {
		code = 500
	}
	return stanza.Err{
		XMLName: xml.Name{Local: "error"},
		Code:    code,
		Type:    e.Type,
		Reason:  e.Condition,
		Text:    e.Text,
	}
}

// errBadRequest builds a modify/bad-request error with a specific condition.
func errBadRequest(specific, text string) *StanzaError {
	return &StanzaError{Type: stanza.ErrorTypeModify, Condition: ConditionBadRequest, Specific: specific, Text: text}
}

// RetryError asks the engine to show the current stage's form again with Text
// as an error note, keeping the session: a stage returns it (see [Retry])
// when a submission is well-formed but cannot be accepted, such as a code
// that has expired. Returned by a command's first stage, which has no form to
// show again, it completes the command with Text as its error note.
type RetryError struct {
	Text string
}

// Error returns the text.
func (e *RetryError) Error() string { return "adhoc: retry: " + e.Text }

// Retry returns a *[RetryError] with text for the user.
func Retry(text string) error { return &RetryError{Text: text} }
