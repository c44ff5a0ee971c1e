package adhoc

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
)

// fullCommand has every child gosrc.io/xmpp's own type loses: actions, two
// notes and a form.
func fullCommand() *Command {
	return &Command{
		Node:      "approve",
		SessionID: "abc123",
		Status:    StatusExecuting,
		Lang:      "en",
		Actions:   &Actions{Execute: ActionComplete, Prev: true, Complete: true},
		Notes: []Note{
			{Type: NoteWarn, Text: "This code expires in 2 minutes."},
			{Type: NoteError, Text: `"Code" is required.`},
		},
		Form: forms.New(
			forms.FormType("urn:example"),
			forms.Title("Approve"),
			forms.TextSingle("user_code", forms.Label("Code"), forms.Required()),
		),
	}
}

const fullCommandXML = `<command xmlns="http://jabber.org/protocol/commands" node="approve" sessionid="abc123" status="executing" xml:lang="en">` +
	`<actions execute="complete"><prev></prev><complete></complete></actions>` +
	`<note type="warn">This code expires in 2 minutes.</note>` +
	`<note type="error">&#34;Code&#34; is required.</note>` +
	`<x xmlns="jabber:x:data" type="form"><title>Approve</title>` +
	`<field var="FORM_TYPE" type="hidden"><value>urn:example</value></field>` +
	`<field var="user_code" type="text-single" label="Code"><required></required></field></x>` +
	`</command>`

