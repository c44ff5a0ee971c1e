package adhoc_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
)

func TestAdminEmpty(t *testing.T) {
	e := newCmdEnv(t)
	tests := []struct {
		node string
		note string
	}{
		{adhoc.NodeListClients, "No client is registered."},
		{adhoc.NodeDeleteClient, "No client is registered."},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			cmd := e.start(t, userAdmin, tt.node, true)
			wantStatus(t, cmd, adhoc.StatusCompleted)
			wantNote(t, cmd, adhoc.NoteInfo, tt.note)
		})
	}
}

func TestAdminListClients(t *testing.T) {
	e := newCmdEnv(t)
	web, _ := e.register(t, webMeta("Example App"))
	tv, _ := e.register(t, tvMeta())
	cmd := e.start(t, userAdmin, adhoc.NodeListClients, true)
	wantStatus(t, cmd, adhoc.StatusCompleted)
	if cmd.Form == nil || cmd.Form.Type != forms.TypeResult || len(cmd.Form.Reported) != 5 {
		t.Fatalf("form = %+v, want a result table of 5 columns", cmd.Form)
	}
	byID := map[string]map[string]string{}
	for _, r := range rows(cmd.Form) {
		byID[r["client_id"]] = r
	}
	want := map[string]map[string]string{
		web.ID: {"name": "Example App", "type": "web, confidential", "grant_types": "authorization_code, refresh_token", "created": "2030-06-01 12:00 UTC"},
		tv.ID:  {"name": "TV", "type": "web, public", "grant_types": "device_code, refresh_token", "created": "2030-06-01 12:00 UTC"},
	}
	if len(byID) != len(want) {
		t.Fatalf("rows = %v, want %d", byID, len(want))
	}
	for id, w := range want {
		for k, v := range w {
			if got := byID[id][k]; got != v {
				t.Errorf("client %s: %s = %q, want %q", w["name"], k, got, v)
			}
		}
	}
}

func TestAdminDeleteClient(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	radio, radioCred := e.register(t, radioMeta())
	tvTokens := e.grantDevice(t, aliceBare, tv)
	radioTokens := e.grantDevice(t, aliceBare, radioCred)

	pick := e.start(t, userAdmin, adhoc.NodeDeleteClient, true)
	opts := options(t, pick.Form, "client")
	label := `"Radio" (radio.example.com), client_id ` + radio.ID
	if len(opts) != 2 || opts[label] != "radio-"+radio.ID[:4] {
		t.Fatalf("options = %v, want both clients labelled with host and client_id, and values of the name's slug and a short ID", opts)
	}
	confirm := e.next(t, userAdmin, pick, adhoc.ActionNext, one("client", opts[label]), true)
	if !strings.Contains(fixedText(confirm.Form), "Client: "+label) {
		t.Fatalf("confirmation = %q, want %q", fixedText(confirm.Form), label)
	}
	again := e.next(t, userAdmin, confirm, adhoc.ActionComplete, one("confirm", "0"), true)
	wantNote(t, again, adhoc.NoteError, "tick the box")
	// A non-admin cannot take over the admin's session, nor use its own.
	if _, err := e.send(t, userAdmin, again, adhoc.ActionComplete, one("confirm", "1"), false); err == nil {
		t.Fatal("the session went on without admin rights")
	}
	done := e.next(t, userAdmin, again, adhoc.ActionComplete, one("confirm", "1"), true)
	wantStatus(t, done, adhoc.StatusCompleted)
	wantNote(t, done, adhoc.NoteInfo, "Deleted "+label+".")
	if e.active(t, radioTokens.AccessToken) {
		t.Error("deleted client's token still active")
	}
	if !e.active(t, tvTokens.AccessToken) {
		t.Error("other client's token stopped working")
	}

	// Deleted by someone else while the admin was confirming.
	pick = e.start(t, userAdmin, adhoc.NodeDeleteClient, true)
	confirm = e.next(t, userAdmin, pick, adhoc.ActionNext, one("client", "tv-"+tv.ID[:4]), true)
	if err := e.p.DeleteClient(t.Context(), tv.ID); err != nil {
		t.Fatal(err)
	}
	done = e.next(t, userAdmin, confirm, adhoc.ActionComplete, one("confirm", "true"), true)
	wantStatus(t, done, adhoc.StatusCompleted)
	wantNote(t, done, adhoc.NoteError, "no longer exists")
}

