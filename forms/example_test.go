package forms_test

import (
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/xmppoauth/xmppoauth/forms"
)

// Example builds a form, checks a submission against it and reads the values.
func Example() {
	sent := forms.New(
		forms.FormType("urn:example:device"),
		forms.Title("Approve a device"),
		forms.TextSingle("user_code", forms.Label("Code"), forms.Required()),
		forms.ListMulti("scope", forms.Label("Access"),
			forms.Options(forms.Option{Label: "Read", Value: "read"}, forms.Option{Label: "Write", Value: "write"})),
		forms.Boolean("remember", forms.Label("Remember this device")),
	)

	submitted, err := forms.Parse([]byte(`<x xmlns='jabber:x:data' type='submit'>
		<field var='FORM_TYPE'><value>urn:example:device</value></field>
		<field var='scope'><value>read</value><value>admin</value></field>
		<field var='remember'><value>1</value></field>
	</x>`))
	if err != nil {
		panic(err)
	}
	var verr *forms.ValidationError
	if errors.As(forms.Validate(sent, submitted), &verr) {
		for _, p := range verr.Problems {
			fmt.Println(p.Message)
		}
	}
	remember, _ := submitted.Bool("remember")
	fmt.Println("remember:", remember)
	// Output:
	// "Code" is required.
	// "Access" has "admin", which is not one of the choices offered.
	// remember: true
}

// ExampleNew shows the XML of a small form.
func ExampleNew() {
	f := forms.New(
		forms.Title("Sign in"),
		forms.TextSingle("user_code", forms.Label("Code"), forms.Required()),
	)
	out, _ := xml.Marshal(f)
	fmt.Println(string(out))
	// Output:
	// <x xmlns="jabber:x:data" type="form"><title>Sign in</title><field var="user_code" type="text-single" label="Code"><required></required></field></x>
}
