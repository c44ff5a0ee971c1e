package component

import (
	"context"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// limitedCore answers every request with err.
type limitedCore struct{ err error }

func (c limitedCore) DecideSignIn(context.Context, string, string, bool) (oauth.SignIn, error) {
	return oauth.SignIn{}, c.err
}

func (c limitedCore) LookupDevice(context.Context, string, string) (oauth.DeviceRequest, error) {
	return oauth.DeviceRequest{}, c.err
}

func (c limitedCore) DecideDevice(context.Context, string, string, bool) error { return c.err }

func TestChatRateLimitReplies(t *testing.T) {
	tests := []struct {
		name string
		err  *oauth.Error
		body string
		want string
	}{
		{"per user, code alone", &oauth.Error{Code: oauth.TooManyRequests, Description: "too many wrong codes; try again later", RetryAfter: 42},
			"BBBB-BBBB", "Too many wrong codes. Wait 42 seconds, then try again."},
		{"per user, approval", &oauth.Error{Code: oauth.TooManyRequests, Description: "too many wrong codes; try again later", RetryAfter: 1},
			"yes BBBB-BBBB", "Too many wrong codes. Wait a second, then try again."},
		{"all users", &oauth.Error{Code: oauth.TooManyRequests, Description: "too many wrong codes were entered on this service; try again later", RetryAfter: 300},
			"no BBBB-BBBB", "Too many wrong codes were entered on this service. Wait 5 minutes, then try again."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBridge("Test", nil, nil)
			b.core = limitedCore{tt.err}
			// The first answer also suggests adding the component
			// as a contact.
			if got, _, _ := strings.Cut(b.chat(t.Context(), "alice@example.test", tt.body, ""), "\n\nTip: "); got != tt.want {
				t.Fatalf("chat(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}
