package forms

import (
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
)

// botForm is Example 2 of XEP-0004 ("Service Returns Bot Creation Form").
const botForm = `<x xmlns='jabber:x:data' type='form'>
  <title>Bot Configuration</title>
  <instructions>Fill out this form to configure your new bot!</instructions>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='fixed'><value>Section 1: Bot Info</value></field>
  <field type='text-single' label='The name of your bot' var='botname'/>
  <field type='text-multi' label='Helpful description of your bot' var='description'/>
  <field type='boolean' label='Public bot?' var='public'><required/></field>
  <field type='text-private' label='Password for special access' var='password'/>
  <field type='list-multi' label='What features will the bot support?' var='features'>
    <option label='Contests'><value>contests</value></option>
    <option label='News'><value>news</value></option>
    <option label='Polls'><value>polls</value></option>
    <value>news</value>
    <value>search</value>
  </field>
  <field type='list-single' label='Maximum number of subscribers' var='maxsubs'>
    <value>20</value>
    <option label='10'><value>10</value></option>
    <option label='20'><value>20</value></option>
  </field>
  <field type='jid-multi' label='People to invite' var='invitelist'>
    <desc>Tell all your friends about your new bot!</desc>
  </field>
</x>`

func TestParseXEP0004Example(t *testing.T) {
	got, err := Parse([]byte(botForm))
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	want := &Form{
		Type:         TypeForm,
		Title:        "Bot Configuration",
		Instructions: []string{"Fill out this form to configure your new bot!"},
		Fields: []Field{
			{Var: "FORM_TYPE", Type: FieldHidden, Values: []string{"jabber:bot"}},
			{Type: FieldFixed, Values: []string{"Section 1: Bot Info"}},
			{Var: "botname", Type: FieldTextSingle, Label: "The name of your bot"},
			{Var: "description", Type: FieldTextMulti, Label: "Helpful description of your bot"},
			{Var: "public", Type: FieldBoolean, Label: "Public bot?", Required: true},
			{Var: "password", Type: FieldTextPrivate, Label: "Password for special access"},
			{Var: "features", Type: FieldListMulti, Label: "What features will the bot support?",
				Values:  []string{"news", "search"},
				Options: []Option{{"Contests", "contests"}, {"News", "news"}, {"Polls", "polls"}}},
			{Var: "maxsubs", Type: FieldListSingle, Label: "Maximum number of subscribers",
				Values:  []string{"20"},
				Options: []Option{{"10", "10"}, {"20", "20"}}},
			{Var: "invitelist", Type: FieldJIDMulti, Label: "People to invite", Desc: "Tell all your friends about your new bot!"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse() =\n%#v\nwant\n%#v", got, want)
	}
	if ft := got.FormType(); ft != "jabber:bot" {
		t.Errorf("FormType() = %q, want %q", ft, "jabber:bot")
	}
}

func TestMarshalExact(t *testing.T) {
	tests := []struct {
		name string
		form *Form
		want string
	}{
		{
			name: "form with every child of a field",
			form: New(
				FormType("urn:example:test"),
				Title("Approve"),
				Instructions("Line one", "Line two"),
				TextSingle("user_code", Label("Code"), Desc("The code on your device"), Required(), Value("AB-CD")),
				ListMulti("grants", Label("Grants"), Options(Option{Label: "Read", Value: "read"}, Option{Value: "write"})),
				Fixed("Section & <more>"),
			),
			want: `<x xmlns="jabber:x:data" type="form">` +
				`<title>Approve</title>` +
				`<instructions>Line one</instructions><instructions>Line two</instructions>` +
				`<field var="FORM_TYPE" type="hidden"><value>urn:example:test</value></field>` +
				`<field var="user_code" type="text-single" label="Code"><desc>The code on your device</desc><required></required><value>AB-CD</value></field>` +
				`<field var="grants" type="list-multi" label="Grants"><option label="Read"><value>read</value></option><option><value>write</value></option></field>` +
				`<field type="fixed"><value>Section &amp; &lt;more&gt;</value></field>` +
				`</x>`,
		},
		{
			name: "result table",
			form: New(
				OfType(TypeResult),
				Title("Apps"),
				Reported(TextSingle("name", Label("Name")), JIDSingle("owner", Label("Owner"))),
				Item(Var("name", "Thunderbird"), Var("owner", "a@example.org")),
				Item(Var("name", "Mail"), Var("owner")),
			),
			want: `<x xmlns="jabber:x:data" type="result"><title>Apps</title>` +
				`<reported><field var="name" type="text-single" label="Name"></field><field var="owner" type="jid-single" label="Owner"></field></reported>` +
				`<item><field var="name"><value>Thunderbird</value></field><field var="owner"><value>a@example.org</value></field></item>` +
				`<item><field var="name"><value>Mail</value></field><field var="owner"></field></item>` +
				`</x>`,
		},
		{
			name: "submission",
			form: New(OfType(TypeSubmit), Var("a", "1", "2"), Var("b")),
			want: `<x xmlns="jabber:x:data" type="submit"><field var="a"><value>1</value><value>2</value></field><field var="b"></field></x>`,
		},
		{
			name: "cancel",
			form: New(OfType(TypeCancel)),
			want: `<x xmlns="jabber:x:data" type="cancel"></x>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := xml.Marshal(tt.form)
			if err != nil {
				t.Fatalf("Marshal() error = %v", err)
			}
			if string(out) != tt.want {
				t.Errorf("Marshal() =\n%s\nwant\n%s", out, tt.want)
			}
			back, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(Marshal()) error = %v", err)
			}
			if !reflect.DeepEqual(back, tt.form) {
				t.Errorf("Parse(Marshal()) =\n%#v\nwant\n%#v", back, tt.form)
			}
		})
	}
}

// TestMarshalInsideStruct shows that the form keeps its own element name and
// namespace when it is a field of another element.
func TestMarshalInsideStruct(t *testing.T) {
	type wrapper struct {
		XMLName xml.Name `xml:"urn:example wrap"`
		Form    *Form    `xml:"whatever"`
	}
	out, err := xml.Marshal(wrapper{Form: New(OfType(TypeSubmit))})
	if err != nil {
		t.Fatalf("Marshal() error = %v", err)
	}
	want := `<wrap xmlns="urn:example"><x xmlns="jabber:x:data" type="submit"></x></wrap>`
	if string(out) != want {
		t.Errorf("Marshal() = %s, want %s", out, want)
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Form
	}{
		{
			name: "children of other namespaces are skipped",
			in: `<x xmlns='jabber:x:data' type='submit'><field var='a' xmlns='urn:other'><value>no</value></field>` +
				`<field var='b'><value xmlns='urn:other'>no</value><value>yes</value></field><foo/></x>`,
			want: &Form{Type: TypeSubmit, Fields: []Field{{Var: "b", Values: []string{"yes"}}}},
		},
		{
			name: "nested elements inside a value are skipped",
			in:   `<x xmlns='jabber:x:data' type='submit'><field var='a'><value>a<b>ignored</b>c</value></field></x>`,
			want: &Form{Type: TypeSubmit, Fields: []Field{{Var: "a", Values: []string{"ac"}}}},
		},
		{
			name: "prefixed namespace",
			in:   `<d:x xmlns:d='jabber:x:data' type='result'><d:title>T</d:title><d:item><d:field var='v'/></d:item></d:x>`,
			want: &Form{Type: TypeResult, Title: "T", Items: [][]Field{{{Var: "v"}}}},
		},
		{
			name: "option keeps its first value",
			in:   `<x xmlns='jabber:x:data' type='form'><field var='l' type='list-single'><option label='L'><value>1</value><value>2</value></option></field></x>`,
			want: &Form{Type: TypeForm, Fields: []Field{{Var: "l", Type: FieldListSingle, Options: []Option{{"L", "1"}}}}},
		},
		{
			name: "empty reported",
			in:   `<x xmlns='jabber:x:data' type='result'><reported/></x>`,
			want: &Form{Type: TypeResult, Reported: []Field{}},
		},
		{
			name: "CDATA and entities",
			in:   `<x xmlns='jabber:x:data' type='submit'><field var='a'><value><![CDATA[<b>]]>&amp;&#x41;</value></field></x>`,
			want: &Form{Type: TypeSubmit, Fields: []Field{{Var: "a", Values: []string{"<b>&A"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty input", ``, "no element"},
		{"wrong namespace", `<x xmlns='jabber:x:oob'/>`, "not a data form"},
		{"wrong element", `<form xmlns='jabber:x:data'/>`, "not a data form"},
		{"unclosed", `<x xmlns='jabber:x:data' type='form'><field var='a'>`, "unexpected EOF"},
		{"mismatched tags", `<x xmlns='jabber:x:data'><title></x>`, "closed by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
