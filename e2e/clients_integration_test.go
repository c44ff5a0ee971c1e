//go:build integration && unix

package e2e_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
)

// clientStyle is how one chat client runs ad-hoc commands, as far as the
// service can tell: the action it sends to go on, what it submits, and
// what it shows of a reply. The styles copy Debian's poezio 0.14 (through
// slixmpp) and profanity 0.13.1, read from their code and tried by hand.
type clientStyle struct {
	name string
	// action is the action sent to go on from a stage.
	action adhoc.Action
	// submit builds the submission of form with the user's answers by var.
	submit func(form *forms.Form, answers map[string][]string) *forms.Form
	// view is the text the client shows of a reply.
	view func(cmd *adhoc.Command) string
}

// poezio submits every stage with action "next"; it sends every field back,
// fixed ones included, without type or label; it cannot show a list-single
// without one of its options, so it submits the first unless the user
// moves to another. It keys a form's fields by var, shows the title and the
// fields (a fixed field's value, another's label and value, side by side)
// and neither instructions nor tables; it turns the notes of a reply with a
// form into fixed fields without a value, so it shows notes only when a
// command completes without a form.
var poezio = clientStyle{
	name:   "poezio",
	action: adhoc.ActionNext,
	submit: func(f *forms.Form, answers map[string][]string) *forms.Form {
		out := &forms.Form{Type: forms.TypeSubmit}
		for _, fld := range byVar(f) {
			sub := forms.Field{Var: fld.Var, Values: fld.Values}
			if fld.Type == forms.FieldListSingle && len(fld.Values) == 0 && len(fld.Options) > 0 {
				sub.Values = []string{fld.Options[0].Value}
			}
			if v, ok := answers[fld.Var]; ok {
				sub.Values = v
			}
			out.Fields = append(out.Fields, sub)
		}
		return out
	},
	view: func(cmd *adhoc.Command) string {
		if cmd.Form == nil {
			return notesText(cmd)
		}
		lines := []string{cmd.Form.Title}
		for _, fld := range byVar(cmd.Form) {
			switch fld.Type {
			case forms.FieldHidden:
			case forms.FieldFixed:
				lines = append(lines, strings.Join(fld.Values, " "))
			case forms.FieldListSingle:
				shown := ""
				for _, o := range fld.Options {
					if len(fld.Values) == 0 && shown == "" || slices.Contains(fld.Values, o.Value) {
						shown = o.Label
					}
				}
				lines = append(lines, fld.Label+" "+shown)
			case forms.FieldListMulti:
				var labels []string
				for _, o := range fld.Options {
					labels = append(labels, o.Label)
				}
				lines = append(lines, fld.Label+" "+strings.Join(labels, " | "))
			default:
				lines = append(lines, fld.Label+" "+strings.Join(fld.Values, " "))
			}
		}
		return strings.Join(lines, "\n")
	},
}

// profanity submits with "/form submit", which sends no action; it sends
// the fields that have a var and gather input. It shows the title, the
// instructions and every field (a fixed field's value, another's label and
// value), with the values, not the labels, of a list's options; no tables;
// and notes only once a command completes.
var profanity = clientStyle{
	name:   "profanity",
	action: "",
	submit: func(f *forms.Form, answers map[string][]string) *forms.Form {
		out := &forms.Form{Type: forms.TypeSubmit}
		for _, fld := range f.Fields {
			if fld.Var == "" || fld.Type == forms.FieldFixed {
				continue
			}
			sub := forms.Field{Var: fld.Var, Values: fld.Values}
			if v, ok := answers[fld.Var]; ok {
				sub.Values = v
			}
			out.Fields = append(out.Fields, sub)
		}
		return out
	},
	view: func(cmd *adhoc.Command) string {
		var lines []string
		if cmd.Status == adhoc.StatusCompleted {
			lines = append(lines, notesText(cmd))
		}
		if f := cmd.Form; f != nil {
			lines = append(lines, f.Title)
			lines = append(lines, f.Instructions...)
			for _, fld := range f.Fields {
				switch fld.Type {
				case forms.FieldHidden:
				case forms.FieldFixed:
					lines = append(lines, strings.Join(fld.Values, " "))
				default:
					line := fld.Label + ": " + strings.Join(fld.Values, " ")
					for _, o := range fld.Options {
						line += " [" + o.Value + "]"
					}
					lines = append(lines, line)
				}
			}
		}
		return strings.Join(lines, "\n")
	},
}