func TestCommandMarshal(t *testing.T) {
	tests := []struct {
		name string
		cmd  *Command
		want string
	}{
		{"actions, two notes and a form", fullCommand(), fullCommandXML},
		{
			name: "request with action",
			cmd:  &Command{Node: "n", SessionID: "s", Action: ActionNext},
			want: `<command xmlns="http://jabber.org/protocol/commands" node="n" sessionid="s" action="next"></command>`,
		},
		{
			name: "node is always written",
			cmd:  &Command{},
			want: `<command xmlns="http://jabber.org/protocol/commands" node=""></command>`,
		},
		{
			name: "all actions, none default",
			cmd:  &Command{Node: "n", Actions: &Actions{Prev: true, Next: true, Complete: true}},
			want: `<command xmlns="http://jabber.org/protocol/commands" node="n"><actions><prev></prev><next></next><complete></complete></actions></command>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := xml.Marshal(tt.cmd)
			if err != nil {
				t.Fatalf("Marshal() error = %v", err)
			}
			if string(out) != tt.want {
				t.Errorf("Marshal() =\n%s\nwant\n%s", out, tt.want)
			}
			back, err := ParseCommand(out)
			if err != nil {
				t.Fatalf("ParseCommand(Marshal()) error = %v", err)
			}
			if !reflect.DeepEqual(back, tt.cmd) {
				t.Errorf("ParseCommand(Marshal()) =\n%#v\nwant\n%#v", back, tt.cmd)
			}
		})
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Command
	}{
		{
			// XEP-0050 Example 10 ("Execute command result (stage 2)").
			name: "XEP-0050 stage 2 result",
			in: `<command xmlns='http://jabber.org/protocol/commands' sessionid='config:20020923T213616Z-700' node='config' status='executing'>
				<actions execute='complete'><prev/><complete/></actions>
				<x xmlns='jabber:x:data' type='form'>
					<title>Configure Service</title>
					<field var='state' label='Run State' type='list-single'>
						<value>off</value>
						<option label='Active'><value>off</value></option>
						<option label='Inactive'><value>on</value></option>
					</field>
				</x>
			</command>`,
			want: &Command{
				Node: "config", SessionID: "config:20020923T213616Z-700", Status: StatusExecuting,
				Actions: &Actions{Execute: ActionComplete, Prev: true, Complete: true},
				Form: &forms.Form{Type: forms.TypeForm, Title: "Configure Service", Fields: []forms.Field{{
					Var: "state", Label: "Run State", Type: forms.FieldListSingle, Values: []string{"off"},
					Options: []forms.Option{{Label: "Active", Value: "off"}, {Label: "Inactive", Value: "on"}},
				}}},
			},
		},
		{
			name: "submission request",
			in: `<command xmlns='http://jabber.org/protocol/commands' sessionid='s' node='config' action='complete'>
				<x xmlns='jabber:x:data' type='submit'><field var='mode'><value>3</value></field></x></command>`,
			want: &Command{Node: "config", SessionID: "s", Action: ActionComplete, Form: &forms.Form{
				Type: forms.TypeSubmit, Fields: []forms.Field{{Var: "mode", Values: []string{"3"}}},
			}},
		},
		{
			name: "note without type is info",
			in:   `<command xmlns='http://jabber.org/protocol/commands' node='n' status='completed'><note>Done.</note></command>`,
			want: &Command{Node: "n", Status: StatusCompleted, Notes: []Note{{Type: NoteInfo, Text: "Done."}}},
		},
		{
			name: "other payloads and second form are skipped",
			in: `<command xmlns='http://jabber.org/protocol/commands' node='n'>
				<x xmlns='jabber:x:oob'><url>http://example.com/</url></x>
				<x xmlns='jabber:x:data' type='submit'><field var='a'><value>1</value></field></x>
				<x xmlns='jabber:x:data' type='submit'><field var='b'/></x>
				<note xmlns='urn:other'>not a note</note>
				<actions xmlns='urn:other'><next/></actions>
			</command>`,
			want: &Command{Node: "n", Form: &forms.Form{Type: forms.TypeSubmit, Fields: []forms.Field{{Var: "a", Values: []string{"1"}}}}},
		},
		{
			name: "unknown action and children of actions are kept raw or skipped",
			in: `<command xmlns='http://jabber.org/protocol/commands' node='n' action='jump'>
				<actions execute='sideways'><next/><other/><prev xmlns='urn:other'/></actions></command>`,
			want: &Command{Node: "n", Action: "jump", Actions: &Actions{Execute: "sideways", Next: true}},
		},
		{
			name: "lang only as xml:lang",
			in:   `<command xmlns='http://jabber.org/protocol/commands' node='n' lang='de' xml:lang='fr-ca'/>`,
			want: &Command{Node: "n", Lang: "fr-ca"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseCommand() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct{ name, in, wantErr string }{
		{"empty", ``, "no element"},
		{"wrong namespace", `<command xmlns='urn:other' node='n'/>`, "not a command"},
		{"wrong element", `<query xmlns='http://jabber.org/protocol/commands'/>`, "not a command"},
		{"truncated", `<command xmlns='http://jabber.org/protocol/commands' node='n'><note>`, "EOF"},
		{"bad form", `<command xmlns='http://jabber.org/protocol/commands' node='n'><x xmlns='jabber:x:data'><field></x></command>`, "closed by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCommand([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseCommand() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestCommandAsIQPayload shows the path the component takes: a reply command
// in stanza.IQ.Payload marshals with its namespace and every child, and once
// RegisterPayload has run, an incoming IQ decodes its command in full.
func TestCommandAsIQPayload(t *testing.T) {
	var _ stanza.IQPayload = (*Command)(nil)

	iq, err := stanza.NewIQ(stanza.Attrs{Type: stanza.IQTypeResult, Id: "exec1", From: "oauth.example.org", To: "alice@example.org/phone"})
	if err != nil {
		t.Fatalf("NewIQ() error = %v", err)
	}
	iq.Payload = fullCommand()
	out, err := xml.Marshal(iq)
	if err != nil {
		t.Fatalf("Marshal(iq) error = %v", err)
	}
	if !strings.Contains(string(out), fullCommandXML) {
		t.Errorf("Marshal(iq) = %s, want it to contain %s", out, fullCommandXML)
	}

	RegisterPayload(stanza.TypeRegistry)
	var back stanza.IQ
	if err := xml.Unmarshal(out, &back); err != nil {
		t.Fatalf("Unmarshal(iq) error = %v", err)
	}
	got, err := FromIQ(&back)
	if err != nil {
		t.Fatalf("FromIQ() error = %v", err)
	}
	if !reflect.DeepEqual(got, fullCommand()) {
		t.Errorf("FromIQ() =\n%#v\nwant\n%#v", got, fullCommand())
	}
}

// TestCommandFromNode covers a command that reaches the component as a
// generic node in stanza.IQ.Any.
func TestCommandFromNode(t *testing.T) {
	raw := `<command xmlns='http://jabber.org/protocol/commands' node='approve' sessionid='abc123' status='executing' xml:lang='en'>
		<actions execute='complete'><prev/><complete/></actions>
		<note type='warn'>This code expires in 2 minutes.</note>
		<note type='error'>"Code" is required.</note>
		<d:x xmlns:d='jabber:x:data' type='form'><d:title>Approve</d:title>
			<d:field var='FORM_TYPE' type='hidden'><d:value>urn:example</d:value></d:field>
			<d:field var='user_code' type='text-single' label='Code'><d:required/></d:field>
		</d:x>
	</command>`
	var node stanza.Node
	if err := xml.Unmarshal([]byte(raw), &node); err != nil {
		t.Fatalf("Unmarshal(node) error = %v", err)
	}
	got, err := CommandFromNode(&node)
	if err != nil {
		t.Fatalf("CommandFromNode() error = %v", err)
	}
	if !reflect.DeepEqual(got, fullCommand()) {
		t.Errorf("CommandFromNode() =\n%#v\nwant\n%#v", got, fullCommand())
	}

	viaIQ, err := FromIQ(&stanza.IQ{Any: &node})
	if err != nil || !reflect.DeepEqual(viaIQ, fullCommand()) {
		t.Errorf("FromIQ(Any) = %#v, %v", viaIQ, err)
	}

	if _, err := CommandFromNode(&stanza.Node{XMLName: xml.Name{Space: "urn:other", Local: "command"}}); err == nil {
		t.Error("CommandFromNode(other namespace) error = nil")
	}
	if _, err := CommandFromNode(nil); err == nil {
		t.Error("CommandFromNode(nil) error = nil")
	}
}

// TestFromStanzaCommand covers an IQ decoded by gosrc.io/xmpp's own command
// type, as happens when RegisterPayload was not called.
func TestFromStanzaCommand(t *testing.T) {
	raw := `<command xmlns='http://jabber.org/protocol/commands' node='config' sessionid='s1' action='next' xml:lang='en'>
		<x xmlns='jabber:x:data' type='submit'>
			<field var='mode' type='list-single'><value>3</value></field>
			<field var='ok'><required/><value>1</value><option label='L'><value>v</value></option></field>
		</x></command>`
	var sc stanza.Command
	if err := xml.Unmarshal([]byte(raw), &sc); err != nil {
		t.Fatalf("Unmarshal(stanza.Command) error = %v", err)
	}
	got, err := FromIQ(&stanza.IQ{Payload: &sc})
	if err != nil {
		t.Fatalf("FromIQ() error = %v", err)
	}
	want := &Command{Node: "config", SessionID: "s1", Action: ActionNext, Lang: "en", Form: &forms.Form{
		Type: forms.TypeSubmit,
		Fields: []forms.Field{
			{Var: "mode", Type: forms.FieldListSingle, Values: []string{"3"}},
			{Var: "ok", Required: true, Values: []string{"1"}, Options: []forms.Option{{Label: "L", Value: "v"}}},
		},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromIQ() =\n%#v\nwant\n%#v", got, want)
	}
}

func TestFromIQWithoutCommand(t *testing.T) {
	tests := []struct {
		name string
		iq   *stanza.IQ
	}{
		{"nil", nil},
		{"empty", &stanza.IQ{}},
		{"other payload", &stanza.IQ{Payload: &stanza.DiscoInfo{}}},
		{"other node", &stanza.IQ{Any: &stanza.Node{XMLName: xml.Name{Space: "urn:x", Local: "query"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := FromIQ(tt.iq); err == nil {
				t.Errorf("FromIQ() = %#v, want an error", c)
			}
		})
	}
}

func TestStanzaErrorXML(t *testing.T) {
	e := errBadRequest(SpecificBadSessionID, "unknown session")
	out, err := xml.Marshal(e.Node())
	if err != nil {
		t.Fatalf("Marshal(Node()) error = %v", err)
	}
	want := `<error type="modify" code="400">` +
		`<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"></bad-request>` +
		`<bad-sessionid xmlns="http://jabber.org/protocol/commands"></bad-sessionid>` +
		`<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">unknown session</text></error>`
	if string(out) != want {
		t.Errorf("Marshal(Node()) =\n%s\nwant\n%s", out, want)
	}

	// Through an IQ, as the component sends it, and back through
	// gosrc.io/xmpp's decoder.
	iq := &stanza.IQ{XMLName: xml.Name{Local: "iq"}, Attrs: stanza.Attrs{Type: stanza.IQTypeError, Id: "1"}, Any: e.Node()}
	out, err = xml.Marshal(iq)
	if err != nil {
		t.Fatalf("Marshal(iq) error = %v", err)
	}
	var back stanza.IQ
	if err := xml.Unmarshal(out, &back); err != nil {
		t.Fatalf("Unmarshal(%s) error = %v", out, err)
	}
	if back.Error == nil || back.Error.Reason != ConditionBadRequest || back.Error.Text != "unknown session" || back.Error.Type != stanza.ErrorTypeModify {
		t.Errorf("decoded error = %#v", back.Error)
	}

	se := e.Err()
	if se.Code != 400 || se.Reason != ConditionBadRequest || se.Type != stanza.ErrorTypeModify || se.Text != "unknown session" {
		t.Errorf("Err() = %#v", se)
	}
	out, err = xml.Marshal(se)
	if err != nil || !strings.Contains(string(out), `<bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">`) {
		t.Errorf("Marshal(Err()) = %s, %v", out, err)
	}
	if got := e.Error(); got != "adhoc: bad-request (bad-sessionid): unknown session" {
		t.Errorf("Error() = %q", got)
	}
}
