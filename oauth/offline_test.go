package oauth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// offlineNotifier reaches nobody: every user is offline in chat.
type offlineNotifier struct{}

func (offlineNotifier) NotifySignIn(context.Context, oauth.SignInNotice) error {
	return fmt.Errorf("push: %w", oauth.ErrUserOffline)
}

func (offlineNotifier) NotifyDevice(context.Context, oauth.DeviceNotice) error {
	return fmt.Errorf("push: %w", oauth.ErrUserOffline)
}

// TestRequestDeviceApprovalUserOffline checks what the device page's user
// is told when the request was not sent because they are offline in chat:
// to open their chat app and try again, not merely that it failed.
func TestRequestDeviceApprovalUserOffline(t *testing.T) {
	e := newEnv(t, func(c *oauth.Config) { c.Notifier = offlineNotifier{} })
	_, cred := e.register(t, deviceMeta())
	da, err := e.p.DeviceAuthorize(t.Context(), cred, "openid")
	if err != nil {
		t.Fatal(err)
	}
	err = e.p.RequestDeviceApproval(t.Context(), alice, da.UserCode)
	if errCode(err) != oauth.TemporarilyUnavailable || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("RequestDeviceApproval() = %v, want temporarily_unavailable saying the chat client is offline", err)
	}
}
