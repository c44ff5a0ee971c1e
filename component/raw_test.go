package component

import (
	"encoding/xml"
	"strings"
	"testing"

	"gosrc.io/xmpp/stanza"
)

func TestParseRawElement(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     string
		wantName xml.Name
	}{
		{
			name:     "default namespace kept on root only",
			in:       `<command xmlns="http://jabber.org/protocol/commands" node="list" action="execute"><note type="info">hi</note></command>`,
			want:     `<command xmlns='http://jabber.org/protocol/commands' node='list' action='execute'><note type='info'>hi</note></command>`,
			wantName: xml.Name{Space: NSCommands, Local: "command"},
		},
		{
			name:     "nested namespace change and back",
			in:       `<command xmlns='http://jabber.org/protocol/commands'><x xmlns='jabber:x:data' type='submit'><field var='a'><value>1</value></field></x><note/></command>`,
			want:     `<command xmlns='http://jabber.org/protocol/commands'><x xmlns='jabber:x:data' type='submit'><field var='a'><value>1</value></field></x><note/></command>`,
			wantName: xml.Name{Space: NSCommands, Local: "command"},
		},
		{
			name:     "prefixed element becomes default namespace",
			in:       `<f:foo xmlns:f='urn:f'><f:bar/></f:foo>`,
			want:     `<foo xmlns='urn:f'><bar/></foo>`,
			wantName: xml.Name{Space: "urn:f", Local: "foo"},
		},
		{
			name:     "xml:lang and namespaced attribute",
			in:       `<body xmlns='urn:b' xml:lang='en' xmlns:a='urn:a' a:x='1'>t</body>`,
			want:     `<body xmlns='urn:b' xml:lang='en' xmlns:ns1='urn:a' ns1:x='1'>t</body>`,
			wantName: xml.Name{Space: "urn:b", Local: "body"},
		},
		{
			name:     "escaping, comments dropped, whitespace around root",
			in:       "\n <a xmlns='urn:a' v='&quot;&apos;&lt;'>x &amp; y<!-- c --></a>\n",
			want:     `<a xmlns='urn:a' v='&#34;&#39;&lt;'>x &amp; y</a>`,
			wantName: xml.Name{Space: "urn:a", Local: "a"},
		},
		{
			name:     "no namespace",
			in:       `<a><b/></a>`,
			want:     `<a><b/></a>`,
			wantName: xml.Name{Local: "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRawElement([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseRawElement() error = %v", err)
			}
			if string(r.XML) != tt.want {
				t.Errorf("ParseRawElement().XML = %s, want %s", r.XML, tt.want)
			}
			if r.Name != tt.wantName {
				t.Errorf("ParseRawElement().Name = %v, want %v", r.Name, tt.wantName)
			}
			// Canonical output is a fixed point.
			again, err := ParseRawElement(r.XML)
			if err != nil || string(again.XML) != string(r.XML) {
				t.Errorf("reparse = %s, %v; want %s", again.XML, err, r.XML)
			}
		})
	}
}

func TestParseRawElementRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"only whitespace", "  \n"},
		{"two roots", "<a/><b/>"},
		{"text after root", "<a/>x"},
		{"unclosed", "<a><b></a>"},
		{"not xml", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := ParseRawElement([]byte(tt.in)); err == nil {
				t.Errorf("ParseRawElement(%q) = %s, want an error", tt.in, r.XML)
			}
		})
	}
}

// A gosrc.io/xmpp message carrying a RawElement marshals it as an element.
func TestRawElementMarshalInStanza(t *testing.T) {
	r, err := ParseRawElement([]byte(`<x xmlns='jabber:x:data' type='form'><title>T</title></x>`))
	if err != nil {
		t.Fatal(err)
	}
	m := stanza.NewMessage(stanza.Attrs{To: "a@example.test"})
	m.Extensions = []stanza.MsgExtension{r}
	out, err := xml.Marshal(m)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var st inStanza
	if err := xml.Unmarshal(out, &st); err != nil {
		t.Fatalf("Unmarshal(%s): %v", out, err)
	}
	if len(st.Children) != 1 || string(st.Children[0].XML) != string(r.XML) {
		t.Errorf("marshalled %s; children = %+v, want one %s", out, st.Children, r.XML)
	}
}

// Payloads decoded from a stream keep every child, unlike
// gosrc.io/xmpp's stanza.Command, which keeps only the last one.
func TestInStanzaKeepsPayload(t *testing.T) {
	in := `<iq xmlns='jabber:component:accept' type='set' id='1' from='a@example.test/r' to='auth.example.test' xml:lang='de'>` +
		`<command xmlns='http://jabber.org/protocol/commands' node='n' sessionid='s' action='complete'>` +
		`<x xmlns='jabber:x:data' type='submit'><field var='scope'><value>openid</value><value>xmpp</value></field></x>` +
		`<extra xmlns='urn:example'/></command></iq>`
	var st inStanza
	if err := xml.Unmarshal([]byte(in), &st); err != nil {
		t.Fatal(err)
	}
	if st.Kind != "iq" || st.Type != "set" || st.ID != "1" || st.From != "a@example.test/r" || st.To != "auth.example.test" || st.Lang != "de" {
		t.Errorf("attributes = %+v", st)
	}
	if len(st.Children) != 1 {
		t.Fatalf("children = %d, want 1", len(st.Children))
	}
	want := `<command xmlns='http://jabber.org/protocol/commands' node='n' sessionid='s' action='complete'>` +
		`<x xmlns='jabber:x:data' type='submit'><field var='scope'><value>openid</value><value>xmpp</value></field></x>` +
		`<extra xmlns='urn:example'/></command>`
	if got := string(st.Children[0].XML); got != want {
		t.Errorf("payload = %s, want %s", got, want)
	}
}

func TestRootAttrAndElementText(t *testing.T) {
	r, err := ParseRawElement([]byte(`<query xmlns='urn:q' node='n&amp;1'>a<b>c</b>d</query>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := rootAttr(r, "node"); got != "n&1" {
		t.Errorf("rootAttr(node) = %q, want %q", got, "n&1")
	}
	if got := rootAttr(r, "missing"); got != "" {
		t.Errorf("rootAttr(missing) = %q, want empty", got)
	}
	if got := elementText(r); !strings.Contains(got, "a") || strings.Contains(got, "c") {
		t.Errorf("elementText = %q, want the root's own text only", got)
	}
}
