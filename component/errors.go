package component

import (
	"encoding/xml"
	"errors"
	"strings"
)

// Sentinel errors. Test with errors.Is.
var (
	// ErrNotConnected is returned by the Send methods while the component has
	// no established stream.
	ErrNotConnected = errors.New("component: not connected")
	// ErrNotAuthorized matches a *StreamError with the not-authorized
	// condition: the server rejected the handshake (XEP-0114 §3), which
	// means the secret (or the domain) does not match its configuration.
	ErrNotAuthorized = errors.New("component: handshake not authorized")
)

// Condition is a defined stanza error condition of RFC 6120 §8.3.3.
type Condition string

// Stanza error conditions (RFC 6120 §8.3.3) used by this project.
const (
	BadRequest            Condition = "bad-request"
	Conflict              Condition = "conflict"
	FeatureNotImplemented Condition = "feature-not-implemented"
	Forbidden             Condition = "forbidden"
	InternalServerError   Condition = "internal-server-error"
	ItemNotFound          Condition = "item-not-found"
	JIDMalformed          Condition = "jid-malformed"
	NotAcceptable         Condition = "not-acceptable"
	NotAllowed            Condition = "not-allowed"
	NotAuthorized         Condition = "not-authorized"
	PolicyViolation       Condition = "policy-violation"
	ResourceConstraint    Condition = "resource-constraint"
	ServiceUnavailable    Condition = "service-unavailable"
	UndefinedCondition    Condition = "undefined-condition"
	UnexpectedRequest     Condition = "unexpected-request"
)

// Stanza error types (RFC 6120 §8.3.2).
const (
	ErrorTypeAuth     = "auth"
	ErrorTypeCancel   = "cancel"
	ErrorTypeContinue = "continue"
	ErrorTypeModify   = "modify"
	ErrorTypeWait     = "wait"
)

// defaultErrorType is the type RFC 6120 §8.3.3 gives in its examples for
// each condition.
var defaultErrorType = map[Condition]string{
	BadRequest:            ErrorTypeModify,
	Conflict:              ErrorTypeCancel,
	FeatureNotImplemented: ErrorTypeCancel,
	Forbidden:             ErrorTypeAuth,
	InternalServerError:   ErrorTypeCancel,
	ItemNotFound:          ErrorTypeCancel,
	JIDMalformed:          ErrorTypeModify,
	NotAcceptable:         ErrorTypeModify,
	NotAllowed:            ErrorTypeCancel,
	NotAuthorized:         ErrorTypeAuth,
	PolicyViolation:       ErrorTypeModify,
	ResourceConstraint:    ErrorTypeWait,
	ServiceUnavailable:    ErrorTypeCancel,
	UndefinedCondition:    ErrorTypeCancel,
	UnexpectedRequest:     ErrorTypeModify,
}

// StanzaError is an XMPP stanza error (RFC 6120 §8.3). Handlers return it
// (possibly wrapped) to have it sent to the requester; any other error is
// logged and sent as internal-server-error, so internal text never leaves
// the process.
type StanzaError struct {
	// Type is one of the ErrorType… constants; empty means the usual type
	// for Condition.
	Type string
	// Condition is the defined condition.
	Condition Condition
	// Text is an optional human-readable description for the requester.
	Text string
	// Specific is an optional application-specific condition element
	// (RFC 6120 §8.3.4), for example
	// {Space: "http://jabber.org/protocol/commands", Local: "bad-sessionid"}
	// for XEP-0050 §4.6. The zero Name means none.
	Specific xml.Name
}

// NewStanzaError returns a *StanzaError with the usual type for condition.
func NewStanzaError(condition Condition, text string) *StanzaError {
	return &StanzaError{Condition: condition, Text: text}
}

// Error describes the error for logs; what is sent is the XML form.
func (e *StanzaError) Error() string {
	s := "stanza error: " + string(e.Condition)
	if e.Specific.Local != "" {
		s += " (" + e.Specific.Local + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// errorType returns Type, or the default for Condition.
func (e *StanzaError) errorType() string {
	if e.Type != "" {
		return e.Type
	}
	if t, ok := defaultErrorType[e.Condition]; ok {
		return t
	}
	return ErrorTypeCancel
}

// appendXML appends the <error/> element of RFC 6120 §8.3.2.
func (e *StanzaError) appendXML(b []byte) []byte {
	cond := e.Condition
	if cond == "" {
		cond = UndefinedCondition
	}
	b = append(b, "<error type='"...)
	b = appendEscaped(b, e.errorType())
	b = append(b, "'><"...)
	b = appendEscaped(b, string(cond))
	b = append(b, " xmlns='"+nsStanzas+"'/>"...)
	if e.Text != "" {
		b = append(b, "<text xmlns='"+nsStanzas+"'>"...)
		b = appendEscaped(b, e.Text)
		b = append(b, "</text>"...)
	}
	if e.Specific.Local != "" {
		b = append(b, '<')
		b = appendEscaped(b, e.Specific.Local)
		if e.Specific.Space != "" {
			b = append(b, " xmlns='"...)
			b = appendEscaped(b, e.Specific.Space)
			b = append(b, '\'')
		}
		b = append(b, "/>"...)
	}
	return append(b, "</error>"...)
}

// parseStanzaError reads an <error/> element as found in a stanza of type
// "error".
func parseStanzaError(raw RawElement) *StanzaError {
	e := &StanzaError{}
	d := xml.NewDecoder(strings.NewReader(string(raw.XML)))
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				for _, a := range t.Attr {
					if a.Name.Local == "type" && a.Name.Space == "" {
						e.Type = a.Value
					}
				}
			case depth == 2 && t.Name.Space == nsStanzas && t.Name.Local == "text":
				var text string
				if d.DecodeElement(&text, &t) == nil {
					e.Text = text
				}
				depth--
			case depth == 2 && t.Name.Space == nsStanzas:
				e.Condition = Condition(t.Name.Local)
			case depth == 2:
				e.Specific = t.Name
			}
		case xml.EndElement:
			depth--
		}
	}
	return e
}

// asStanzaError reports whether err is or wraps a *StanzaError.
func asStanzaError(err error) (*StanzaError, bool) {
	var se *StanzaError
	if errors.As(err, &se) {
		return se, true
	}
	return nil, false
}

// StreamError is a stream-level error sent by the server (RFC 6120 §4.9),
// after which the stream is closed. Run reports one received during the
// handshake; errors.Is(err, ErrNotAuthorized) tells a wrong secret apart.
type StreamError struct {
	// Condition is the defined condition, e.g. "not-authorized",
	// "host-unknown" or "conflict".
	Condition string
	// Text is the server's description, if any.
	Text string
}

// Error describes the stream error.
func (e *StreamError) Error() string {
	s := "stream error: " + e.Condition
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is makes errors.Is(err, ErrNotAuthorized) true for a not-authorized stream
// error.
func (e *StreamError) Is(target error) bool {
	return target == ErrNotAuthorized && e.Condition == "not-authorized"
}
