package adhoc

import (
	"encoding/xml"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseCommand checks that ParseCommand never panics, that whatever it
// accepts marshals back to XML that parses to the same command, and that the
// engine answers any parsed command with a reply or a *StanzaError.
func FuzzParseCommand(f *testing.F) {
	seeds := []string{
		fullCommandXML,
		`<command xmlns='http://jabber.org/protocol/commands' node='wizard' action='execute'/>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='wizard' sessionid='0123456789abcdef0123456789abcdef' action='next'><x xmlns='jabber:x:data' type='submit'><field var='name'><value>Ann</value></field></x></command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='config' status='completed'><note>Done</note><note type='error'>x</note></command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n' action='jump'><actions execute='prev'><prev/><next/><complete/></actions></command>`,
		`<c:command xmlns:c='http://jabber.org/protocol/commands' node='n' xml:lang='en'><c:note type='warn'>w</c:note><x xmlns='jabber:x:oob'/></c:command>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='hello'><x xmlns='jabber:x:data' type='cancel'/><x xmlns='jabber:x:data' type='submit'/></command>`,
		`<command xmlns='urn:other' node='n'/>`,
		`<command xmlns='http://jabber.org/protocol/commands' node='n'><note>`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	clk := newClock()
	e := New(Options{Now: clk.Now}, wizard(&recorder{}), hello(), adminCmd(), failingStart())
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := ParseCommand(data)
		if err != nil {
			return
		}
		out, err := xml.Marshal(cmd)
		if err != nil {
			t.Fatalf("Marshal(ParseCommand(%q)) error = %v", data, err)
		}
		back, err := ParseCommand(out)
		if err != nil {
			t.Fatalf("ParseCommand(%q) (re-marshalled from %q) error = %v", out, data, err)
		}
		if !reflect.DeepEqual(back, cmd) {
			t.Fatalf("round trip changed the command:\ninput %q\nfirst  %#v\nsecond %#v", data, cmd, back)
		}

		reply, err := e.Handle(t.Context(), alice, service, cmd, true)
		if err != nil {
			if _, ok := errors.AsType[*StanzaError](err); !ok {
				t.Fatalf("Handle() error = %v, want a *StanzaError", err)
			}
			return
		}
		if _, err := xml.Marshal(reply); err != nil {
			t.Fatalf("Marshal(reply) error = %v", err)
		}
	})
}
