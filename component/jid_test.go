package component

import (
	"errors"
	"strings"
	"testing"
)

func TestBareJID(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "full", in: "alice@example.test/phone", want: "alice@example.test"},
		{name: "bare", in: "alice@example.test", want: "alice@example.test"},
		{name: "lower-cased", in: "Alice@Example.TEST/Res", want: "alice@example.test"},
		{name: "domain only", in: "example.test", want: "example.test"},
		{name: "domain with resource", in: "example.test/x", want: "example.test"},
		{name: "trailing dot", in: "alice@example.test.", want: "alice@example.test"},
		{name: "at sign in resource", in: "alice@example.test/a@b", want: "alice@example.test"},
		{name: "empty", in: "", wantErr: true},
		{name: "empty localpart", in: "@example.test", wantErr: true},
		{name: "empty domain", in: "alice@", wantErr: true},
		{name: "empty resource", in: "alice@example.test/", wantErr: true},
		{name: "space", in: "al ice@example.test", wantErr: true},
		{name: "quote in localpart", in: `al"ice@example.test`, wantErr: true},
		{name: "two at signs", in: "a@b@example.test", wantErr: true},
		{name: "too long", in: strings.Repeat("a", 1024) + "@example.test", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BareJID(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("BareJID(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("BareJID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUser(t *testing.T) {
	c := New(Config{UserDomains: []string{"Example.test", "other.test."}}, Handlers{})
	tests := []struct {
		name, from, want string
		wantCond         Condition
	}{
		{name: "user on a user domain", from: "alice@example.test/r", want: "alice@example.test"},
		{name: "second domain, normalized", from: "Bob@OTHER.test", want: "bob@other.test"},
		{name: "foreign domain", from: "eve@evil.test/r", wantCond: Forbidden},
		{name: "subdomain is not the domain", from: "eve@sub.example.test", wantCond: Forbidden},
		{name: "the server itself", from: "example.test", wantCond: Forbidden},
		{name: "malformed", from: "@example.test", wantCond: JIDMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.User(tt.from)
			if tt.wantCond == "" {
				if err != nil || got != tt.want {
					t.Errorf("User(%q) = %q, %v; want %q", tt.from, got, err, tt.want)
				}
				return
			}
			var se *StanzaError
			if !errors.As(err, &se) || se.Condition != tt.wantCond {
				t.Errorf("User(%q) error = %v, want condition %s", tt.from, err, tt.wantCond)
			}
		})
	}
}
