package component

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// replyRecorder keeps the chat replies of a bridge.
type replyRecorder struct {
	mu   sync.Mutex
	sent []string // "to: body"
}

func (r *replyRecorder) sendMessage(_ context.Context, to, _, _, body string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, to+": "+body)
	return nil
}

// codeCore records the codes it is asked about and answers as the core
// does for a code it does not find.
type codeCore struct {
	limitedCore
	mu    sync.Mutex
	codes []string
}

func (c *codeCore) DecideSignIn(_ context.Context, _, ref string, _ bool) (oauth.SignIn, error) {
	c.mu.Lock()
	c.codes = append(c.codes, ref)
	c.mu.Unlock()
	return oauth.SignIn{}, oauth.Errorf(oauth.InvalidRequest, "you have no pending sign-in with code %q", ref)
}

func newChatBridge(t *testing.T, core Core) (*Bridge, *replyRecorder) {
	t.Helper()
	b := NewBridge("Test", nil, nil)
	rec := &replyRecorder{}
	b.Handlers(core, adhoc.New(adhoc.Options{}), nil)
	b.out = rec
	return b, rec
}

// TestChatRepliesAreLimitedPerJID checks that the component answers at
// most chatLimit chat messages of one user per window, says once that the
// user sends too many, and answers other users as before.
func TestChatRepliesAreLimitedPerJID(t *testing.T) {
	b, rec := newChatBridge(t, &codeCore{})
	msg := func(from, body string) Message {
		bare, _ := BareJID(from)
		return Message{Type: "chat", From: from, User: bare, Body: body}
	}
	for range chatLimit + 10 {
		if err := b.message(t.Context(), msg("alice@example.test/phone", "hello")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.message(t.Context(), msg("bob@example.test/pc", "hello")); err != nil {
		t.Fatal(err)
	}
	var alice, warnings, bob int
	for _, s := range rec.sent {
		switch {
		case strings.HasPrefix(s, "alice@example.test/phone: This is Test"):
			alice++
		case strings.HasPrefix(s, "alice@example.test/phone: You are sending messages faster"):
			warnings++
		case strings.HasPrefix(s, "bob@example.test/pc: This is Test"):
			bob++
		default:
			t.Errorf("unexpected reply %q", s)
		}
	}
	if alice != chatLimit || warnings != 1 || bob != 1 {
		t.Errorf("replies: %d to alice, %d warnings, %d to bob; want %d, 1, 1", alice, warnings, bob, chatLimit)
	}
}

// TestChatRepliesEchoOnlyAnExcerpt checks that a reply repeats no more of
// what was sent than a short run of letters, digits and hyphens.
func TestChatRepliesEchoOnlyAnExcerpt(t *testing.T) {
	b, _ := newChatBridge(t, &codeCore{})
	for _, body := range []string{
		"yes https://evil.example/" + strings.Repeat("A", 500),
		"no SECURITY-NOTICE:visit-evil.example-now",
		"yes \u202eKXT-PQR-EXTRA-LETTERS-HERE",
	} {
		got := b.chat(t.Context(), "alice@example.test", body, "")
		quoted, _, _ := strings.Cut(strings.TrimPrefix(got, `"`), `"`)
		if !strings.HasPrefix(got, `"`) || utf8.RuneCountInString(quoted) > maxExcerpt+1 || strings.ContainsAny(quoted, ":/.\u202e") {
			t.Errorf("chat(%q) = %q, want it to quote at most %d letters, digits or hyphens of it", body, got, maxExcerpt)
		}
	}
}

// TestChatCodesKeepTheirHyphen checks that the core is asked about a
// sign-in code as users see it, so that its answer reads "KXT-PQR" and
// not "KXTPQR".
func TestChatCodesKeepTheirHyphen(t *testing.T) {
	core := &codeCore{}
	b, _ := newChatBridge(t, core)
	got := b.chat(t.Context(), "alice@example.test", "yes cjr www", "")
	if !strings.Contains(got, `"CJR-WWW"`) || len(core.codes) != 1 || core.codes[0] != "CJR-WWW" {
		t.Errorf("yes cjr www: core asked about %q, reply %q; want CJR-WWW", core.codes, got)
	}
}

// TestChatHelp checks that the help names both forms of codes, every
// user command with its node (what profanity users type), and suggests
// adding the component as a contact.
func TestChatHelp(t *testing.T) {
	b, _ := newChatBridge(t, &codeCore{})
	got := b.chat(t.Context(), "alice@example.test", "hello", "")
	for _, want := range []string{"KXT-PQR", "WDJB-MJHT", `"yes CODE"`, `"no CODE"`,
		"List authorized apps (apps)", "Revoke app access (revoke)", "Approve a device (approve-device)", "Pending sign-ins (pending)",
		"to your contacts"} {
		if !strings.Contains(got, want) {
			t.Errorf("help %q lacks %q", got, want)
		}
	}
}

// TestChatFirstAnswerSuggestsAContact checks that the first answer to a
// user who has not added the component as a contact says how, and later
// answers do not repeat it.
func TestChatFirstAnswerSuggestsAContact(t *testing.T) {
	b, _ := newChatBridge(t, &codeCore{})
	if got := b.chat(t.Context(), "alice@example.test", "yes KXT-PQR", ""); !strings.Contains(got, "to your contacts") {
		t.Errorf("first answer %q, want the contact tip", got)
	}
	if got := b.chat(t.Context(), "alice@example.test", "yes KXT-PQR", ""); strings.Contains(got, "to your contacts") {
		t.Errorf("second answer %q, want no tip", got)
	}
}

// TestPushSkipsUsersKnownOffline checks that no request is pushed to a
// user the component knows to be offline: a server could keep it and
// deliver it long after it ended.
func TestPushSkipsUsersKnownOffline(t *testing.T) {
	b, _ := newChatBridge(t, &codeCore{})
	c := newTestComponent(t, Handlers{})
	b.Attach(c)
	const user = "alice@example.test"
	feed(t, c, presence("subscribe", user))
	feed(t, c, presence("subscribed", user))
	feed(t, c, presence("unavailable", user+"/phone"))
	if err := b.NotifySignIn(t.Context(), oauth.SignInNotice{JID: user, Code: "KXT-PQR", URL: "https://x"}); !errors.Is(err, ErrUserOffline) {
		t.Errorf("NotifySignIn() to a user known offline = %v, want ErrUserOffline", err)
	}
	if err := b.NotifyDevice(t.Context(), oauth.DeviceNotice{JID: user, UserCode: "WDJB-MJHT", URL: "https://x"}); !errors.Is(err, ErrUserOffline) {
		t.Errorf("NotifyDevice() to a user known offline = %v, want ErrUserOffline", err)
	}
}
