package adhoc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// Nodes and names of the OAuth commands. The names are what clients show in
// their command menus; the nodes are what clients that list nodes instead
// (profanity) show, and what their users type ("/cmd exec approve-device"),
// so they are short and readable. They are stable identifiers: the web
// pages link to them as xmpp:COMPONENT?command;node=NODE (XEP-0050 §2.5,
// RFC 5122 query type "command") and name them, with the node names given
// as options by whoever assembles the service.
//
// Each command also answers to the node it had before, a urn:xmppoauth:
// URI (see [Commands]), so that links and bookmarks made for those keep
// working.
const (
	// NodeListApps lists the apps the user has authorized.
	NodeListApps = "apps"
	NameListApps = "List authorized apps"
	// NodeRevokeApps ends the access of apps the user picks.
	NodeRevokeApps = "revoke"
	NameRevokeApps = "Revoke app access"
	// NodeApproveDevice approves or denies a device by its user code
	// (RFC 8628 §3.3).
	NodeApproveDevice = "approve-device"
	NameApproveDevice = "Approve a device"
	// NodeSignIns answers the user's pending web sign-ins.
	NodeSignIns = "pending"
	NameSignIns = "Pending sign-ins"
	// NodeListClients lists the registered clients (admins only).
	NodeListClients = "clients"
	NameListClients = "List clients"
	// NodeDeleteClient deletes a registered client (admins only).
	NodeDeleteClient = "delete-client"
	NameDeleteClient = "Delete a client"
	// NodeRevokeUser ends every authorization of one user (admins only).
	NodeRevokeUser = "revoke-user"
	NameRevokeUser = "Revoke all access of a user"
	// NodeStats shows counts of clients, grants, tokens and pending requests
	// (admins only).
	NodeStats = "stats"
	NameStats = "Statistics"
)

// Core is what the commands need from the OAuth core; *oauth.Provider
// implements it. Failures meant for the user are *oauth.Error values; any
// other error is an internal fault.
type Core interface {
	// CheckUser reports whether a bare JID belongs to a user domain.
	CheckUser(jid string) error
	Grants(ctx context.Context, jid string) ([]oauth.GrantView, error)
	RevokeGrants(ctx context.Context, jid string, ids ...string) error
	LookupDevice(ctx context.Context, jid, userCode string) (oauth.DeviceRequest, error)
	DecideDevice(ctx context.Context, jid, userCode string, approve bool) error
	PendingSignIns(ctx context.Context, jid string) ([]oauth.SignInView, error)
	DecideSignIn(ctx context.Context, jid, ref string, approve bool) (oauth.SignIn, error)
	Clients(ctx context.Context) ([]oauth.Client, error)
	DeleteClient(ctx context.Context, id string) error
	RevokeUser(ctx context.Context, jid string) (int, error)
	Stats(ctx context.Context) (oauth.Stats, error)
}

var _ Core = (*oauth.Provider)(nil)

// Commands returns the definitions of the user commands (list and revoke
// apps, approve a device, pending sign-ins) and the admin commands (list and
// delete clients, revoke a user, statistics), for [New]. Each has the node
// and name of the constants above, and its earlier urn:xmppoauth: node as
// an alias.
//
// Every stage of a user command first checks that the requester's bare JID
// is a user of a configured domain ([Core.CheckUser]), and fails with
// forbidden otherwise; the check wraps the stages here, so that no stage can
// forget it. Admin commands are guarded by the engine's admin check alone:
// admins are named one by one in the configuration and need not have an
// account on a user domain.
func Commands(core Core) []Definition {
	user := func(node, name, old string, start func(Core) StageFunc) Definition {
		return Definition{Node: node, Name: name, Aliases: []string{old}, Start: usersOnly(core, start(core))}
	}
	admin := func(node, name, old string, start func(Core) StageFunc) Definition {
		return Definition{Node: node, Name: name, Aliases: []string{old}, AdminOnly: true, Start: start(core)}
	}
	return []Definition{
		user(NodeListApps, NameListApps, "urn:xmppoauth:apps:list", listApps),
		user(NodeRevokeApps, NameRevokeApps, "urn:xmppoauth:apps:revoke", revokeApps),
		user(NodeApproveDevice, NameApproveDevice, "urn:xmppoauth:device:approve", approveDevice),
		user(NodeSignIns, NameSignIns, "urn:xmppoauth:signins:pending", pendingSignIns),
		admin(NodeListClients, NameListClients, "urn:xmppoauth:admin:clients:list", listClients),
		admin(NodeDeleteClient, NameDeleteClient, "urn:xmppoauth:admin:clients:delete", deleteClient),
		admin(NodeRevokeUser, NameRevokeUser, "urn:xmppoauth:admin:users:revoke", revokeUser),
		admin(NodeStats, NameStats, "urn:xmppoauth:admin:stats", stats),
	}
}