// byVar returns f's fields as a client that keys them by var sees them: one
// per var, in the order each var first appears, holding the last field of
// that var.
func byVar(f *forms.Form) []forms.Field {
	var order []string
	last := map[string]forms.Field{}
	for _, fld := range f.Fields {
		if _, ok := last[fld.Var]; !ok {
			order = append(order, fld.Var)
		}
		last[fld.Var] = fld
	}
	out := make([]forms.Field, len(order))
	for i, v := range order {
		out[i] = last[v]
	}
	return out
}

func notesText(cmd *adhoc.Command) string {
	var texts []string
	for _, n := range cmd.Notes {
		texts = append(texts, n.Text)
	}
	return strings.Join(texts, "\n")
}

// stageAnswer says what the user does at a stage: the values typed or
// picked, by var.
type stageAnswer func(stage int, cmd *adhoc.Command, view string) map[string][]string

// drive runs the command at node as style does, answering each stage with
// answer, and returns the last reply and what the client showed of each
// reply. Every reply must give each field a var of its own (clients that
// key fields by var lose the others) and every executing reply must say
// which action is the default.
func (c *client) drive(style clientStyle, node string, answer stageAnswer) (*adhoc.Command, []string) {
	c.t.Helper()
	cmd := c.run(node, "", adhoc.ActionExecute, nil)
	var views []string
	for stage := 0; ; stage++ {
		checkReplyForClients(c.t, style, node, stage, cmd)
		view := style.view(cmd)
		views = append(views, view)
		if cmd.Status != adhoc.StatusExecuting {
			return cmd, views
		}
		if stage > 10 {
			c.t.Fatalf("%s: %s has not ended after %d stages:\n%s", style.name, node, stage, view)
		}
		answers := answer(stage, cmd, view)
		cmd = c.run(node, cmd.SessionID, style.action, style.submit(cmd.Form, answers))
	}
}

func checkReplyForClients(t *testing.T, style clientStyle, node string, stage int, cmd *adhoc.Command) {
	t.Helper()
	if cmd.Status == adhoc.StatusExecuting && (cmd.Actions == nil || cmd.Actions.Execute == "") {
		t.Errorf("%s: %s stage %d: actions %+v, want an execute attribute", style.name, node, stage, cmd.Actions)
	}
	if cmd.Form == nil {
		return
	}
	seen := map[string]bool{}
	for _, f := range cmd.Form.Fields {
		if f.Var == "" || seen[f.Var] {
			t.Errorf("%s: %s stage %d: field %+v has no var of its own", style.name, node, stage, f)
		}
		seen[f.Var] = true
	}
}

// wantShown fails unless view shows each of wants.
func wantShown(t *testing.T, style clientStyle, what, view string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(view, w) {
			t.Errorf("%s: %s does not show %q; it shows:\n%s", style.name, what, w, view)
		}
	}
}

// optionValue returns the value of the option of field v whose label
// contains label.
func optionValue(t *testing.T, cmd *adhoc.Command, v, label string) string {
	t.Helper()
	fld, ok := cmd.Form.Field(v)
	if !ok {
		t.Fatalf("form has no field %q", v)
	}
	for _, o := range fld.Options {
		if strings.Contains(o.Label, label) {
			return o.Value
		}
	}
	t.Fatalf("field %q has no option %q: %+v", v, label, fld.Options)
	return ""
}

// appLabel is how the commands show the test's client, registered without
// a client_uri.
const appLabel = `"E2E Chat" (no web address)`

