package adhoc_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
)

// greet is a two-stage command: ask for a name, then greet.
func greet() adhoc.Definition {
	return adhoc.Definition{
		Node: "greet",
		Name: "Greet me",
		Start: func(ctx context.Context, req *adhoc.Request) (adhoc.Response, error) {
			return adhoc.Response{
				Form: forms.New(forms.Title("Who are you?"),
					forms.TextSingle("name", forms.Label("Name"), forms.Required())),
				Then: func(ctx context.Context, req *adhoc.Request) (adhoc.Response, error) {
					name, _ := req.Form.String("name")
					return adhoc.Response{Notes: []adhoc.Note{{Type: adhoc.NoteInfo, Text: "Hello, " + name + "!"}}}, nil
				},
			}, nil
		},
	}
}

// handleIQ is what a transport does with an IQ set carrying a command: the
// reply IQ carries the engine's *Command, or its *StanzaError.
func handleIQ(ctx context.Context, e *adhoc.Engine, raw string) string {
	var iq stanza.IQ
	if err := xml.Unmarshal([]byte(raw), &iq); err != nil {
		return err.Error()
	}
	cmd, err := adhoc.FromIQ(&iq)
	if err != nil {
		return err.Error()
	}
	reply, _ := stanza.NewIQ(stanza.Attrs{Type: stanza.IQTypeResult, Id: iq.Id, From: iq.To, To: iq.From})
	res, err := e.Handle(ctx, iq.From, iq.To, cmd, false)
	if se, ok := errors.AsType[*adhoc.StanzaError](err); ok {
		reply.Type = stanza.IQTypeError
		reply.Any = se.Node()
	} else {
		res.SessionID = "SID" // random; fixed here for the example's output
		reply.Payload = res
	}
	out, err := xml.Marshal(reply)
	if err != nil {
		return err.Error()
	}
	return string(out)
}

// Example runs the first stage of a command from the IQ a client sends to
// the completed reply, as the component does.
func Example() {
	adhoc.RegisterPayload(stanza.TypeRegistry) // once, at start-up
	e := adhoc.New(adhoc.Options{}, greet())
	ctx := context.Background()

	fmt.Println(handleIQ(ctx, e, `<iq type='set' id='exec1' from='alice@example.org/phone' to='oauth.example.org'>
		<command xmlns='http://jabber.org/protocol/commands' node='greet' action='execute'/></iq>`))
	fmt.Println(handleIQ(ctx, e, `<iq type='set' id='exec2' from='alice@example.org/phone' to='oauth.example.org'>
		<command xmlns='http://jabber.org/protocol/commands' node='nope'/></iq>`))
	// Output:
	// <iq type="result" id="exec1" from="oauth.example.org" to="alice@example.org/phone"><command xmlns="http://jabber.org/protocol/commands" node="greet" sessionid="SID" status="executing"><actions execute="complete"><complete></complete></actions><x xmlns="jabber:x:data" type="form"><title>Who are you?</title><field var="name" type="text-single" label="Name"><required></required></field></x></command></iq>
	// <iq type="error" id="exec2" from="oauth.example.org" to="alice@example.org/phone"><error type="cancel" code="404"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"></item-not-found></error></iq>
}
