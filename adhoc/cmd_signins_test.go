package adhoc_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
)

// finish is what the waiting browser does once the user answered: it gets
// the URL to go on to (the client's redirect URI with a code or an error).
func (e *cmdEnv) finish(t *testing.T, id string) url.Values {
	t.Helper()
	to, err := e.p.FinishSignIn(t.Context(), id)
	if err != nil {
		t.Fatalf("FinishSignIn() = %v", err)
	}
	u, err := url.Parse(to)
	if err != nil {
		t.Fatalf("FinishSignIn() gave %q: %v", to, err)
	}
	return u.Query()
}

func TestPendingSignInsNone(t *testing.T) {
	e := newCmdEnv(t)
	c, _ := e.register(t, webMeta("Example App"))
	e.startSignIn(t, c, "bob@example.test") // someone else's
	cmd := e.start(t, userAlice, adhoc.NodeSignIns, false)
	wantStatus(t, cmd, adhoc.StatusCompleted)
	wantNote(t, cmd, adhoc.NoteInfo, "No sign-in is waiting for your answer.")
}

func TestPendingSignInsOne(t *testing.T) {
	tests := []struct {
		name     string
		decision string
		note     string
		wantCode bool
	}{
		{"approve", "approve", "Approved.", true},
		{"deny", "deny", "Denied.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t)
			c, _ := e.register(t, webMeta("Example App"))
			s := e.startSignIn(t, c, aliceBare)
			// With one sign-in waiting, it is shown at once.
			show := e.start(t, userAlice, adhoc.NodeSignIns, false)
			wantStatus(t, show, adhoc.StatusExecuting)
			text := fixedText(show.Form)
			for _, want := range []string{`App: "Example App" (app.example.com)`, "Code: " + s.Code,
				"Asked at 2030-06-01 12:00 UTC", "Valid until 2030-06-01 12:05 UTC", "Confirm your XMPP address", "See your user name",
				"Approve only if you are signing in to this app right now"} {
				if !strings.Contains(text, want) {
					t.Errorf("sign-in details %q lack %q", text, want)
				}
			}
			if show.Actions == nil || show.Actions.Prev || !show.Actions.Complete {
				t.Errorf("actions = %+v, want complete only", show.Actions)
			}
			done := e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", tt.decision), false)
			wantStatus(t, done, adhoc.StatusCompleted)
			wantNote(t, done, adhoc.NoteInfo, tt.note)

			q := e.finish(t, s.ID)
			if got := q.Get("code") != ""; got != tt.wantCode {
				t.Fatalf("redirect query %v: has code = %v, want %v", q, got, tt.wantCode)
			}
			if !tt.wantCode && q.Get("error") != "access_denied" {
				t.Fatalf("redirect query %v, want error=access_denied", q)
			}
		})
	}
}

func TestPendingSignInsPick(t *testing.T) {
	e := newCmdEnv(t)
	first, _ := e.register(t, webMeta("First App"))
	second, _ := e.register(t, webMeta("Second App"))
	s1 := e.startSignIn(t, first, aliceBare)
	e.clock.Advance(time.Minute)
	s2 := e.startSignIn(t, second, aliceBare)

	pick := e.start(t, userAlice, adhoc.NodeSignIns, false)
	opts := options(t, pick.Form, "signin")
	first1, second2 := s1.Code+` — "First App" (app.example.com)`, s2.Code+` — "Second App" (app.example.com)`
	if len(opts) != 2 || opts[first1] != s1.Code || opts[second2] != s2.Code {
		t.Fatalf("options = %v, want CODE — app for both, valued by the code", opts)
	}
	show := e.next(t, userAlice, pick, adhoc.ActionNext, one("signin", opts[first1]), false)
	if !strings.Contains(fixedText(show.Form), "First App") {
		t.Fatalf("details = %q, want First App", fixedText(show.Form))
	}
	// Back to the list, pick the second one and approve it.
	back := e.next(t, userAlice, show, adhoc.ActionPrev, nil, false)
	show = e.next(t, userAlice, back, adhoc.ActionNext, one("signin", opts[second2]), false)
	if !strings.Contains(fixedText(show.Form), "Asked at 2030-06-01 12:01 UTC") {
		t.Fatalf("details = %q, want the second sign-in", fixedText(show.Form))
	}
	done := e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", "approve"), false)
	wantNote(t, done, adhoc.NoteInfo, "Approved.")
	if q := e.finish(t, s2.ID); q.Get("code") == "" || q.Get("state") != "st" {
		t.Fatalf("second sign-in's redirect %v, want a code and the state", q)
	}
	if _, err := e.p.FinishSignIn(t.Context(), s1.ID); errCode(t, err) != "authorization_pending" {
		t.Fatalf("first sign-in finished = %v, want still pending", err)
	}
}

func TestPendingSignInsEndMeanwhile(t *testing.T) {
	tests := []struct {
		name      string
		meanwhile func(t *testing.T, e *cmdEnv, id string)
		note      string
	}{
		{"expired", func(_ *testing.T, e *cmdEnv, _ string) { e.clock.Advance(6 * time.Minute) }, "expired"},
		{"answered elsewhere", func(t *testing.T, e *cmdEnv, id string) {
			if _, err := e.p.DecideSignIn(t.Context(), aliceBare, id, false); err != nil {
				t.Fatal(err)
			}
		}, "was already answered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t)
			c, _ := e.register(t, webMeta("Example App"))
			s := e.startSignIn(t, c, aliceBare)
			show := e.start(t, userAlice, adhoc.NodeSignIns, false)
			tt.meanwhile(t, e, s.ID)
			done := e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", "approve"), false)
			wantStatus(t, done, adhoc.StatusCompleted)
			wantNote(t, done, adhoc.NoteError, tt.note)
		})
	}
}
