package forms

import (
	"slices"
	"strings"
)

// NS is the XEP-0004 namespace of the <x/> element.
const NS = "jabber:x:data"

// FormTypeVar is the var of the hidden field that names a form's purpose
// (XEP-0068 §2).
const FormTypeVar = "FORM_TYPE"

// Type is the 'type' attribute of a form (XEP-0004 §3.1).
type Type string

// Form types of XEP-0004 §3.1.
const (
	// TypeForm asks the form-submitting entity to complete the form.
	TypeForm Type = "form"
	// TypeSubmit carries the data the form-submitting entity submits.
	TypeSubmit Type = "submit"
	// TypeCancel says the form-submitting entity cancelled the submission.
	TypeCancel Type = "cancel"
	// TypeResult returns data (results of a submission, a table of items).
	TypeResult Type = "result"
)

// FieldType is the 'type' attribute of a field (XEP-0004 §3.3).
type FieldType string

// Field types of XEP-0004 §3.3.
const (
	FieldBoolean     FieldType = "boolean"
	FieldFixed       FieldType = "fixed"
	FieldHidden      FieldType = "hidden"
	FieldJIDMulti    FieldType = "jid-multi"
	FieldJIDSingle   FieldType = "jid-single"
	FieldListMulti   FieldType = "list-multi"
	FieldListSingle  FieldType = "list-single"
	FieldTextMulti   FieldType = "text-multi"
	FieldTextPrivate FieldType = "text-private"
	FieldTextSingle  FieldType = "text-single"
)

// known reports whether t is one of the ten field types of XEP-0004 §3.3.
func (t FieldType) known() bool {
	switch t {
	case FieldBoolean, FieldFixed, FieldHidden, FieldJIDMulti, FieldJIDSingle,
		FieldListMulti, FieldListSingle, FieldTextMulti, FieldTextPrivate, FieldTextSingle:
		return true
	}
	return false
}

// multiValued reports whether a field of type t may carry more than one
// <value/>: "Fields of type list-multi, jid-multi, text-multi, and hidden MAY
// contain more than one <value/> element; all other field types MUST NOT"
// (XEP-0004 §3.2).
func (t FieldType) multiValued() bool {
	switch t {
	case FieldListMulti, FieldJIDMulti, FieldTextMulti, FieldHidden:
		return true
	}
	return false
}

// Form is a data form: the <x xmlns='jabber:x:data'/> element.
type Form struct {
	// Type is form, submit, cancel or result.
	Type Type
	// Title labels the form as a whole.
	Title string
	// Instructions are natural-language lines for the user, one per
	// <instructions/> element.
	Instructions []string
	// Fields are the form's fields, in the order a client shows them.
	Fields []Field
	// Reported is the header of a table of results (type result only).
	Reported []Field
	// Items are the rows of that table, each a list of fields.
	Items [][]Field
}

// Field is a <field/> element.
type Field struct {
	// Var identifies the field; every field but a fixed one has one.
	Var string
	// Type is the field type. Empty means the attribute was absent, which
	// XEP-0004 reads as text-single in a form of type "form"; see
	// [Field.EffectiveType].
	Type FieldType
	// Label is the human-readable name of the field.
	Label string
	// Desc is a longer description, shown as a tool-tip or help text.
	Desc string
	// Required flags a field that must be filled for the form to be valid.
	Required bool
	// Values are the field's values: defaults in a form, the answer in a
	// submission, the data in a result.
	Values []string
	// Options are the choices of a list-single or list-multi field.
	Options []Option
}

// Option is one choice of a list field: a human-readable Label and the Value
// submitted when it is chosen.
type Option struct {
	Label string
	Value string
}

// EffectiveType is the field's type as a form processor must read it: an
// absent or unknown type is text-single ("This field type is the default and
// MUST be assumed if a form-submitting entity receives a field type it does
// not understand", XEP-0004 §3.3).
func (f *Field) EffectiveType() FieldType {
	if f.Type.known() {
		return f.Type
	}
	return FieldTextSingle
}

// Field returns the first field whose var is v. It is safe on a nil form.
func (f *Form) Field(v string) (*Field, bool) {
	if f == nil {
		return nil, false
	}
	for i := range f.Fields {
		if f.Fields[i].Var == v {
			return &f.Fields[i], true
		}
	}
	return nil, false
}

// FormType returns the value of the form's hidden FORM_TYPE field (XEP-0068),
// or "" when it has none.
func (f *Form) FormType() string {
	fld, ok := f.Field(FormTypeVar)
	if !ok || len(fld.Values) == 0 {
		return ""
	}
	return fld.Values[0]
}

