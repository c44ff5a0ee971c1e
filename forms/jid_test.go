package forms

import (
	"errors"
	"strings"
	"testing"
)

func TestParseJID(t *testing.T) {
	long := strings.Repeat("a", maxPartLen)
	tests := []struct {
		in      string
		want    JID
		wantErr string
	}{
		{in: "example.com", want: JID{Domain: "example.com"}},
		{in: "juliet@example.com", want: JID{Local: "juliet", Domain: "example.com"}},
		{in: "juliet@example.com/balcony", want: JID{"juliet", "example.com", "balcony"}},
		{in: "example.com/res", want: JID{Domain: "example.com", Resource: "res"}},
		{in: "juliet@example.com/a/b@c d", want: JID{"juliet", "example.com", "a/b@c d"}},
		{in: "juliet@example.com.", want: JID{Local: "juliet", Domain: "example.com"}},
		{in: "juliet@[::1]", want: JID{Local: "juliet", Domain: "[::1]"}},
		{in: "192.0.2.1", want: JID{Domain: "192.0.2.1"}},
		{in: "jürgen@müller.example", want: JID{Local: "jürgen", Domain: "müller.example"}},
		{in: "a-b@xn--mller-kva.example", want: JID{Local: "a-b", Domain: "xn--mller-kva.example"}},
		{in: long + "@" + "d/" + long, want: JID{long, "d", long}},

		{in: "", wantErr: "the domain is empty"},
		{in: "@example.com", wantErr: "the part before '@' is empty"},
		{in: "juliet@", wantErr: "the domain is empty"},
		{in: "juliet@example.com/", wantErr: "the part after '/' is empty"},
		{in: "/res", wantErr: "the domain is empty"},
		{in: "a@b@c", wantErr: "the domain may not contain '@'"},
		{in: long + "a@example.com", wantErr: "the user part is longer than 1023 bytes"},
		{in: "a@example.com/" + long + "a", wantErr: "the resource part is longer than 1023 bytes"},
		{in: "a@" + long + "a", wantErr: "the domain part is longer than 1023 bytes"},
		{in: `a"b@example.com`, wantErr: `may not contain '"'`},
		{in: "a&b@example.com", wantErr: "may not contain '&'"},
		{in: "a'b@example.com", wantErr: `may not contain '\''`},
		{in: "a:b@example.com", wantErr: "may not contain ':'"},
		{in: "a<b@example.com", wantErr: "may not contain '<'"},
		{in: "a>b@example.com", wantErr: "may not contain '>'"},
		{in: "a b@example.com", wantErr: "spaces"},
		{in: "a\x00b@example.com", wantErr: "control"},
		{in: "a@exa mple.com", wantErr: "the domain may not contain ' '"},
		{in: "a@example..com", wantErr: "empty label"},
		{in: "a@.example.com", wantErr: "empty label"},
		{in: "a@[::1", wantErr: "IPv6 literal"},
		{in: "a@[192.0.2.1]", wantErr: "IPv6 literal"},
		{in: "a@example.com/x\ty", wantErr: "the resource may not contain control characters"},
		{in: "a@ex\xffample.com", wantErr: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseJID(tt.in)
			if tt.wantErr != "" {
				var je *JIDError
				if !errors.As(err, &je) || !strings.Contains(je.Reason, tt.wantErr) {
					t.Fatalf("ParseJID(%q) error = %v, want a reason containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJID(%q) error = %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseJID(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestJIDString(t *testing.T) {
	tests := []struct {
		j          JID
		want, bare string
	}{
		{JID{"a", "b", "c"}, "a@b/c", "a@b"},
		{JID{Domain: "b", Resource: "c"}, "b/c", "b"},
		{JID{Domain: "b"}, "b", "b"},
	}
	for _, tt := range tests {
		if got := tt.j.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.j, got, tt.want)
		}
		if got := tt.j.Bare().String(); got != tt.bare {
			t.Errorf("%#v.Bare() = %q, want %q", tt.j, got, tt.bare)
		}
	}
}
