package adhoc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// errCode is the code of an *oauth.Error, or "" for nil.
func errCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	e, ok := oauth.AsError(err)
	if !ok {
		t.Fatalf("error %v is not an *oauth.Error", err)
	}
	return e.Code
}

func TestApproveDeviceCodeForm(t *testing.T) {
	e := newCmdEnv(t)
	cmd := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
	wantStatus(t, cmd, adhoc.StatusExecuting)
	fld, ok := cmd.Form.Field("user_code")
	if !ok || fld.Type != forms.FieldTextSingle || !fld.Required || fld.Label != "Code shown on the device" {
		t.Fatalf("user_code field = %+v", fld)
	}
	if !strings.Contains(fixedText(cmd.Form), "Enter the code your device shows, e.g. WDJB-MJHT.") {
		t.Errorf("instructions = %q", cmd.Form.Instructions)
	}
}

func TestApproveDevice(t *testing.T) {
	tests := []struct {
		name     string
		decision string
		wantNote string
		wantPoll string // error code of the device's next poll; "" for tokens
	}{
		{"approve", "approve", "Approved. The device will sign in within a few seconds.", ""},
		{"deny", "deny", "Denied.", oauth.AccessDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t)
			_, tv := e.register(t, tvMeta())
			d := e.startDevice(t, tv, "openid xmpp")
			e.clock.Advance(2 * time.Minute)

			form := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
			// The code as a user might type it.
			typed := strings.ToLower(strings.ReplaceAll(d.auth.UserCode, "-", " "))
			show := e.next(t, userAlice, form, adhoc.ActionNext, one("user_code", typed), false)
			wantStatus(t, show, adhoc.StatusExecuting)
			text := fixedText(show.Form)
			for _, want := range []string{
				"Approve only if you started this on a device you hold\nyourself. If someone sent you this code, deny.",
				`App: "TV" (tv.example.com)`,
				"Code: " + d.auth.UserCode,
				"Asked at 2030-06-01 12:00 UTC",
				"Valid until 2030-06-01 12:10 UTC",
				"Confirm your XMPP address to the app (sign in)",
				"Full access to your XMPP account",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("device details %q lack %q", text, want)
				}
			}
			if opts := options(t, show.Form, "decision"); opts["Approve"] != "approve" || opts["Deny"] != "deny" {
				t.Errorf("decision options = %v", opts)
			}
			fld, _ := show.Form.Field("decision")
			if fld.Type != forms.FieldListSingle || !fld.Required || len(fld.Values) != 0 {
				t.Errorf("decision field = %+v, want a required list-single without default", fld)
			}
			// poezio always shows (and submits) an option of a
			// list-single: the first one decides nothing.
			if len(fld.Options) != 3 || fld.Options[0].Value != "choose" {
				t.Errorf("decision options = %+v, want \"choose\" first", fld.Options)
			}
			if _, err := e.poll(t, d); errCode(t, err) != oauth.AuthorizationPending {
				t.Fatalf("poll before the answer = %v", err)
			}

			done := e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", tt.decision), false)
			wantStatus(t, done, adhoc.StatusCompleted)
			wantNote(t, done, adhoc.NoteInfo, tt.wantNote)

			e.clock.Advance(10 * time.Second)
			resp, err := e.poll(t, d)
			if got := errCode(t, err); got != tt.wantPoll {
				t.Fatalf("poll after the answer = %v, want %q", err, tt.wantPoll)
			}
			if tt.wantPoll == "" && (resp.AccessToken == "" || !e.active(t, resp.AccessToken)) {
				t.Fatalf("poll after approval = %+v, want an active access token", resp)
			}
		})
	}
}

func TestApproveDeviceWrongCodes(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	d := e.startDevice(t, tv, "openid")

	form := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
	wrong := []struct {
		code string
		note string
	}{
		{"BBBB-BBBB", "No device is waiting for code BBBB-BBBB."},
		{"ABC", "A code has 8 letters, like WDJB-MJHT."},
		{"CCCC-CCCC", "No device is waiting for code CCCC-CCCC."},
		{"DDDD-DDDD", "No device is waiting for code DDDD-DDDD."},
		{"FFFF-FFFF", "No device is waiting for code FFFF-FFFF."},
	}
	cmd := form
	for _, w := range wrong {
		cmd = e.next(t, userAlice, cmd, adhoc.ActionNext, one("user_code", w.code), false)
		wantStatus(t, cmd, adhoc.StatusExecuting)
		wantNote(t, cmd, adhoc.NoteError, w.note)
		if v, _ := cmd.Form.String("user_code"); v != w.code {
			t.Errorf("form shown again with user_code %q, want the typed %q", v, w.code)
		}
	}
	// Five misses: even the right code is refused now, and the command ends.
	cmd = e.next(t, userAlice, cmd, adhoc.ActionNext, one("user_code", d.auth.UserCode), false)
	wantStatus(t, cmd, adhoc.StatusCompleted)
	wantNote(t, cmd, adhoc.NoteError, "Too many wrong codes. Wait 60 seconds, then try again.")
	if _, err := e.send(t, userAlice, cmd, adhoc.ActionNext, one("user_code", d.auth.UserCode), false); err == nil {
		t.Fatal("the ended session went on")
	}
	// Other users are not held back, and after the window alice may try again.
	if cmd := e.next(t, userBob, e.start(t, userBob, adhoc.NodeApproveDevice, false), adhoc.ActionNext, one("user_code", d.auth.UserCode), false); cmd.Status != adhoc.StatusExecuting || len(cmd.Notes) != 0 {
		t.Fatalf("bob's lookup = %+v", cmd)
	}
	e.clock.Advance(time.Minute)
	cmd = e.next(t, userAlice, e.start(t, userAlice, adhoc.NodeApproveDevice, false), adhoc.ActionNext, one("user_code", d.auth.UserCode), false)
	if _, ok := cmd.Form.Field("decision"); !ok {
		t.Fatalf("after the window: %+v, want the device details", cmd)
	}
}

