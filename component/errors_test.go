package component

import (
	"encoding/xml"
	"errors"
	"fmt"
	"testing"
)

func TestStanzaErrorXML(t *testing.T) {
	tests := []struct {
		name string
		in   *StanzaError
		want string
		// parsed is what parseStanzaError reads back; nil means in with
		// the default type filled in.
		parsed *StanzaError
	}{
		{
			name: "default type",
			in:   NewStanzaError(ServiceUnavailable, ""),
			want: `<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`,
		},
		{
			name: "text is escaped",
			in:   NewStanzaError(Forbidden, "a <b> & 'c'"),
			want: `<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>a &lt;b&gt; &amp; &#39;c&#39;</text></error>`,
		},
		{
			name: "application-specific condition",
			in:   &StanzaError{Type: ErrorTypeModify, Condition: BadRequest, Specific: xml.Name{Space: NSCommands, Local: "bad-sessionid"}},
			want: `<error type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><bad-sessionid xmlns='http://jabber.org/protocol/commands'/></error>`,
		},
		{
			name:   "no condition",
			in:     &StanzaError{},
			want:   `<error type='cancel'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`,
			parsed: &StanzaError{Type: ErrorTypeCancel, Condition: UndefinedCondition},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.in.appendXML(nil))
			if got != tt.want {
				t.Errorf("appendXML = %s, want %s", got, tt.want)
			}
			raw, err := ParseRawElement([]byte(got))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.parsed
			if want == nil {
				w := *tt.in
				w.Type = tt.in.errorType()
				want = &w
			}
			if back := parseStanzaError(raw); *back != *want {
				t.Errorf("parseStanzaError = %+v, want %+v", back, want)
			}
		})
	}
}

func TestStanzaErrorWrapped(t *testing.T) {
	err := fmt.Errorf("run command: %w", NewStanzaError(ItemNotFound, "no such app"))
	se, ok := asStanzaError(err)
	if !ok || se.Condition != ItemNotFound {
		t.Fatalf("asStanzaError(%v) = %v, %v", err, se, ok)
	}
	if got, want := err.Error(), "run command: stanza error: item-not-found: no such app"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestStreamErrorIsNotAuthorized(t *testing.T) {
	tests := []struct {
		cond string
		want bool
	}{
		{"not-authorized", true},
		{"host-unknown", false},
		{"conflict", false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			err := fmt.Errorf("handshake: %w", &StreamError{Condition: tt.cond})
			if got := errors.Is(err, ErrNotAuthorized); got != tt.want {
				t.Errorf("errors.Is(%v, ErrNotAuthorized) = %v, want %v", err, got, tt.want)
			}
		})
	}
}
