package adhoc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
)

// Registry is the part of gosrc.io/xmpp's payload registry that
// [RegisterPayload] uses; stanza.TypeRegistry implements it.
type Registry interface {
	MapExtension(pktType stanza.PacketType, name xml.Name, extension stanza.MsgExtension)
}

// RegisterPayload makes r decode <command xmlns='http://jabber.org/protocol/commands'/>
// IQ payloads into *[Command]. gosrc.io/xmpp registers its own
// stanza.Command for that name, which keeps only the last child (so a command
// with actions, notes and a form loses all but one), so the transport calls
//
//	adhoc.RegisterPayload(stanza.TypeRegistry)
//
// once at start-up, before the connection is opened. After that,
// stanza.IQ.Payload of an incoming command is a *Command.
func RegisterPayload(r Registry) {
	r.MapExtension(stanza.PKTIQ, nameCommand, Command{})
}

// ParseCommand decodes a command from the XML of its <command/> element
// (leading whitespace, comments and an XML declaration are allowed).
func ParseCommand(raw []byte) (*Command, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("adhoc: parse command: no element")
			}
			return nil, fmt.Errorf("adhoc: parse command: %w", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			return DecodeCommand(d, start)
		}
	}
}

// DecodeCommand decodes the command whose start element has just been read
// from d.
func DecodeCommand(d *xml.Decoder, start xml.StartElement) (*Command, error) {
	var c Command
	if err := d.DecodeElement(&c, &start); err != nil {
		return nil, fmt.Errorf("adhoc: decode command: %w", err)
	}
	return &c, nil
}

// CommandFromNode turns a generic payload, as gosrc.io/xmpp leaves an IQ
// payload it has no type for in stanza.IQ.Any, into a Command, by writing the
// node back to XML and decoding that.
func CommandFromNode(n *stanza.Node) (*Command, error) {
	if n == nil {
		return nil, errors.New("adhoc: command from node: nil node")
	}
	if n.XMLName != nameCommand {
		return nil, fmt.Errorf("adhoc: command from node: element {%s}%s is not a command", n.XMLName.Space, n.XMLName.Local)
	}
	raw, err := xml.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("adhoc: command from node: marshal: %w", err)
	}
	return ParseCommand(raw)
}

// FromIQ returns the command an IQ carries, however gosrc.io/xmpp decoded it:
//
//   - a *Command in Payload, once [RegisterPayload] has been called;
//   - a generic node in Any, if nothing is registered for the name;
//   - gosrc.io/xmpp's own *stanza.Command in Payload otherwise. That type
//     keeps only the command's last child, which is enough for a request
//     (requesters send at most a data form) but not in general; it is
//     converted field by field.
//
// The error says the IQ carries no command.
func FromIQ(iq *stanza.IQ) (*Command, error) {
	if iq == nil {
		return nil, errors.New("adhoc: command from IQ: nil IQ")
	}
	switch p := iq.Payload.(type) {
	case *Command:
		return p, nil
	case *stanza.Command:
		return fromStanzaCommand(p), nil
	}
	if iq.Any != nil && iq.Any.XMLName == nameCommand {
		return CommandFromNode(iq.Any)
	}
	return nil, errors.New("adhoc: command from IQ: the IQ carries no command")
}

// fromStanzaCommand converts gosrc.io/xmpp's partial decoding of a command.
func fromStanzaCommand(sc *stanza.Command) *Command {
	c := &Command{
		Node:      sc.Node,
		SessionID: sc.SessionId,
		Action:    Action(sc.Action),
		Status:    Status(sc.Status),
		Lang:      sc.Lang,
	}
	switch el := sc.CommandElement.(type) {
	case *stanza.Form:
		c.Form = fromStanzaForm(el)
	case *stanza.Node:
		// Children stanza.Command does not map (actions and notes included)
		// arrive as generic nodes.
		if el.XMLName.Space == forms.NS && el.XMLName.Local == "x" {
			if raw, err := xml.Marshal(el); err == nil {
				if f, err := forms.Parse(raw); err == nil {
					c.Form = f
				}
			}
		}
	}
	return c
}

// fromStanzaForm converts gosrc.io/xmpp's data form type.
func fromStanzaForm(sf *stanza.Form) *forms.Form {
	f := &forms.Form{
		Type:         forms.Type(sf.Type),
		Title:        sf.Title,
		Instructions: sf.Instructions,
	}
	for _, fld := range sf.Fields {
		if fld != nil {
			f.Fields = append(f.Fields, fromStanzaField(*fld))
		}
	}
	if sf.Reported != nil {
		f.Reported = []forms.Field{}
		for _, fld := range sf.Reported.Fields {
			f.Reported = append(f.Reported, fromStanzaField(fld))
		}
	}
	for _, it := range sf.Items {
		var row []forms.Field
		for _, fld := range it.Fields {
			row = append(row, fromStanzaField(fld))
		}
		f.Items = append(f.Items, row)
	}
	return f
}

func fromStanzaField(sf stanza.Field) forms.Field {
	f := forms.Field{
		Var:      sf.Var,
		Type:     forms.FieldType(sf.Type),
		Label:    sf.Label,
		Desc:     sf.Description,
		Required: sf.Required != nil,
		Values:   sf.ValuesList,
	}
	for _, o := range sf.Options {
		opt := forms.Option{Label: o.Label}
		if len(o.ValuesList) > 0 {
			opt.Value = o.ValuesList[0]
		}
		f.Options = append(f.Options, opt)
	}
	return f
}
