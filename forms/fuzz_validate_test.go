package forms

import (
	"encoding/xml"
	"errors"
	"slices"
	"testing"
)

// sentForm is a form of every field type that carries a value, as a
// command sends it.
func sentForm() *Form {
	return New(
		FormType("urn:xmppoauth:fuzz"),
		Title("Everything"),
		TextSingle("name", Label("Name"), Required()),
		TextPrivate("secret", Label("Secret")),
		TextMulti("notes", Label("Notes")),
		Boolean("confirm", Label("Confirm"), Required()),
		JIDSingle("jid", Label("Address"), Required()),
		JIDMulti("admins", Label("Admins")),
		ListSingle("scope", Label("Scope"), Required(), Options(Option{Label: "Chat", Value: "xmpp"}, Option{Value: "openid"})),
		ListMulti("grants", Label("Grants"), Options(Option{Value: "a"}, Option{Value: "b"})),
		Hidden("step", Value("2")),
		Fixed("Read this first."),
	)
}

// FuzzValidateSubmission parses arbitrary XML as the submission of
// sentForm and validates it (XEP-0004 §4). Validate never panics and
// answers nil or a *ValidationError naming fields the form has; a submission
// it accepts can be read with the typed getters (what a command does next)
// and stays accepted after a round trip through XML; the form sent back
// after a rejection never echoes the private field.
func FuzzValidateSubmission(f *testing.F) {
	for _, s := range []string{
		`<x xmlns='jabber:x:data' type='submit'>
			<field var='FORM_TYPE' type='hidden'><value>urn:xmppoauth:fuzz</value></field>
			<field var='name'><value>Ann</value></field>
			<field var='confirm'><value>1</value></field>
			<field var='jid'><value>ann@example.org/phone</value></field>
			<field var='admins'><value>a@example.org</value><value>a@example.org</value><value>b.example.org</value></field>
			<field var='scope'><value>xmpp</value></field>
			<field var='grants'><value>a</value><value>b</value></field>
			<field var='notes'><value>line 1</value><value>line 2</value></field>
			<field var='step'><value>2</value></field>
		</x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='name'><value>n</value></field><field var='confirm'><value>false</value></field><field var='jid'><value>example.org</value></field><field var='scope'><value>openid</value></field></x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='name'><value>n</value></field><field var='confirm'><value></value><value>true</value></field><field var='jid'><value></value><value>a@b</value></field><field var='scope'><value>xmpp</value><value></value></field></x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='name'><value>n</value></field><field var='confirm'><value>yes</value></field><field var='jid'><value>@b</value></field><field var='scope'><value>other</value></field></x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='name'/><field var='name'><value>twice</value></field></x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='step'><value>3</value></field><field var='FORM_TYPE'><value>urn:other</value></field></x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='secret'><value>hunter2</value></field></x>`,
		`<x xmlns='jabber:x:data' type='cancel'/>`,
		`<x xmlns='jabber:x:data' type='form'><field var='name' type='list-single'><value>a</value><value>b</value></field></x>`,
		`<x xmlns='jabber:x:data' type='submit'><field var='jid'><value>a@[::1]</value></field><field var='admins'><value>a@xn--caf-dma.example</value><value>é@café.example/ré</value></field></x>`,
	} {
		f.Add([]byte(s))
	}
	sent := sentForm()
	f.Fuzz(func(t *testing.T, data []byte) {
		submitted, err := Parse(data)
		if err != nil {
			return
		}
		err = Validate(sent, submitted)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Validate() = %v, want a *ValidationError with problems", err)
			}
			for _, p := range ve.Problems {
				if p.Message == "" {
					t.Fatalf("Validate() problem %+v has no message", p)
				}
				if _, ok := sent.Field(p.Var); p.Var != "" && !ok {
					t.Fatalf("Validate() problem names field %q, which the form does not have", p.Var)
				}
			}
			back := sent.WithValues(submitted)
			if v, _ := back.String("secret"); v != "" {
				t.Fatalf("the form sent back echoes the private field: %q", v)
			}
			return
		}

		// Accepted: the getters a command uses agree with Validate.
		if v, ok := submitted.String("name"); !ok || v == "" {
			t.Fatalf("accepted submission %q: String(name) = %q, %v", data, v, ok)
		}
		if _, ok := submitted.Bool("confirm"); !ok {
			t.Fatalf("accepted submission %q: Bool(confirm) not ok", data)
		}
		j, ok := submitted.JID("jid")
		if !ok {
			t.Fatalf("accepted submission %q: JID(jid) not ok", data)
		}
		if again, err := ParseJID(j.String()); err != nil || again != j {
			t.Fatalf("JID %#v does not survive String and ParseJID: %#v, %v", j, again, err)
		}
		if _, present := submitted.Field("admins"); present {
			if _, ok := submitted.JIDs("admins"); !ok {
				t.Fatalf("accepted submission %q: JIDs(admins) not ok", data)
			}
		}
		scope, _ := submitted.Strings("scope")
		if !slices.Contains(scope, "xmpp") && !slices.Contains(scope, "openid") {
			t.Fatalf("accepted submission %q: scope %q is not an option", data, scope)
		}

		// Accepted submissions stay accepted through the wire format.
		out, err := xml.Marshal(submitted)
		if err != nil {
			t.Fatalf("Marshal(accepted submission) = %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", out, err)
		}
		if err := Validate(sent, again); err != nil {
			t.Fatalf("accepted submission %q is rejected after a round trip as %q: %v", data, out, err)
		}
	})
}

// FuzzParseJID checks ParseJID (RFC 7622): it never panics, fails with a
// *JIDError naming the input, and what it accepts prints as a string that
// parses to the same JID, whose bare form has no resource.
func FuzzParseJID(f *testing.F) {
	for _, s := range []string{
		"alice@example.org", "alice@example.org/phone", "example.org", "example.org.", "a@b/c/d@e",
		"a@[::1]", "a@[127.0.0.1]", "é@café.example", "a@xn--caf-dma.example", "@example.org", "a@", "a@b/",
		"a b@c", "a@b c", "a@b\x00", "\xff@b", "a@-b-", "a@b..c", "/r", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseJID(s)
		if err != nil {
			var je *JIDError
			if !errors.As(err, &je) || je.Input != s || je.Reason == "" {
				t.Fatalf("ParseJID(%q) error = %#v, want a *JIDError with the input and a reason", s, err)
			}
			return
		}
		if j.Domain == "" {
			t.Fatalf("ParseJID(%q) = %#v without a domain", s, j)
		}
		again, err := ParseJID(j.String())
		if err != nil || again != j {
			t.Fatalf("ParseJID(%q) = %#v; its String %q parses to %#v, %v", s, j, j.String(), again, err)
		}
		b := j.Bare()
		if b.Resource != "" || b.Local != j.Local || b.Domain != j.Domain {
			t.Fatalf("%#v.Bare() = %#v", j, b)
		}
	})
}