// usersOnly wraps stage, and every stage that follows it, with the check
// that the requester is a user of a configured domain. It runs at every
// stage, not only the first, so that each stage stands on its own: a stage
// never acts for a requester the core would refuse.
func usersOnly(core Core, stage StageFunc) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		if err := core.CheckUser(requester(req)); err != nil {
			e, ok := oauth.AsError(err)
			if !ok {
				return Response{}, fmt.Errorf("check user: %w", err)
			}
			return Response{}, forbidden(e)
		}
		resp, err := stage(ctx, req)
		if resp.Then != nil {
			resp.Then = usersOnly(core, resp.Then)
		}
		return resp, err
	}
}

// forbidden is the stanza error for a requester the core refuses.
func forbidden(e *oauth.Error) *StanzaError {
	return &StanzaError{
		Type:      stanza.ErrorTypeAuth,
		Condition: ConditionForbidden,
		Text:      "Only users of this service's XMPP domains can use this command: " + e.Description + ".",
	}
}

// requester is the bare JID of the user running the command.
func requester(req *Request) string { return oauth.NormalizeJID(req.From) }

// fail turns an error of the core into what a stage returns. It is the one
// place where *oauth.Error codes become XEP-0050 notes:
//
//   - access_denied (the requester is not a user) is a forbidden stanza error;
//   - too_many_requests completes the command with an error note saying how
//     long to wait: showing the form again would only fail again;
//   - any other *oauth.Error becomes a Retry (the form is shown again with
//     the core's description) when retry is true, as for a mistyped code,
//     and completes the command with that error note otherwise, as for a
//     code that expired while the user was reading;
//   - oauth.ErrNotFound (something deleted meanwhile) completes the command
//     with an error note;
//   - anything else is returned wrapped with what, so that the engine logs it
//     and answers internal-server-error without its text.
func fail(what string, err error, retry bool) (Response, error) {
	e, ok := oauth.AsError(err)
	switch {
	case errors.Is(err, oauth.ErrNotFound):
		return failed("It no longer exists; it may have been deleted meanwhile."), nil
	case !ok:
		return Response{}, fmt.Errorf("%s: %w", what, err)
	case e.Code == oauth.AccessDenied:
		return Response{}, forbidden(e)
	case e.Code == oauth.TooManyRequests:
		reason, _, _ := strings.Cut(e.Description, ";")
		return failed(fmt.Sprintf("%s. Wait %s, then try again.", sentence(reason), ratelimit.WaitText(e.RetryAfter))), nil
	case retry:
		return Response{}, Retry(sentence(e.Description) + ".")
	default:
		return failed(sentence(e.Description) + "."), nil
	}
}

// failed completes a command with an error note (XEP-0050 §3.6: a command
// that fails includes one).
func failed(text string) Response {
	return Response{Notes: []Note{{Type: NoteError, Text: text}}}
}

// done completes a command with an info note.
func done(text string) Response {
	return Response{Notes: []Note{{Type: NoteInfo, Text: text}}}
}

// sentence starts s with a capital letter and drops a final period, so that
// the core's descriptions ("no device is waiting for code …") read as
// sentences in a note.
func sentence(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return "Something went wrong"
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// timeFormat is how the commands show times: always UTC, since the server
// cannot know the user's time zone.
const timeFormat = "2006-01-02 15:04 UTC"

// showTime formats t for the user; a zero time is "never".
func showTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(timeFormat)
}

// authorized is when the user last approved g; grants made before AuthTime
// was recorded fall back to their creation.
func authorized(g oauth.Grant) time.Time {
	if g.AuthTime.IsZero() {
		return g.Created
	}
	return g.AuthTime
}

// showDate formats the day of t for the user.
func showDate(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// scopeWords lists scopes in plain words, one line each; a scope without a
// description is shown by name.
func scopeWords(scopes []oauth.ScopeInfo) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = "• " + s.Name
		if s.Description != "" {
			out[i] = "• " + s.Description
		}
	}
	return out
}

// label is how the commands show an app: as every transport does
// ([oauth.AppInfo.Label]), its name quoted beside its host in ASCII form.
func label(app oauth.AppInfo) string { return app.Label().String() }

// text returns one fixed field for each line, in order; the engine gives
// each a var of its own. Lines are kept short (about 60 characters), one
// thought each: poezio draws each fixed field on one line in half of its
// window, and cuts what does not fit.
func text(lines ...string) []forms.FormOption {
	out := make([]forms.FormOption, len(lines))
	for i, l := range lines {
		out[i] = forms.Fixed(l)
	}
	return out
}

