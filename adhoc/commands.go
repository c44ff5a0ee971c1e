package adhoc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// Nodes of the OAuth commands. They are stable identifiers: the web pages
// link to [NodeApproveDevice] as xmpp:COMPONENT?command;node=NODE (XEP-0050
// §2.5, RFC 5122 query type "command").
const (
	// NodeListApps lists the apps the user has authorized.
	NodeListApps = "urn:xmppoauth:apps:list"
	// NodeRevokeApps ends the access of apps the user picks.
	NodeRevokeApps = "urn:xmppoauth:apps:revoke"
	// NodeApproveDevice approves or denies a device by its user code
	// (RFC 8628 §3.3).
	NodeApproveDevice = "urn:xmppoauth:device:approve"
	// NodeSignIns answers the user's pending web sign-ins.
	NodeSignIns = "urn:xmppoauth:signins:pending"
	// NodeListClients lists the registered clients (admins only).
	NodeListClients = "urn:xmppoauth:admin:clients:list"
	// NodeDeleteClient deletes a registered client (admins only).
	NodeDeleteClient = "urn:xmppoauth:admin:clients:delete"
	// NodeRevokeUser ends every authorization of one user (admins only).
	NodeRevokeUser = "urn:xmppoauth:admin:users:revoke"
	// NodeStats shows counts of clients, grants, tokens and pending requests
	// (admins only).
	NodeStats = "urn:xmppoauth:admin:stats"
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
// delete clients, revoke a user, statistics), for [New].
//
// Every stage of a user command first checks that the requester's bare JID
// is a user of a configured domain ([Core.CheckUser]), and fails with
// forbidden otherwise; the check wraps the stages here, so that no stage can
// forget it. Admin commands are guarded by the engine's admin check alone:
// admins are named one by one in the configuration and need not have an
// account on a user domain.
func Commands(core Core) []Definition {
	user := func(node, name string, start func(Core) StageFunc) Definition {
		return Definition{Node: node, Name: name, Start: usersOnly(core, start(core))}
	}
	admin := func(node, name string, start func(Core) StageFunc) Definition {
		return Definition{Node: node, Name: name, AdminOnly: true, Start: start(core)}
	}
	return []Definition{
		user(NodeListApps, "List authorized apps", listApps),
		user(NodeRevokeApps, "Revoke app access", revokeApps),
		user(NodeApproveDevice, "Approve a device", approveDevice),
		user(NodeSignIns, "Pending sign-ins", pendingSignIns),
		admin(NodeListClients, "List clients", listClients),
		admin(NodeDeleteClient, "Delete a client", deleteClient),
		admin(NodeRevokeUser, "Revoke all access of a user", revokeUser),
		admin(NodeStats, "Statistics", stats),
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

// appName is the name of an app; one deleted meanwhile has none.
func appName(app oauth.AppInfo) string {
	if app.Name == "" {
		return "(deleted application)"
	}
	return app.Name
}

// appLine names an app with its address, when it has one.
func appLine(app oauth.AppInfo) string {
	if app.URI == "" {
		return appName(app)
	}
	return appName(app) + " (" + app.URI + ")"
}

// How the commands ask for decisions. Gajim, Conversations and Psi show the
// offered actions as buttons with their own generic labels (Back, Next,
// Finish or Complete), and make the default action the button where the
// previous stage's Next was. So:
//
//   - approving or denying is a required list-single "decision" with no
//     default, not two actions: no client could label its buttons "Approve"
//     and "Deny", and the user must make an explicit choice;
//   - a destructive command (revoke, delete) ends with a confirmation stage
//     that offers prev and complete and carries a boolean "confirm" to tick,
//     so that a double tap or a stray Enter on the default button does
//     nothing. An unticked box is submitted as false, which counts as filled
//     for a required field ([forms.Validate]), so the stage checks the value
//     itself ([confirmed]).
const (
	decisionApprove = "approve"
	decisionDeny    = "deny"
)

// approvalForm asks the user to approve or deny a request of app (a device
// or a sign-in, named by who): its title and instructions, the app, the
// code, when it asked, what approving lets who do, and the answer field.
func approvalForm(title, instructions string, app oauth.AppInfo, code, asked, who string, scopes []oauth.ScopeInfo) *forms.Form {
	fields := []forms.FormOption{
		forms.Title(title),
		forms.Instructions(instructions),
		forms.Fixed("App: " + appLine(app)),
		forms.Fixed("Code: " + code),
		forms.Fixed(asked),
		forms.Fixed("If you approve, the " + who + " may:"),
	}
	for _, line := range scopeWords(scopes) {
		fields = append(fields, forms.Fixed(line))
	}
	return forms.New(append(fields, decisionField("Your answer"))...)
}

// decisionField asks the user to approve or deny.
func decisionField(label string) forms.Field {
	return forms.ListSingle("decision", forms.Label(label), forms.Required(),
		forms.Options(forms.Option{Label: "Approve", Value: decisionApprove}, forms.Option{Label: "Deny", Value: decisionDeny}))
}

// approved reads the decision field of a submission already checked against
// decisionField.
func approved(f *forms.Form) bool {
	v, _ := f.String("decision")
	return v == decisionApprove
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
