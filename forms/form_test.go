package forms

import (
	"reflect"
	"testing"
)

func TestGetters(t *testing.T) {
	f := New(OfType(TypeSubmit),
		FormType("urn:example"),
		Var("code", "ABCD"),
		Var("lines", "one", "two"),
		Var("empty"),
		Var("yes", "1"), Var("true", "true"), Var("no", "0"), Var("false", "false"),
		Var("maybe", "maybe"), Var("twice", "1", "0"), Var("padded", "", "true"),
		Var("padded-jid", "", "romeo@example.net"),
		Var("who", "juliet@example.com/balcony"),
		Var("bad", "@example.com"),
		Var("who2", "a@example.com", "", "b@example.com", "a@example.com"),
		Var("who3", "a@example.com", "a@b@c"),
	)

	strTests := []struct {
		v      string
		want   string
		wantOK bool
	}{
		{"code", "ABCD", true},
		{"lines", "one\ntwo", true},
		{"empty", "", true},
		{"missing", "", false},
		{"FORM_TYPE", "urn:example", true},
	}
	for _, tt := range strTests {
		t.Run("String "+tt.v, func(t *testing.T) {
			got, ok := f.String(tt.v)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("String(%q) = %q, %v; want %q, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}

	stringsTests := []struct {
		v      string
		want   []string
		wantOK bool
	}{
		{"lines", []string{"one", "two"}, true},
		{"empty", nil, true},
		{"missing", nil, false},
	}
	for _, tt := range stringsTests {
		t.Run("Strings "+tt.v, func(t *testing.T) {
			got, ok := f.Strings(tt.v)
			if !reflect.DeepEqual(got, tt.want) || ok != tt.wantOK {
				t.Errorf("Strings(%q) = %q, %v; want %q, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	t.Run("Strings returns a copy", func(t *testing.T) {
		got, _ := f.Strings("lines")
		got[0] = "changed"
		if again, _ := f.Strings("lines"); again[0] != "one" {
			t.Errorf("Strings() shares its slice with the form")
		}
	})

	boolTests := []struct {
		v      string
		want   bool
		wantOK bool
	}{
		{"yes", true, true},
		{"true", true, true},
		{"no", false, true},
		{"false", false, true},
		{"empty", false, true},
		{"maybe", false, false},
		{"twice", false, false},
		{"padded", true, true}, // an empty value beside one is no value, as in Validate
		{"missing", false, false},
	}
	for _, tt := range boolTests {
		t.Run("Bool "+tt.v, func(t *testing.T) {
			got, ok := f.Bool(tt.v)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Bool(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}

	jidTests := []struct {
		v      string
		want   JID
		wantOK bool
	}{
		{"who", JID{"juliet", "example.com", "balcony"}, true},
		{"bad", JID{}, false},
		{"empty", JID{}, false},
		{"lines", JID{}, false},
		{"padded-jid", JID{"romeo", "example.net", ""}, true}, // as in Validate
		{"missing", JID{}, false},
	}
	for _, tt := range jidTests {
		t.Run("JID "+tt.v, func(t *testing.T) {
			got, ok := f.JID(tt.v)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("JID(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}

	jidsTests := []struct {
		v      string
		want   []JID
		wantOK bool
	}{
		{"who2", []JID{{Local: "a", Domain: "example.com"}, {Local: "b", Domain: "example.com"}}, true},
		{"who3", nil, false},
		{"empty", nil, true},
		{"missing", nil, false},
	}
	for _, tt := range jidsTests {
		t.Run("JIDs "+tt.v, func(t *testing.T) {
			got, ok := f.JIDs(tt.v)
			if !reflect.DeepEqual(got, tt.want) || ok != tt.wantOK {
				t.Errorf("JIDs(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestGettersOnNilForm(t *testing.T) {
	var f *Form
	if _, ok := f.String("a"); ok {
		t.Error("String() on nil form: ok = true")
	}
	if _, ok := f.Bool("a"); ok {
		t.Error("Bool() on nil form: ok = true")
	}
	if got := f.FormType(); got != "" {
		t.Errorf("FormType() on nil form = %q", got)
	}
	if f.Clone() != nil {
		t.Error("Clone() of nil form is not nil")
	}
}

func TestFormTypeOptionComesFirst(t *testing.T) {
	f := New(TextSingle("a"), FormType("urn:one"), FormType("urn:two"))
	want := []Field{
		{Var: FormTypeVar, Type: FieldHidden, Values: []string{"urn:two"}},
		{Var: "a", Type: FieldTextSingle},
	}
	if !reflect.DeepEqual(f.Fields, want) {
		t.Errorf("Fields = %#v, want %#v", f.Fields, want)
	}
}

func TestEffectiveType(t *testing.T) {
	tests := []struct {
		typ  FieldType
		want FieldType
	}{
		{"", FieldTextSingle},
		{"text-Single", FieldTextSingle},
		{"x-custom", FieldTextSingle},
		{FieldBoolean, FieldBoolean},
		{FieldFixed, FieldFixed},
		{FieldHidden, FieldHidden},
		{FieldJIDMulti, FieldJIDMulti},
		{FieldJIDSingle, FieldJIDSingle},
		{FieldListMulti, FieldListMulti},
		{FieldListSingle, FieldListSingle},
		{FieldTextMulti, FieldTextMulti},
		{FieldTextPrivate, FieldTextPrivate},
		{FieldTextSingle, FieldTextSingle},
	}
	for _, tt := range tests {
		f := Field{Type: tt.typ}
		if got := f.EffectiveType(); got != tt.want {
			t.Errorf("Field{Type: %q}.EffectiveType() = %q, want %q", tt.typ, got, tt.want)
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	f := New(Title("t"), Instructions("i"),
		ListSingle("l", Value("a"), Options(Option{Value: "a"})),
		Reported(TextSingle("r")), Item(Var("r", "v")))
	c := f.Clone()
	if !reflect.DeepEqual(c, f) {
		t.Fatalf("Clone() = %#v, want %#v", c, f)
	}
	c.Instructions[0] = "x"
	c.Fields[0].Values[0] = "x"
	c.Fields[0].Options[0].Value = "x"
	c.Reported[0].Var = "x"
	c.Items[0][0].Values[0] = "x"
	if f.Instructions[0] != "i" || f.Fields[0].Values[0] != "a" || f.Fields[0].Options[0].Value != "a" ||
		f.Reported[0].Var != "r" || f.Items[0][0].Values[0] != "v" {
		t.Errorf("changing the clone changed the original: %#v", f)
	}
}

func TestWithValues(t *testing.T) {
	sent := New(
		FormType("urn:example"),
		Fixed("Header"),
		TextSingle("name", Value("default")),
		TextPrivate("secret"),
		ListMulti("l", Options(Option{Value: "a"}, Option{Value: "b"})),
		Boolean("untouched", Value("1")),
	)
	submitted := New(OfType(TypeSubmit),
		Var(FormTypeVar, "urn:changed"),
		Var("name", "typed"),
		Var("secret", "hunter2"),
		Var("l", "a", "b"),
		Var("extra", "x"),
	)
	got := sent.WithValues(submitted)
	want := New(
		FormType("urn:example"),
		Fixed("Header"),
		TextSingle("name", Value("typed")),
		TextPrivate("secret"),
		ListMulti("l", Value("a", "b"), Options(Option{Value: "a"}, Option{Value: "b"})),
		Boolean("untouched", Value("1")),
	)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WithValues() =\n%#v\nwant\n%#v", got, want)
	}
	if v, _ := sent.String("name"); v != "default" {
		t.Errorf("WithValues() changed the sent form: name = %q", v)
	}
}
