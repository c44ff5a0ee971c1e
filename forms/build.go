package forms

import "slices"

// FormOption configures a form built by [New]. The options are [OfType],
// [FormType], [Title], [Instructions], [Reported], [Item], and any [Field]
// (as returned by [TextSingle], [ListMulti], [Boolean], …), which adds
// itself to the form's fields.
type FormOption interface {
	applyForm(*Form)
}

// FieldOption configures a field built by one of the field constructors
// ([TextSingle], [ListMulti], …). The options are [Label], [Desc],
// [Required], [Value] and [Options].
type FieldOption interface {
	applyField(*Field)
}

type formOptionFunc func(*Form)

func (fn formOptionFunc) applyForm(f *Form) { fn(f) }

type fieldOptionFunc func(*Field)

func (fn fieldOptionFunc) applyField(f *Field) { fn(f) }

// New builds a form of type "form" (change it with [OfType]) from opts,
// applied in order; fields appear in the order given.
func New(opts ...FormOption) *Form {
	f := &Form{Type: TypeForm}
	for _, o := range opts {
		o.applyForm(f)
	}
	return f
}

// OfType sets the form's type (form, submit, cancel or result).
func OfType(t Type) FormOption {
	return formOptionFunc(func(f *Form) { f.Type = t })
}

// FormType puts the hidden FORM_TYPE field of XEP-0068 with value ns first
// among the form's fields (replacing one set before), wherever the option
// appears in the list.
func FormType(ns string) FormOption {
	return formOptionFunc(func(f *Form) {
		fld := Field{Var: FormTypeVar, Type: FieldHidden, Values: []string{ns}}
		f.Fields = slices.DeleteFunc(f.Fields, func(x Field) bool { return x.Var == FormTypeVar })
		f.Fields = slices.Insert(f.Fields, 0, fld)
	})
}

// Title sets the form's title.
func Title(s string) FormOption {
	return formOptionFunc(func(f *Form) { f.Title = s })
}

// Instructions adds lines of instructions, one <instructions/> element each.
// XEP-0004 §3 asks that they contain no newlines.
func Instructions(lines ...string) FormOption {
	return formOptionFunc(func(f *Form) { f.Instructions = append(f.Instructions, lines...) })
}

// Reported sets the header of a result table (XEP-0004 §3.4): one field per
// column, with a var, a type and a label but no value.
func Reported(fields ...Field) FormOption {
	return formOptionFunc(func(f *Form) { f.Reported = cloneFields(fields) })
}

// Item adds one row to a result table (XEP-0004 §3.4); build its cells with
// [Var].
func Item(fields ...Field) FormOption {
	return formOptionFunc(func(f *Form) { f.Items = append(f.Items, cloneFields(fields)) })
}

// applyForm adds the field to the form, which makes every Field a FormOption.
func (f Field) applyForm(form *Form) {
	form.Fields = append(form.Fields, cloneFields([]Field{f})[0])
}

// Label sets the field's human-readable name.
func Label(s string) FieldOption {
	return fieldOptionFunc(func(f *Field) { f.Label = s })
}

// Desc sets the field's description (a tool-tip or help text).
func Desc(s string) FieldOption {
	return fieldOptionFunc(func(f *Field) { f.Desc = s })
}

// Required marks the field as required (<required/>).
func Required() FieldOption {
	return fieldOptionFunc(func(f *Field) { f.Required = true })
}

// Value sets the field's values: the default shown in a form, the answer in a
// submission or the data in a result.
func Value(values ...string) FieldOption {
	return fieldOptionFunc(func(f *Field) { f.Values = slices.Clone(values) })
}

// Options adds choices to a list-single or list-multi field.
func Options(opts ...Option) FieldOption {
	return fieldOptionFunc(func(f *Field) { f.Options = append(f.Options, opts...) })
}

func newField(v string, t FieldType, opts []FieldOption) Field {
	f := Field{Var: v, Type: t}
	for _, o := range opts {
		o.applyField(&f)
	}
	return f
}

// Boolean is a yes/no field; its value is "1"/"true" or "0"/"false".
func Boolean(v string, opts ...FieldOption) Field { return newField(v, FieldBoolean, opts) }

// Fixed is a line of text shown in the form (a section header, a
// description); it gathers nothing and has no var.
func Fixed(text string, opts ...FieldOption) Field {
	return newField("", FieldFixed, append([]FieldOption{Value(text)}, opts...))
}

// Hidden is a field the user does not see and the client returns unchanged;
// give its value with [Value].
func Hidden(v string, opts ...FieldOption) Field { return newField(v, FieldHidden, opts) }

// JIDMulti gathers several JIDs.
func JIDMulti(v string, opts ...FieldOption) Field { return newField(v, FieldJIDMulti, opts) }

// JIDSingle gathers one JID.
func JIDSingle(v string, opts ...FieldOption) Field { return newField(v, FieldJIDSingle, opts) }

// ListMulti lets the user pick any number of the [Options].
func ListMulti(v string, opts ...FieldOption) Field { return newField(v, FieldListMulti, opts) }

// ListSingle lets the user pick one of the [Options].
func ListSingle(v string, opts ...FieldOption) Field { return newField(v, FieldListSingle, opts) }

// TextMulti gathers several lines of text, one value per line.
func TextMulti(v string, opts ...FieldOption) Field { return newField(v, FieldTextMulti, opts) }

// TextPrivate gathers one line of text that the client obscures (a secret).
func TextPrivate(v string, opts ...FieldOption) Field { return newField(v, FieldTextPrivate, opts) }

// TextSingle gathers one line of text.
func TextSingle(v string, opts ...FieldOption) Field { return newField(v, FieldTextSingle, opts) }

// Var is a field with only a var and values and no type: a cell of an [Item]
// row, or a field of a submitted form.
func Var(v string, values ...string) Field {
	return Field{Var: v, Values: slices.Clone(values)}
}
