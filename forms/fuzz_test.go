package forms

import (
	"encoding/xml"
	"reflect"
	"testing"
)

// FuzzParseForm checks that Parse never panics, that whatever it accepts
// marshals back to XML that parses to the same form, and that Validate and the
// getters cope with any parsed form.
func FuzzParseForm(f *testing.F) {
	seeds := []string{
		botForm,
		`<x xmlns='jabber:x:data' type='submit'><field var='a'><value>1</value></field></x>`,
		`<x xmlns='jabber:x:data' type='result'><reported><field var='n' type='text-single' label='N'/></reported><item><field var='n'><value>v</value></field></item><item/></x>`,
		`<x xmlns='jabber:x:data' type='cancel'/>`,
		`<d:x xmlns:d='jabber:x:data' type='form'><d:field var='l' type='list-single'><d:option label='L'><d:value>1</d:value></d:option></d:field></d:x>`,
		`<x xmlns='jabber:x:data' type='form'><title>a&amp;b</title><field var='x' type='jid-single'><required/><value>a@b/c</value></field><other xmlns='urn:o'><field var='no'/></other></x>`,
		`<x xmlns='jabber:x:data'><field var='c'><value><![CDATA[<>]]>&#x9;&#10;</value></field></x>`,
		`<x xmlns='jabber:x:oob'/>`,
		`<x xmlns='jabber:x:data' type='form'><field`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := Parse(data)
		if err != nil {
			return
		}
		out, err := xml.Marshal(form)
		if err != nil {
			t.Fatalf("Marshal(Parse(%q)) error = %v", data, err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) (re-marshalled from %q) error = %v", out, data, err)
		}
		if !reflect.DeepEqual(back, form) {
			t.Fatalf("round trip changed the form:\ninput %q\nfirst  %#v\nsecond %#v", data, form, back)
		}
		_ = Validate(form, form)
		_ = Validate(form, form.WithValues(form))
		for _, fld := range form.Fields {
			form.String(fld.Var)
			form.Bool(fld.Var)
			form.JID(fld.Var)
			form.JIDs(fld.Var)
		}
	})
}