// String returns the value of field v. A field with several values
// (text-multi) gives them joined by newlines, as XEP-0004 §3.3 asks for
// presenting them; a field with none gives "". ok is false when the form has
// no such field.
func (f *Form) String(v string) (value string, ok bool) {
	fld, ok := f.Field(v)
	if !ok {
		return "", false
	}
	return strings.Join(fld.Values, "\n"), true
}

// Strings returns a copy of the values of field v; ok is false when the form
// has no such field.
func (f *Form) Strings(v string) (values []string, ok bool) {
	fld, ok := f.Field(v)
	if !ok {
		return nil, false
	}
	return slices.Clone(fld.Values), true
}

// Bool returns the value of boolean field v. XEP-0004 §3.3 allows "1" and
// "true" for true and "0" and "false" for false, and makes false the default,
// so a field without a value is false. Empty values count as no value, as in
// [Validate]. ok is false when the field is missing, has more than one
// value, or holds anything else.
func (f *Form) Bool(v string) (value bool, ok bool) {
	fld, ok := f.Field(v)
	if !ok {
		return false, false
	}
	switch values := nonEmpty(fld.Values); len(values) {
	case 0:
		return false, true
	case 1:
		return parseBool(values[0])
	default:
		return false, false
	}
}

// nonEmpty returns values without the empty ones, which [Validate] and the
// getters take for no value: some clients send an empty <value/> beside
// the one the user chose.
func nonEmpty(values []string) []string {
	if !slices.Contains(values, "") {
		return values
	}
	return slices.DeleteFunc(slices.Clone(values), func(s string) bool { return s == "" })
}

// parseBool reads an xs:boolean lexical value as XEP-0004 allows it.
func parseBool(s string) (value bool, ok bool) {
	switch s {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

// JID returns the value of jid-single field v, parsed. Empty values count as
// no value, as in [Validate]. ok is false when the field is missing, empty,
// has more than one value, or is not a valid JID.
func (f *Form) JID(v string) (JID, bool) {
	fld, ok := f.Field(v)
	if !ok {
		return JID{}, false
	}
	values := nonEmpty(fld.Values)
	if len(values) != 1 {
		return JID{}, false
	}
	j, err := ParseJID(values[0])
	if err != nil {
		return JID{}, false
	}
	return j, true
}

// JIDs returns the values of jid-multi field v, parsed, with empty values
// skipped and duplicates dropped ("duplicate JIDs MUST be ignored", XEP-0004
// §3.3). ok is false when the field is missing or any value is not a valid
// JID.
func (f *Form) JIDs(v string) ([]JID, bool) {
	fld, ok := f.Field(v)
	if !ok {
		return nil, false
	}
	var out []JID
	seen := make(map[JID]bool, len(fld.Values))
	for _, s := range fld.Values {
		if s == "" {
			continue
		}
		j, err := ParseJID(s)
		if err != nil {
			return nil, false
		}
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out, true
}

// Clone returns a deep copy of f; nil stays nil.
func (f *Form) Clone() *Form {
	if f == nil {
		return nil
	}
	c := *f
	c.Instructions = slices.Clone(f.Instructions)
	c.Fields = cloneFields(f.Fields)
	c.Reported = cloneFields(f.Reported)
	if f.Items != nil {
		c.Items = make([][]Field, len(f.Items))
		for i, it := range f.Items {
			c.Items[i] = cloneFields(it)
		}
	}
	return &c
}

func cloneFields(fs []Field) []Field {
	if fs == nil {
		return nil
	}
	out := make([]Field, len(fs))
	for i, fld := range fs {
		fld.Values = slices.Clone(fld.Values)
		fld.Options = slices.Clone(fld.Options)
		out[i] = fld
	}
	return out
}

// WithValues returns a copy of form f (as sent) whose fields show the values
// of a submission, so that a form sent back after a failed [Validate] keeps
// what the user typed. Fixed and hidden fields keep the values that were sent,
// and text-private fields are left as sent so that a secret is never echoed.
func (f *Form) WithValues(submitted *Form) *Form {
	c := f.Clone()
	if c == nil || submitted == nil {
		return c
	}
	for i := range c.Fields {
		fld := &c.Fields[i]
		switch fld.EffectiveType() {
		case FieldFixed, FieldHidden, FieldTextPrivate:
			continue
		}
		if fld.Var == "" {
			continue
		}
		if sub, ok := submitted.Field(fld.Var); ok {
			fld.Values = slices.Clone(sub.Values)
		}
	}
	return c
}
