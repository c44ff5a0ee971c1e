package adhoc

import (
	"encoding/xml"
	"fmt"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
)

// NS is the XEP-0050 namespace, also the disco node that lists the commands.
const NS = "http://jabber.org/protocol/commands"

// xmlNS is the namespace of the xml:lang attribute.
const xmlNS = "http://www.w3.org/XML/1998/namespace"

var nameCommand = xml.Name{Space: NS, Local: "command"}

// Action is the 'action' attribute of a request (XEP-0050 §4.1). A parsed
// command keeps whatever the requester sent, so that the engine can answer an
// unknown action with malformed-action.
type Action string

// Actions of XEP-0050 §4.1.
const (
	// ActionExecute starts a command or continues it with the default action.
	ActionExecute Action = "execute"
	// ActionCancel ends the session.
	ActionCancel Action = "cancel"
	// ActionPrev goes back to the previous stage.
	ActionPrev Action = "prev"
	// ActionNext goes on to the next stage.
	ActionNext Action = "next"
	// ActionComplete finishes the command.
	ActionComplete Action = "complete"
)

// valid reports whether a is one of the five actions of XEP-0050 (or absent).
func (a Action) valid() bool {
	switch a {
	case "", ActionExecute, ActionCancel, ActionPrev, ActionNext, ActionComplete:
		return true
	}
	return false
}

// Status is the 'status' attribute of a response (XEP-0050 §4.1).
type Status string

// Statuses of XEP-0050 §4.1.
const (
	StatusExecuting Status = "executing"
	StatusCompleted Status = "completed"
	StatusCanceled  Status = "canceled"
)

// NoteType is the severity of a note (XEP-0050 §4.3).
type NoteType string

// Note types of XEP-0050 §4.3.
const (
	NoteInfo  NoteType = "info"
	NoteWarn  NoteType = "warn"
	NoteError NoteType = "error"
)

// Note is a <note/>: a message for the user about the command's state.
type Note struct {
	// Type is info, warn or error; a parsed note without one is info, as
	// XEP-0050 §4.3 says.
	Type NoteType
	Text string
}

// Actions is the <actions/> element: the actions allowed at this stage
// besides cancel (always allowed), and the default one (XEP-0050 §4.2).
type Actions struct {
	// Execute is the action that "execute" stands for: the client's default
	// button.
	Execute Action
	Prev    bool
	Next    bool
	// Complete offers to finish the command now.
	Complete bool
}

// Command is the <command xmlns='http://jabber.org/protocol/commands'/>
// payload of an IQ, in both directions, with all its children. It implements
// stanza.IQPayload, so a reply can be put in stanza.IQ.Payload.
type Command struct {
	// Node identifies the command; it is always present.
	Node string
	// SessionID identifies a multi-stage execution.
	SessionID string
	// Action is what the requester asks for; empty means execute.
	Action Action
	// Status is set by the responder.
	Status Status
	// Lang is the command's xml:lang.
	Lang string
	// Actions are the actions offered (responder only); nil means none.
	Actions *Actions
	// Notes are messages for the user, in order.
	Notes []Note
	// Form is the first jabber:x:data form among the children: the form to
	// fill or the result (responder), or the submission (requester).
	Form *forms.Form
}

// Namespace returns NS; with GetSet it makes Command a stanza.IQPayload.
func (*Command) Namespace() string { return NS }

// GetSet returns nil: commands carry no XEP-0059 result set.
func (*Command) GetSet() *stanza.ResultSet { return nil }