func TestApproveDeviceCodeEndsMeanwhile(t *testing.T) {
	tests := []struct {
		name      string
		meanwhile func(t *testing.T, e *cmdEnv, d device)
		note      string
	}{
		{"expired while reading", func(_ *testing.T, e *cmdEnv, _ device) { e.clock.Advance(2 * time.Minute) }, "has expired"},
		{"answered from another client", func(t *testing.T, e *cmdEnv, d device) {
			if err := e.p.DecideDevice(t.Context(), aliceBare, d.auth.UserCode, false); err != nil {
				t.Fatal(err)
			}
		}, "was already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t)
			_, tv := e.register(t, tvMeta())
			d := e.startDevice(t, tv, "openid")
			e.clock.Advance(9 * time.Minute) // the code lives 10 minutes
			show := e.next(t, userAlice, e.start(t, userAlice, adhoc.NodeApproveDevice, false), adhoc.ActionNext, one("user_code", d.auth.UserCode), false)
			tt.meanwhile(t, e, d)
			done := e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", "approve"), false)
			wantStatus(t, done, adhoc.StatusCompleted)
			wantNote(t, done, adhoc.NoteError, tt.note)
		})
	}
}

func TestApproveDevicePrev(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	_, radio := e.register(t, radioMeta())
	dTV := e.startDevice(t, tv, "openid")
	dRadio := e.startDevice(t, radio, "openid")
	form := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
	show := e.next(t, userAlice, form, adhoc.ActionNext, one("user_code", dTV.auth.UserCode), false)
	back := e.next(t, userAlice, show, adhoc.ActionPrev, nil, false)
	show = e.next(t, userAlice, back, adhoc.ActionNext, one("user_code", dRadio.auth.UserCode), false)
	if !strings.Contains(fixedText(show.Form), "Radio") {
		t.Fatalf("details after prev = %q, want Radio", fixedText(show.Form))
	}
	e.next(t, userAlice, show, adhoc.ActionComplete, one("decision", "approve"), false)
	if _, err := e.poll(t, dRadio); err != nil {
		t.Fatalf("Radio's poll = %v, want tokens", err)
	}
	if _, err := e.poll(t, dTV); errCode(t, err) != oauth.AuthorizationPending {
		t.Fatalf("TV's poll = %v, want authorization_pending", err)
	}
}

// poezioSubmit turns a form the way poezio (through slixmpp) submits it:
// every field goes back, fixed ones included, without type, label or
// options; a list-single keeps the option shown, the first when the form
// set none; values overrides the fields the user changed.
func poezioSubmit(f *forms.Form, values map[string]string) *forms.Form {
	out := &forms.Form{Type: forms.TypeSubmit}
	for _, fld := range f.Fields {
		sub := forms.Field{Var: fld.Var, Values: fld.Values}
		if fld.Type == forms.FieldListSingle && len(fld.Values) == 0 && len(fld.Options) > 0 {
			sub.Values = []string{fld.Options[0].Value}
		}
		if v, ok := values[fld.Var]; ok {
			sub.Values = []string{v}
		}
		out.Fields = append(out.Fields, sub)
	}
	return out
}

// TestApproveDeviceAsPoezio runs the command as poezio does: "next" at
// every stage, every field sent back, and the first option of the answer
// submitted unless the user moves to another.
func TestApproveDeviceAsPoezio(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	d := e.startDevice(t, tv, "openid")

	form := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
	show := e.next(t, userAlice, form, adhoc.ActionNext, poezioSubmit(form.Form, map[string]string{"user_code": d.auth.UserCode}), false)
	wantStatus(t, show, adhoc.StatusExecuting)

	// Submitted as shown: nothing is decided, and the form says so.
	again := e.next(t, userAlice, show, adhoc.ActionNext, poezioSubmit(show.Form, nil), false)
	wantStatus(t, again, adhoc.StatusExecuting)
	wantNote(t, again, adhoc.NoteError, "choose Approve or Deny")
	if f := again.Form.Fields[0]; f.Type != forms.FieldFixed || !strings.Contains(strings.Join(f.Values, ""), "choose Approve or Deny") {
		t.Errorf("first field = %+v, want the error, which poezio shows", f)
	}
	if _, err := e.poll(t, d); errCode(t, err) != oauth.AuthorizationPending {
		t.Fatalf("poll after an undecided submission = %v, want authorization_pending", err)
	}

	done := e.next(t, userAlice, again, adhoc.ActionNext, poezioSubmit(again.Form, map[string]string{"decision": "approve"}), false)
	wantStatus(t, done, adhoc.StatusCompleted)
	wantNote(t, done, adhoc.NoteInfo, "Approved.")
}
