package adhoc_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
)

func TestRevokeAppsNoGrants(t *testing.T) {
	e := newCmdEnv(t)
	cmd := e.start(t, userAlice, adhoc.NodeRevokeApps, false)
	wantStatus(t, cmd, adhoc.StatusCompleted)
	wantNote(t, cmd, adhoc.NoteInfo, "You have not authorized any app")
}

func TestRevokeApps(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	_, radio := e.register(t, radioMeta())
	tvTokens := e.grantDevice(t, aliceBare, tv)
	radioTokens := e.grantDevice(t, aliceBare, radio)
	bobTokens := e.grantDevice(t, "bob@example.test", tv)

	pick := e.start(t, userAlice, adhoc.NodeRevokeApps, false)
	wantStatus(t, pick, adhoc.StatusExecuting)
	if pick.Actions == nil || !pick.Actions.Next || pick.Actions.Prev {
		t.Fatalf("actions of the first stage = %+v, want next", pick.Actions)
	}
	opts := options(t, pick.Form, "grants")
	tvID, ok := opts[`"TV" (tv.example.com)`]
	if !ok || len(opts) != 2 {
		t.Fatalf("options = %v, want TV and Radio labelled with their host", opts)
	}
	// profanity shows values, not labels: they must say which app.
	for label, v := range opts {
		if !regexp.MustCompile(`^(tv|radio)-[0-9a-f]{4}$`).MatchString(v) || !strings.Contains(label, `"`+map[byte]string{'t': "TV", 'r': "Radio"}[v[0]]+`"`) {
			t.Errorf("option %q has value %q, want the app's slug and a short ID", label, v)
		}
	}
	if fld, _ := pick.Form.Field("grants"); fld.Type != forms.FieldListMulti || !fld.Required {
		t.Fatalf("grants field = %+v, want a required list-multi", fld)
	}

	// Nothing picked: the engine's validation sends the form again.
	again := e.next(t, userAlice, pick, adhoc.ActionNext, one("grants"), false)
	wantStatus(t, again, adhoc.StatusExecuting)
	wantNote(t, again, adhoc.NoteError, "required")

	confirm := e.next(t, userAlice, pick, adhoc.ActionNext, one("grants", tvID), false)
	if !strings.Contains(fixedText(confirm.Form), `• "TV" (tv.example.com), authorized 2030-06-01`) || strings.Contains(fixedText(confirm.Form), "Radio") {
		t.Fatalf("confirmation shows %q, want TV only", fixedText(confirm.Form))
	}
	if a := confirm.Actions; a == nil || !a.Prev || !a.Complete || a.Next {
		t.Fatalf("confirmation actions = %+v, want prev and complete", a)
	}

	// Not ticked: shown again, nothing revoked.
	unticked := e.next(t, userAlice, confirm, adhoc.ActionComplete, one("confirm", "false"), false)
	wantStatus(t, unticked, adhoc.StatusExecuting)
	wantNote(t, unticked, adhoc.NoteError, "tick the box")
	if !e.active(t, tvTokens.AccessToken) {
		t.Fatal("TV's token inactive before the user confirmed")
	}

	// Back to the list, pick both, confirm.
	back := e.next(t, userAlice, unticked, adhoc.ActionPrev, nil, false)
	if _, ok := back.Form.Field("grants"); !ok {
		t.Fatalf("prev showed %+v, want the list of apps", back.Form)
	}
	confirm = e.next(t, userAlice, back, adhoc.ActionNext, one("grants", tvID, opts[`"Radio" (radio.example.com)`]), false)
	done := e.next(t, userAlice, confirm, adhoc.ActionExecute, one("confirm", "true"), false)
	wantStatus(t, done, adhoc.StatusCompleted)
	wantNote(t, done, adhoc.NoteInfo, "Revoked access of 2 app(s). Their tokens stopped working.")

	for name, tok := range map[string]string{
		"TV access": tvTokens.AccessToken, "TV refresh": tvTokens.RefreshToken, "Radio access": radioTokens.AccessToken,
	} {
		if e.active(t, tok) {
			t.Errorf("%s token active after revocation", name)
		}
	}
	if !e.active(t, bobTokens.AccessToken) {
		t.Error("bob's token of the same app stopped working")
	}
	list := e.start(t, userAlice, adhoc.NodeListApps, false)
	wantNote(t, list, adhoc.NoteInfo, "You have not authorized any app.")
}

func TestRevokeAppsGrantVanished(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	_, radio := e.register(t, radioMeta())
	e.grantDevice(t, aliceBare, tv)
	radioTokens := e.grantDevice(t, aliceBare, radio)

	pick := e.start(t, userAlice, adhoc.NodeRevokeApps, false)
	opts := options(t, pick.Form, "grants")
	confirm := e.next(t, userAlice, pick, adhoc.ActionNext,
		one("grants", opts[`"TV" (tv.example.com)`], opts[`"Radio" (radio.example.com)`]), false)
	// Meanwhile, from another client, TV's access ends.
	grants, err := e.p.Grants(t.Context(), aliceBare)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if g.App.Name == "TV" {
			if err := e.p.RevokeGrants(t.Context(), aliceBare, g.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	done := e.next(t, userAlice, confirm, adhoc.ActionComplete, one("confirm", "1"), false)
	wantStatus(t, done, adhoc.StatusCompleted)
	wantNote(t, done, adhoc.NoteInfo, "Revoked access of 1 app(s).")
	wantNote(t, done, adhoc.NoteError, `"TV" (tv.example.com), authorized 2030-06-01 had no access any more`)
	if e.active(t, radioTokens.AccessToken) {
		t.Error("Radio's token active after revocation")
	}

	// Everything gone meanwhile: only the error note.
	_, tv2 := e.register(t, tvMeta())
	e.grantDevice(t, aliceBare, tv2)
	pick = e.start(t, userAlice, adhoc.NodeRevokeApps, false)
	var id string
	for _, v := range options(t, pick.Form, "grants") {
		id = v
	}
	confirm = e.next(t, userAlice, pick, adhoc.ActionNext, one("grants", id), false)
	if _, err := e.p.RevokeUser(t.Context(), aliceBare); err != nil {
		t.Fatal(err)
	}
	done = e.next(t, userAlice, confirm, adhoc.ActionComplete, one("confirm", "true"), false)
	wantStatus(t, done, adhoc.StatusCompleted)
	if len(done.Notes) != 1 || done.Notes[0].Type != adhoc.NoteError {
		t.Fatalf("notes = %+v, want one error note", done.Notes)
	}
}