// testCommandsAsClients runs every command as poezio and profanity do and
// checks that each stage shows the user what they need.
func testCommandsAsClients(t *testing.T, x *xmppEnv, alice, admin *client) {
	for _, style := range []clientStyle{poezio, profanity} {
		t.Run(style.name+": "+adhoc.NameApproveDevice, func(t *testing.T) {
			ctx := t.Context()
			da, err := x.cfg.DeviceAuth(ctx)
			if err != nil {
				t.Fatalf("DeviceAuth: %v", err)
			}
			undecided := false
			done, views := alice.drive(style, adhoc.NodeApproveDevice, func(stage int, cmd *adhoc.Command, view string) map[string][]string {
				switch stage {
				case 0:
					wantShown(t, style, "the code stage", view, "Code shown on the device")
					return map[string][]string{"user_code": {da.UserCode}}
				case 1:
					wantShown(t, style, "the decision stage", view, "App: "+appLabel, "Code: "+da.UserCode, "Valid until ",
						"Approve only if you started this on a device you hold", "If someone sent you this code, deny.")
					if !undecided {
						// Sent as shown: nothing is decided, and the
						// client shows why the form came back.
						undecided = true
						return nil
					}
				}
				if style.name == "profanity" {
					// profanity sends the answer field as it was: empty.
					wantShown(t, style, "the form sent back undecided", view, `"Your answer" is required.`)
				} else {
					wantShown(t, style, "the form sent back undecided", view, "choose Approve or Deny")
				}
				return map[string][]string{"decision": {"approve"}}
			})
			wantShown(t, style, "the end", views[len(views)-1], "Approved.")
			if done.Status != adhoc.StatusCompleted {
				t.Fatalf("%s: approve-device ended %s", style.name, done.Status)
			}
			tok, err := x.cfg.DeviceAccessToken(ctx, da)
			if err != nil || !x.active(tok.AccessToken) {
				t.Fatalf("the device got %v, %v; want an active token", tok, err)
			}
		})

		t.Run(style.name+": "+adhoc.NameListApps, func(t *testing.T) {
			done, views := alice.drive(style, adhoc.NodeListApps, nil)
			if done.Status != adhoc.StatusCompleted {
				t.Fatalf("List authorized apps ended %s", done.Status)
			}
			// Neither client draws the table: the rows come as fields.
			wantShown(t, style, "the list", views[0], appLabel, "access: ", "xmpp", "; last used "+time.Now().UTC().Format("2006-01-02"))
		})

		t.Run(style.name+": "+adhoc.NameRevokeApps, func(t *testing.T) {
			tok := x.deviceToken(func(code string) {
				if reply := alice.say("yes " + code); !strings.Contains(reply, "Approved") {
					t.Fatalf("yes %s = %q", code, reply)
				}
			}, "openid", "xmpp")
			done, views := alice.drive(style, adhoc.NodeRevokeApps, func(stage int, cmd *adhoc.Command, view string) map[string][]string {
				switch stage {
				case 0:
					v := optionValue(t, cmd, "grants", appLabel)
					// profanity shows values, not labels.
					if !regexp.MustCompile(`^e2e-chat-[0-9a-f]{4,}$`).MatchString(v) {
						t.Errorf("option value %q is not recognisable by itself", v)
					}
					if style.name == "profanity" {
						wantShown(t, style, "the app picker", view, "["+v+"]")
					} else {
						wantShown(t, style, "the app picker", view, appLabel)
					}
					return map[string][]string{"grants": {v}}
				default:
					wantShown(t, style, "the confirmation", view, "• "+appLabel, "Yes, revoke their access")
					return map[string][]string{"confirm": {"true"}}
				}
			})
			wantShown(t, style, "the end", views[len(views)-1], "Revoked access of 1 app(s).")
			if done.Status != adhoc.StatusCompleted || x.active(tok.AccessToken) {
				t.Fatalf("Revoke app access ended %s; token active: %v", done.Status, x.active(tok.AccessToken))
			}
		})

		t.Run(style.name+": "+adhoc.NameSignIns, func(t *testing.T) {
			ctx := t.Context()
			verifier := oauth2.GenerateVerifier()
			req, _, err := x.p.ParseAuthorize(ctx, map[string][]string{
				"response_type": {"code"}, "client_id": {x.cfg.ClientID}, "redirect_uri": {redirectURI}, "scope": {"openid"},
				"state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
			})
			if err != nil {
				t.Fatal(err)
			}
			s, err := x.p.StartSignIn(ctx, req, x.user)
			if err != nil {
				t.Fatal(err)
			}
			alice.nextMessage() // the push, left unanswered in chat
			done, views := alice.drive(style, adhoc.NodeSignIns, func(stage int, cmd *adhoc.Command, view string) map[string][]string {
				wantShown(t, style, "the sign-in", view, "App: "+appLabel, "Code: "+s.Code, "Valid until ", "Approve only if you are signing in to this app right now")
				return map[string][]string{"decision": {"approve"}}
			})
			wantShown(t, style, "the end", views[len(views)-1], "Approved.")
			if done.Status != adhoc.StatusCompleted {
				t.Fatalf("Pending sign-ins ended %s", done.Status)
			}
			if to, err := x.p.FinishSignIn(ctx, s.ID); err != nil || !strings.Contains(to, "code=") {
				t.Fatalf("FinishSignIn() = %q, %v; want a code", to, err)
			}
		})

		t.Run(style.name+": admin commands", func(t *testing.T) {
			_, views := admin.drive(style, adhoc.NodeStats, nil)
			wantShown(t, style, "Statistics", views[0], "Clients", "Grants", "Active tokens")

			_, views = admin.drive(style, adhoc.NodeListClients, nil)
			wantShown(t, style, "List clients", views[0], appLabel, "client_id "+x.cfg.ClientID)

			x.codeFlow()
			alice.nextMessage() // the sign-in's push, answered by the core
			_, views = admin.drive(style, adhoc.NodeRevokeUser, func(stage int, cmd *adhoc.Command, view string) map[string][]string {
				if stage == 0 {
					return map[string][]string{"jid": {x.user}}
				}
				wantShown(t, style, "the confirmation", view, x.user+" has authorized", "• "+appLabel)
				return map[string][]string{"confirm": {"true"}}
			})
			wantShown(t, style, "the end", views[len(views)-1], "authorization(s) of "+x.user)

			// A client of its own to delete, so that the others go on.
			id := x.register(x.issuer + "/register")
			_, views = admin.drive(style, adhoc.NodeDeleteClient, func(stage int, cmd *adhoc.Command, view string) map[string][]string {
				if stage == 0 {
					v := optionValue(t, cmd, "client", id)
					if v != "e2e-chat-"+id[:4] && !strings.HasPrefix(v, "e2e-chat-"+id[:4]) {
						t.Errorf("option value %q, want e2e-chat- and the start of %s", v, id)
					}
					return map[string][]string{"client": {v}}
				}
				wantShown(t, style, "the confirmation", view, "Client: "+appLabel+", client_id "+id, "Yes, delete this client")
				return map[string][]string{"confirm": {"true"}}
			})
			wantShown(t, style, "the end", views[len(views)-1], "Deleted "+appLabel)
			if _, err := x.p.Client(t.Context(), id); err == nil {
				t.Errorf("client %s still there", id)
			}
		})
	}

	t.Run("old nodes still work", func(t *testing.T) {
		done := alice.run("urn:xmppoauth:apps:list", "", adhoc.ActionExecute, nil)
		if done.Status != adhoc.StatusCompleted || done.Node != "urn:xmppoauth:apps:list" {
			t.Fatalf("urn:xmppoauth:apps:list = %+v", done)
		}
	})
}