// MarshalXML writes the command with its attributes and then <actions/>, the
// notes and the form, in that order. The element is always
// {http://jabber.org/protocol/commands}command whatever start says, because
// encoding/xml names an interface-typed field such as stanza.IQ.Payload after
// the field.
func (c Command) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: nameCommand}
	// "The 'node' attribute uniquely identifies the command. This attribute
	// MUST be present." (XEP-0050 §4.1)
	start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "node"}, Value: c.Node})
	for _, a := range [...]struct{ name, value string }{
		{"sessionid", c.SessionID}, {"action", string(c.Action)}, {"status", string(c.Status)},
	} {
		if a.value != "" {
			start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: a.name}, Value: a.value})
		}
	}
	if c.Lang != "" {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Space: xmlNS, Local: "lang"}, Value: c.Lang})
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if c.Actions != nil {
		if err := c.Actions.encode(e); err != nil {
			return err
		}
	}
	for _, n := range c.Notes {
		note := xml.StartElement{Name: xml.Name{Local: "note"}}
		if n.Type != "" {
			note.Attr = []xml.Attr{{Name: xml.Name{Local: "type"}, Value: string(n.Type)}}
		}
		if err := encodeElement(e, note, n.Text); err != nil {
			return err
		}
	}
	if c.Form != nil {
		if err := e.Encode(c.Form); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (a *Actions) encode(e *xml.Encoder) error {
	start := xml.StartElement{Name: xml.Name{Local: "actions"}}
	if a.Execute != "" {
		start.Attr = []xml.Attr{{Name: xml.Name{Local: "execute"}, Value: string(a.Execute)}}
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, c := range [...]struct {
		on   bool
		name Action
	}{{a.Prev, ActionPrev}, {a.Next, ActionNext}, {a.Complete, ActionComplete}} {
		if c.on {
			if err := encodeElement(e, xml.StartElement{Name: xml.Name{Local: string(c.name)}}, ""); err != nil {
				return err
			}
		}
	}
	return e.EncodeToken(start.End())
}

func encodeElement(e *xml.Encoder, start xml.StartElement, text string) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if text != "" {
		if err := e.EncodeToken(xml.CharData(text)); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML decodes a {http://jabber.org/protocol/commands}command element.
// Children it does not know (other payloads, such as jabber:x:oob) are
// skipped, as is every data form after the first.
func (c *Command) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if start.Name != nameCommand {
		return fmt.Errorf("adhoc: element {%s}%s is not a command", start.Name.Space, start.Name.Local)
	}
	*c = Command{}
	for _, a := range start.Attr {
		switch a.Name {
		case xml.Name{Local: "node"}:
			c.Node = a.Value
		case xml.Name{Local: "sessionid"}:
			c.SessionID = a.Value
		case xml.Name{Local: "action"}:
			c.Action = Action(a.Value)
		case xml.Name{Local: "status"}:
			c.Status = Status(a.Value)
		case xml.Name{Space: xmlNS, Local: "lang"}:
			c.Lang = a.Value
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := c.decodeChild(d, t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func (c *Command) decodeChild(d *xml.Decoder, start xml.StartElement) error {
	switch {
	case start.Name == xml.Name{Space: NS, Local: "actions"}:
		a, err := decodeActions(d, start)
		c.Actions = a
		return err
	case start.Name == xml.Name{Space: NS, Local: "note"}:
		n := Note{Type: NoteInfo}
		for _, a := range start.Attr {
			if a.Name == (xml.Name{Local: "type"}) && a.Value != "" {
				n.Type = NoteType(a.Value)
			}
		}
		text, err := forms.ReadText(d)
		n.Text = text
		c.Notes = append(c.Notes, n)
		return err
	case start.Name == xml.Name{Space: forms.NS, Local: "x"} && c.Form == nil:
		var f forms.Form
		if err := d.DecodeElement(&f, &start); err != nil {
			return err
		}
		c.Form = &f
		return nil
	default:
		return d.Skip()
	}
}

func decodeActions(d *xml.Decoder, start xml.StartElement) (*Actions, error) {
	a := &Actions{}
	for _, attr := range start.Attr {
		if attr.Name == (xml.Name{Local: "execute"}) {
			a.Execute = Action(attr.Value)
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return a, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == NS {
				switch Action(t.Name.Local) {
				case ActionPrev:
					a.Prev = true
				case ActionNext:
					a.Next = true
				case ActionComplete:
					a.Complete = true
				}
			}
			if err := d.Skip(); err != nil {
				return a, err
			}
		case xml.EndElement:
			return a, nil
		}
	}
}
