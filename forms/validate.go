package forms

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Problem is one reason a submission was rejected by [Validate].
type Problem struct {
	// Var is the field concerned; "" for a problem with the form as a whole.
	Var string
	// Label is the field's label as sent, for messages; "" if it had none.
	Label string
	// Message is a complete sentence for the user, naming the field by its
	// label (or var).
	Message string
}

// ValidationError lists every problem found in a submission. The ad-hoc
// command engine shows each Message as an error note beside the form it sends
// again.
type ValidationError struct {
	Problems []Problem
}

// Error joins the problems' messages.
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "forms: invalid submission: " + strings.Join(msgs, " ")
}

// Validate checks a submission against the form that was sent, as a form
// processor must (XEP-0004 §4 leaves validation to it):
//
//   - the submission is of type "submit";
//   - FORM_TYPE, when the submission has one, equals the one sent (XEP-0068),
//     and every other hidden field that comes back is unchanged;
//   - required fields are present with a non-empty value;
//   - single-valued field types carry at most one value (XEP-0004 §3.2);
//   - boolean values are 1, true, 0 or false;
//   - jid-single and jid-multi values are valid JIDs ([ParseJID]);
//   - list-single and list-multi values are among the options sent
//     ("MUST NOT insert new options", XEP-0004 §3.3).
//
// Field types are taken from the form sent, never from the submission, since
// submitting clients usually omit them. Fields the sent form did not have are
// ignored, as XEP-0004 §3.1 requires; so are fixed fields. A hidden field left
// out of the submission counts as returned unchanged. Empty values count as
// no value. A nil submission is checked as an empty one.
//
// The error is a *[ValidationError] listing every problem, or nil.
func Validate(sent, submitted *Form) error {
	if sent == nil {
		return errors.New("forms: validate: no form was sent")
	}
	if submitted == nil {
		submitted = &Form{Type: TypeSubmit}
	}
	var probs []Problem
	if submitted.Type != TypeSubmit {
		probs = append(probs, Problem{Message: fmt.Sprintf("The form must be submitted with type %q, not %q.", TypeSubmit, submitted.Type)})
	}
	for i := range sent.Fields {
		probs = append(probs, checkField(&sent.Fields[i], submitted)...)
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

// checkField returns the problems of the submitted value of the sent field.
func checkField(sent *Field, submitted *Form) []Problem {
	t := sent.EffectiveType()
	if t == FieldFixed || sent.Var == "" {
		return nil
	}
	name := sent.Label
	if name == "" {
		name = sent.Var
	}
	problem := func(format string, args ...any) []Problem {
		return []Problem{{Var: sent.Var, Label: sent.Label, Message: fmt.Sprintf("%q ", name) + fmt.Sprintf(format, args...)}}
	}

	var sub *Field
	for i := range submitted.Fields {
		if submitted.Fields[i].Var != sent.Var {
			continue
		}
		if sub != nil {
			return problem("was submitted more than once.")
		}
		sub = &submitted.Fields[i]
	}

	if t == FieldHidden {
		if sub != nil && !slices.Equal(sub.Values, sent.Values) {
			if sent.Var == FormTypeVar {
				return []Problem{{Var: sent.Var, Message: fmt.Sprintf("This form is of type %q, but the submission is of type %q.", strings.Join(sent.Values, " "), strings.Join(sub.Values, " "))}}
			}
			return problem("is a hidden field and must be returned unchanged.")
		}
		return nil
	}

	var values []string
	if sub != nil {
		values = slices.DeleteFunc(slices.Clone(sub.Values), func(s string) bool { return s == "" })
	}
	if len(values) == 0 {
		if sent.Required {
			return problem("is required.")
		}
		return nil
	}
	if !t.multiValued() && len(values) > 1 {
		return problem("takes a single value, but %d were given.", len(values))
	}

	var probs []Problem
	switch t {
	case FieldBoolean:
		if _, ok := parseBool(values[0]); !ok {
			probs = append(probs, problem("must be true or false, not %q.", values[0])...)
		}
	case FieldJIDSingle, FieldJIDMulti:
		for _, v := range values {
			if _, err := ParseJID(v); err != nil {
				probs = append(probs, problem("has %q, which is not a valid address: %s.", v, jidReason(err))...)
			}
		}
	case FieldListSingle, FieldListMulti:
		for _, v := range values {
			if !slices.ContainsFunc(sent.Options, func(o Option) bool { return o.Value == v }) {
				probs = append(probs, problem("has %q, which is not one of the choices offered.", v)...)
			}
		}
	}
	return probs
}
