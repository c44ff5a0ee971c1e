package forms

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	sent := New(
		FormType("urn:example:approve"),
		Fixed("Header"),
		Hidden("state", Value("s1", "s2")),
		Boolean("agree", Label("I agree"), Required()),
		Boolean("optional_bool"),
		JIDSingle("owner", Label("Owner")),
		JIDMulti("members"),
		ListSingle("color", Label("Color"), Options(Option{"Red", "red"}, Option{"Blue", "blue"})),
		ListMulti("grants", Options(Option{Value: "read"}, Option{Value: "write"})),
		TextMulti("notes"),
		TextPrivate("secret"),
		TextSingle("user_code", Label("Code"), Required()),
		Field{Var: "untyped"},
	)
	// valid is the smallest acceptable submission.
	valid := func(extra ...Field) *Form {
		f := New(OfType(TypeSubmit), Var("agree", "true"), Var("user_code", "ABCD"))
		f.Fields = append(f.Fields, extra...)
		return f
	}

	tests := []struct {
		name      string
		submitted *Form
		// wantVars lists the vars of the problems expected ("" for the
		// form); nil means the submission is valid.
		wantVars []string
		// wantMsg is a fragment of the first problem's message.
		wantMsg string
	}{
		{name: "minimal valid submission", submitted: valid()},
		{name: "everything filled in", submitted: valid(
			Var(FormTypeVar, "urn:example:approve"),
			Var("state", "s1", "s2"),
			Var("optional_bool", "0"),
			Var("owner", "juliet@example.com"),
			Var("members", "a@example.com", "b@example.com/res", "example.net"),
			Var("color", "blue"),
			Var("grants", "read", "write"),
			Var("notes", "line 1", "line 2", "line 3"),
			Var("secret", "hunter2"),
			Var("untyped", "anything"),
		)},
		{name: "unknown fields are ignored", submitted: valid(Var("unknown", "1", "2"))},
		{name: "fixed fields are ignored", submitted: valid(Var("", "x"))},
		{name: "empty values of optional fields count as absent", submitted: valid(
			Var("owner", ""), Var("color", ""), Var("optional_bool", ""))},
		{name: "field types in the submission are ignored", submitted: valid(
			Field{Var: "color", Type: FieldTextSingle, Values: []string{"red"}})},

		{name: "nil submission", submitted: nil, wantVars: []string{"agree", "user_code"}, wantMsg: `"I agree" is required.`},
		{name: "wrong form type", submitted: func() *Form { f := valid(); f.Type = TypeForm; return f }(),
			wantVars: []string{""}, wantMsg: `must be submitted with type "submit", not "form"`},
		{name: "cancel is not a submission", submitted: New(OfType(TypeCancel)),
			wantVars: []string{"", "agree", "user_code"}},
		{name: "required field missing", submitted: New(OfType(TypeSubmit), Var("agree", "1")),
			wantVars: []string{"user_code"}, wantMsg: `"Code" is required.`},
		{name: "required field empty", submitted: New(OfType(TypeSubmit), Var("agree", "1"), Var("user_code", "")),
			wantVars: []string{"user_code"}, wantMsg: `"Code" is required.`},
		{name: "required boolean false is a value", submitted: New(OfType(TypeSubmit), Var("agree", "false"), Var("user_code", "x"))},
		{name: "field submitted twice", submitted: valid(Var("owner", "a@example.com"), Var("owner", "b@example.com")),
			wantVars: []string{"owner"}, wantMsg: "submitted more than once"},

		{name: "FORM_TYPE changed", submitted: valid(Var(FormTypeVar, "urn:other")),
			wantVars: []string{FormTypeVar}, wantMsg: `This form is of type "urn:example:approve", but the submission is of type "urn:other".`},
		{name: "hidden field changed", submitted: valid(Var("state", "s1")),
			wantVars: []string{"state"}, wantMsg: `"state" is a hidden field and must be returned unchanged.`},

		{name: "boolean not a boolean", submitted: valid(Var("optional_bool", "yes")),
			wantVars: []string{"optional_bool"}, wantMsg: `must be true or false, not "yes"`},
		{name: "boolean with two values", submitted: valid(Var("optional_bool", "1", "0")),
			wantVars: []string{"optional_bool"}, wantMsg: "takes a single value, but 2 were given"},
		{name: "jid-single invalid", submitted: valid(Var("owner", "a@b@c")),
			wantVars: []string{"owner"}, wantMsg: `"Owner" has "a@b@c", which is not a valid address: the domain may not contain '@'.`},
		{name: "jid-single with two values", submitted: valid(Var("owner", "a@example.com", "b@example.com")),
			wantVars: []string{"owner"}, wantMsg: "single value"},
		{name: "jid-multi with two invalid values", submitted: valid(Var("members", "ok@example.com", "bad@", "<x>@example.com")),
			wantVars: []string{"members", "members"}, wantMsg: `"bad@"`},
		{name: "list-single value not offered", submitted: valid(Var("color", "green")),
			wantVars: []string{"color"}, wantMsg: `"Color" has "green", which is not one of the choices offered.`},
		{name: "list-single option label is not a value", submitted: valid(Var("color", "Red")),
			wantVars: []string{"color"}},
		{name: "list-single with two values", submitted: valid(Var("color", "red", "blue")),
			wantVars: []string{"color"}, wantMsg: "single value"},
		{name: "list-multi value not offered", submitted: valid(Var("grants", "read", "admin")),
			wantVars: []string{"grants"}, wantMsg: `"admin"`},
		{name: "text-single with two values", submitted: valid(Var("untyped", "a", "b")),
			wantVars: []string{"untyped"}, wantMsg: "single value"},
		{name: "text-private with two values", submitted: valid(Var("secret", "a", "b")),
			wantVars: []string{"secret"}, wantMsg: "single value"},
		{name: "several problems are all reported", submitted: New(OfType(TypeSubmit),
			Var(FormTypeVar, "urn:other"), Var("agree", "maybe"), Var("color", "green")),
			wantVars: []string{FormTypeVar, "agree", "color", "user_code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(sent, tt.submitted)
			if tt.wantVars == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			var vars []string
			for _, p := range verr.Problems {
				vars = append(vars, p.Var)
			}
			if !reflect.DeepEqual(vars, tt.wantVars) {
				t.Errorf("problem vars = %q, want %q (problems: %+v)", vars, tt.wantVars, verr.Problems)
			}
			if tt.wantMsg != "" && !strings.Contains(verr.Problems[0].Message, tt.wantMsg) {
				t.Errorf("first message = %q, want it to contain %q", verr.Problems[0].Message, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "forms: invalid submission: ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestValidateRequiredPerType(t *testing.T) {
	types := []FieldType{FieldBoolean, FieldJIDMulti, FieldJIDSingle, FieldListMulti, FieldListSingle,
		FieldTextMulti, FieldTextPrivate, FieldTextSingle}
	for _, typ := range types {
		t.Run(string(typ), func(t *testing.T) {
			sent := New(Field{Var: "f", Type: typ, Label: "F", Required: true})
			err := Validate(sent, New(OfType(TypeSubmit)))
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Message != `"F" is required.` {
				t.Errorf("Validate(missing required %s) = %v", typ, err)
			}
		})
	}
}

func TestValidateNoSentForm(t *testing.T) {
	if err := Validate(nil, New(OfType(TypeSubmit))); err == nil {
		t.Error("Validate(nil, …) = nil, want an error")
	}
}

func TestValidateLabelOrVar(t *testing.T) {
	sent := New(TextSingle("user_code", Required()))
	err := Validate(sent, nil)
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Problems[0].Message != `"user_code" is required.` {
		t.Errorf("Validate() = %v, want the var named when there is no label", err)
	}
}