func TestAdminRevokeUser(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	_, radio := e.register(t, radioMeta())
	a1 := e.grantDevice(t, aliceBare, tv)
	a2 := e.grantDevice(t, aliceBare, radio)
	b := e.grantDevice(t, "bob@example.test", tv)

	form := e.start(t, userAdmin, adhoc.NodeRevokeUser, true)
	if fld, ok := form.Form.Field("jid"); !ok || fld.Type != forms.FieldJIDSingle || !fld.Required {
		t.Fatalf("jid field = %+v", fld)
	}
	bad := e.next(t, userAdmin, form, adhoc.ActionNext, one("jid", "not a jid@"), true)
	wantStatus(t, bad, adhoc.StatusExecuting)
	wantNote(t, bad, adhoc.NoteError, "not a valid address")

	nobody := e.next(t, userAdmin, form, adhoc.ActionNext, one("jid", "carol@example.test"), true)
	wantStatus(t, nobody, adhoc.StatusCompleted)
	wantNote(t, nobody, adhoc.NoteInfo, "carol@example.test has not authorized any app")

	form = e.start(t, userAdmin, adhoc.NodeRevokeUser, true)
	confirm := e.next(t, userAdmin, form, adhoc.ActionNext, one("jid", "Alice@Example.test/phone"), true)
	text := fixedText(confirm.Form)
	for _, want := range []string{"alice@example.test has authorized 2 app(s)", `• "TV" (tv.example.com), authorized 2030-06-01`, `• "Radio" (radio.example.com), authorized 2030-06-01`} {
		if !strings.Contains(text, want) {
			t.Errorf("confirmation %q lacks %q", text, want)
		}
	}
	again := e.next(t, userAdmin, confirm, adhoc.ActionComplete, nil, true)
	wantStatus(t, again, adhoc.StatusExecuting)
	done := e.next(t, userAdmin, again, adhoc.ActionComplete, one("confirm", "true"), true)
	wantStatus(t, done, adhoc.StatusCompleted)
	wantNote(t, done, adhoc.NoteInfo, "Revoked 2 authorization(s) of alice@example.test.")
	for _, tok := range []string{a1.AccessToken, a1.RefreshToken, a2.AccessToken} {
		if e.active(t, tok) {
			t.Error("alice's token active after her access was revoked")
		}
	}
	if !e.active(t, b.AccessToken) {
		t.Error("bob's token stopped working")
	}
}

func TestAdminStats(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	web, _ := e.register(t, webMeta("Example App"))
	e.grantDevice(t, aliceBare, tv)
	e.startDevice(t, tv, "openid")
	e.startSignIn(t, web, aliceBare)

	cmd := e.start(t, userAdmin, adhoc.NodeStats, true)
	wantStatus(t, cmd, adhoc.StatusCompleted)
	if cmd.Form == nil || cmd.Form.Type != forms.TypeResult {
		t.Fatalf("form = %+v, want a result", cmd.Form)
	}
	want, err := e.p.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want.Clients != 2 || want.Grants != 1 || want.PendingSignIn != 1 {
		t.Fatalf("core's Stats() = %+v; test setup is off", want)
	}
	for v, n := range map[string]int{
		"clients": want.Clients, "grants": want.Grants, "active_tokens": want.ActiveTokens,
		"pending_codes": want.PendingCodes, "pending_sign_ins": want.PendingSignIn,
	} {
		fld, ok := cmd.Form.Field(v)
		if !ok || fld.Label == "" || len(fld.Values) != 1 || fld.Values[0] != strconv.Itoa(n) {
			t.Errorf("field %s = %+v, want %d with a label", v, fld, n)
		}
	}
}