// optionValue is the value of a list option for a record named name with
// the given ID: a short slug of the name and the start of the ID, such as
// "example-app-3f1c". Clients that show option values instead of labels
// (profanity) then show something the user recognises, and their users can
// type it. taken holds the values given so far; the ID part grows until the
// value is new. The stage maps values back to IDs itself, so a value says
// nothing the user could not see anyway.
func optionValue(name, id string, taken map[string]bool) string {
	slug := slugOf(name)
	for n := min(4, len(id)); ; n++ {
		v := slug + "-" + id[:n]
		if n >= len(id) {
			v = slug + "-" + id
			for i := 2; taken[v]; i++ {
				v = slug + "-" + id + "-" + strconv.Itoa(i)
			}
		}
		if !taken[v] {
			taken[v] = true
			return v
		}
	}
}

// slugOf returns the lower-case ASCII letters and digits of name, other
// runs of characters turned into "-", at most 20 characters, or "app".
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 20 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 20 {
		s = strings.TrimRight(s[:20], "-")
	}
	if s == "" {
		return "app"
	}
	return s
}

// How the commands ask for decisions. Gajim, Conversations and Psi show the
// offered actions as buttons with their own generic labels (Back, Next,
// Finish or Complete), and make the default action the button where the
// previous stage's Next was; poezio offers one key that submits with next,
// and profanity a "/form submit" that sends no action. So:
//
//   - approving or denying is a required list-single "decision", not two
//     actions: no client could label its buttons "Approve" and "Deny", and
//     the user must make an explicit choice. Its first option says to
//     choose and decides nothing: poezio cannot show a list-single without
//     one of its options selected, and would otherwise submit the first,
//     Approve, for a user who only pressed its submit key;
//   - a destructive command (revoke, delete) ends with a confirmation stage
//     that offers prev and complete and carries a boolean "confirm" to tick,
//     so that a double tap or a stray Enter on the default button does
//     nothing. An unticked box is submitted as false, which counts as filled
//     for a required field ([forms.Validate]), so the stage checks the value
//     itself ([confirmed]).
const (
	decisionChoose  = "choose"
	decisionApprove = "approve"
	decisionDeny    = "deny"
)

// approvalForm asks the user to approve or deny a request of app (a device
// or a sign-in, named by who): its title, the app, the code, when it asked
// and until when it is valid, what approving lets who do, the warning (its
// lines), and the answer field. Everything the user needs is in fixed fields, which
// every client shows; poezio shows no instructions.
func approvalForm(title string, app oauth.AppInfo, code string, asked, expires time.Time, who string, scopes []oauth.ScopeInfo, warning []string) *forms.Form {
	opts := []forms.FormOption{forms.Title(title)}
	opts = append(opts, text("App: "+label(app), "Code: "+code,
		"Asked at "+showTime(asked), "Valid until "+showTime(expires), "If you approve, the "+who+" may:")...)
	opts = append(opts, text(scopeWords(scopes)...)...)
	opts = append(opts, text(warning...)...)
	return forms.New(append(opts, decisionField("Your answer"))...)
}

// decisionField asks the user to approve or deny.
func decisionField(label string) forms.Field {
	return forms.ListSingle("decision", forms.Label(label), forms.Required(),
		forms.Options(
			forms.Option{Label: "Choose: approve or deny", Value: decisionChoose},
			forms.Option{Label: "Approve", Value: decisionApprove},
			forms.Option{Label: "Deny", Value: decisionDeny}))
}

// decision reads the decision field of a submission already checked against
// decisionField: whether the user approved, or a Retry when they chose
// neither.
func decision(f *forms.Form) (approve bool, err error) {
	switch v, _ := f.String("decision"); v {
	case decisionApprove:
		return true, nil
	case decisionDeny:
		return false, nil
	}
	return false, Retry("Nothing was decided yet: choose Approve or Deny as your answer.")
}

// confirmField is the box to tick on a confirmation stage.
func confirmField(label string) forms.Field {
	return forms.Boolean("confirm", forms.Label(label), forms.Required(), forms.Value("false"))
}

// confirmActions are the actions of a confirmation stage.
func confirmActions() Actions {
	return Actions{Prev: true, Complete: true, Execute: ActionComplete}
}

// confirmed returns nil if the confirm box was ticked, and otherwise a
// Retry that shows the stage again with a note.
func confirmed(f *forms.Form) error {
	if ok, _ := f.Bool("confirm"); !ok {
		return Retry("Nothing was done: tick the box to confirm, or cancel.")
	}
	return nil
}