// subscribe adds the component as a contact as a chat client does when
// the user accepts every request: subscribe, and approve the component's
// request to see the user's presence. It returns once the component is
// shown online and knows the user is.
func (x *xmppEnv) subscribe(t *testing.T, c *client) {
	t.Helper()
	if err := c.SendRaw(fmt.Sprintf("<presence type='subscribe' to='%s'/>", c.to)); err != nil {
		t.Fatal(err)
	}
	// The server turns the component's "subscribed" into a roster push,
	// which Prosody does not forward as a presence; the component's own
	// presence follows it.
	var available, asked bool
	for !available || !asked {
		p := c.nextPresence(t)
		switch p.Type {
		case "":
			available = true
		case "subscribe":
			asked = true
			if err := c.SendRaw(fmt.Sprintf("<presence type='subscribed' to='%s'/>", c.to)); err != nil {
				t.Fatal(err)
			}
		}
	}
	x.waitAvailability(t, strings.Split(c.jid, "/")[0], true)
}

// waitAvailability waits until the component knows whether the user jid
// is online, and that it is as online says.
func (x *xmppEnv) waitAvailability(t *testing.T, jid string, online bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		if on, known := x.comp.Availability(jid); known && on == online {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the component did not learn that %s is online: %v", jid, online)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextPresence returns the next presence from the component.
func (c *client) nextPresence(t *testing.T) presenceOf {
	t.Helper()
	select {
	case p := <-c.presences:
		return presenceOf{Type: string(p.Type), From: p.From}
	case <-time.After(ioTimeout):
		t.Fatal("no presence from the component")
		return presenceOf{}
	}
}

// presenceOf is what the tests look at in a presence.
type presenceOf struct{ Type, From string }

// waitPresence waits until presences of each of types came from the
// component, in any order (gosrc.io/xmpp hands stanzas to handlers in
// goroutines of their own, so they may come out of order), skipping
// others.
func (c *client) waitPresence(t *testing.T, types ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, typ := range types {
		want[typ] = true
	}
	for len(want) > 0 {
		delete(want, c.nextPresence(t).Type)
	}
}

// dropPresences forgets the presences received so far.
func (c *client) dropPresences() {
	for {
		select {
		case <-c.presences:
		default:
			return
		}
	}
}

// firstMessageAfterLogin logs in as local and returns the first message
// other than an answer to "hello" that arrives after the login, or "help"
// if none came: any message the server kept for the user while they were
// away arrives before the answers to the "hello"s that the login sends
// first, since the server delivers kept messages when the client says it
// is available, before it reads anything else. (Two round trips, since
// gosrc.io/xmpp may hand messages that arrive together to the test out of
// order.)
func (x *xmppEnv) firstMessageAfterLogin(t *testing.T, local string) string {
	t.Helper()
	c := x.login(t, local, accounts[local])
	defer c.logout()
	for range 2 {
		if err := c.SendRaw(fmt.Sprintf("<message type='chat' to='%s'><body>hello</body></message>", c.to)); err != nil {
			t.Fatal(err)
		}
	}
	for answers := 0; answers < 2; {
		m := c.nextMessage().Body
		if !strings.HasPrefix(m, "This is E2E") {
			return m
		}
		answers++
	}
	return "help"
}

// testPresenceAndOffline checks that the component shows as a contact
// should and that no request waits for a user while they are away:
//   - a user who adds it sees it online, offline while it restarts, and
//     online again;
//   - a request for a user the component knows to be offline is not sent,
//     so the server has nothing to deliver later;
//   - a request for a user whose presence it does not see is sent with
//     XEP-0334 no-store and an XEP-0023 expiry; servers that honour them
//     (ejabberd) do not keep it. Prosody 0.12's offline storage honours
//     neither, so there the case is only logged.
func testPresenceAndOffline(t *testing.T, x *xmppEnv, honoursNoStore bool) {
	t.Run("a contact sees the component go away and come back", func(t *testing.T) {
		bob := x.login(t, "bob", accounts["bob"])
		x.subscribe(t, bob)
		bob.dropPresences()
		x.restartComponent(t)
		bob.waitPresence(t, "unavailable", "")
		if !x.comp.IsContact(x.srv.JID("bob")) {
			t.Error("after a restart the component lost bob as a contact")
		}
		bob.logout()
	})

	t.Run("no request is kept for a contact who is offline", func(t *testing.T) {
		bobJID := x.srv.JID("bob")
		x.waitAvailability(t, bobJID, false)
		ctx := t.Context()
		cfg := x.cfg
		cfg.ClientID = x.register(x.issuer + "/register") // the admin test deleted the first
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.p.RequestDeviceApproval(ctx, bobJID, da.UserCode); err == nil {
			t.Error("RequestDeviceApproval() for a user known offline = nil, want an error (nothing sent)")
		}
		if m := x.firstMessageAfterLogin(t, "bob"); m != "help" {
			t.Errorf("bob's first message after logging in again = %q, want the answer to hello, not a request kept for him", m)
		}
	})

	t.Run("a request for a user not followed is not kept where the server honours no-store", func(t *testing.T) {
		// carol, offline, has never added the component: it does not
		// know when she is online, and sends the request with no-store.
		carolJID := x.srv.JID("carol")
		if _, known := x.comp.Availability(carolJID); known {
			t.Fatal("the component knows carol's presence")
		}
		ctx := t.Context()
		cfg := x.cfg
		cfg.ClientID = x.register(x.issuer + "/register")
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.p.RequestDeviceApproval(ctx, carolJID, da.UserCode); err != nil {
			t.Fatalf("RequestDeviceApproval() = %v", err)
		}
		m := x.firstMessageAfterLogin(t, "carol")
		switch {
		case m != "help" && honoursNoStore:
			t.Errorf("carol's first message after logging in = %q, want the answer to hello: the server kept the request", m)
		case m != "help":
			t.Logf("this server keeps a no-store request for later (Prosody 0.12 ignores XEP-0334 in offline storage): %q", m)
		}
	})
}
