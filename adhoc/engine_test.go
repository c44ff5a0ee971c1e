package adhoc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
)

const (
	alice      = "alice@example.org/phone"
	aliceOther = "alice@example.org/laptop"
	bob        = "bob@example.org/home"
	service    = "oauth.example.org"
)

// newClock returns a pinned clock that tests move by hand.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) }

// Forms of the fake two-stage command "wizard": stage 1 asks for a name,
// stage 2 for a color, then the command completes with a result.

func nameForm() *forms.Form {
	return forms.New(forms.FormType("urn:test:name"), forms.Title("Name"),
		forms.TextSingle("name", forms.Label("Name"), forms.Required()))
}

func colorForm() *forms.Form {
	return forms.New(forms.FormType("urn:test:color"), forms.Title("Color"),
		forms.ListSingle("color", forms.Label("Color"), forms.Required(),
			forms.Options(forms.Option{Label: "Red", Value: "red"}, forms.Option{Label: "Blue", Value: "blue"})))
}

func submitName(name string) *forms.Form {
	return forms.New(forms.OfType(forms.TypeSubmit), forms.FormType("urn:test:name"), forms.Var("name", name))
}

func submitColor(color string) *forms.Form {
	return forms.New(forms.OfType(forms.TypeSubmit), forms.Var("color", color))
}

// recorder keeps the requests the stages were given.
type recorder struct {
	mu   sync.Mutex
	reqs []Request
}

func (r *recorder) add(req *Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, *req)
}

func (r *recorder) last() Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

// wizard is the fake two-stage command.
func wizard(rec *recorder) Definition {
	var stage2, stage3 StageFunc
	stage2 = func(_ context.Context, req *Request) (Response, error) {
		rec.add(req)
		name, _ := req.Form.String("name")
		switch name {
		case "retry":
			return Response{}, Retry("That name is taken.")
		case "boom":
			return Response{}, errors.New("database on fire")
		case "panic":
			panic("stage bug")
		case "forbid":
			return Response{}, &StanzaError{Type: stanza.ErrorTypeAuth, Condition: ConditionForbidden, Text: "no"}
		}
		return Response{
			Form:    colorForm(),
			Notes:   []Note{{Type: NoteInfo, Text: "Step 2 of 2"}},
			Actions: Actions{Prev: true, Complete: true},
			Then:    stage3,
			Data:    name,
		}, nil
	}
	stage3 = func(_ context.Context, req *Request) (Response, error) {
		rec.add(req)
		color, _ := req.Form.String("color")
		return Response{
			Form: forms.New(forms.OfType(forms.TypeResult),
				forms.TextSingle("name", forms.Value(req.Data.(string))), forms.TextSingle("color", forms.Value(color))),
			Notes: []Note{{Type: NoteInfo, Text: "Saved."}},
		}, nil
	}
	return Definition{
		Node: "wizard",
		Name: "Wizard",
		Start: func(_ context.Context, req *Request) (Response, error) {
			rec.add(req)
			return Response{Form: nameForm(), Actions: Actions{Next: true, Prev: true}, Then: stage2, Data: "start"}, nil
		},
	}
}

func hello() Definition {
	return Definition{Node: "hello", Name: "Say hello", Aliases: []string{"urn:test:hello"}, Start: func(_ context.Context, req *Request) (Response, error) {
		return Response{Notes: []Note{{Type: NoteInfo, Text: "Hello " + req.From}}}, nil
	}}
}

func adminCmd() Definition {
	return Definition{Node: "admin", Name: "Admin", AdminOnly: true, Start: func(context.Context, *Request) (Response, error) {
		return Response{Notes: []Note{{Type: NoteInfo, Text: "ok"}}}, nil
	}}
}

func failingStart() Definition {
	return Definition{Node: "failing", Name: "Failing", Start: func(context.Context, *Request) (Response, error) {
		return Response{}, Retry("Nothing to do.")
	}}
}

func newTestEngine(t *testing.T, clk *fakeclock.Clock, opts Options, extra ...Definition) (*Engine, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.Now = clk.Now
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cmds := append([]Definition{wizard(rec), hello(), adminCmd(), failingStart()}, extra...)
	return New(opts, cmds...), rec
}

// step is one request of a scenario and what it must get back.
type step struct {
	from    string // default alice
	node    string // default "wizard"
	session string // "" none; "same" the session of the previous reply; else literal
	action  Action
	form    *forms.Form
	admin   bool
	advance time.Duration // moved on the clock before the request

	wantErr      *StanzaError // Type, Condition and Specific compared
	wantStatus   Status
	wantFormType string   // FORM_TYPE of the reply's form; "-" for no form
	wantActions  *Actions // nil: not checked
	wantNotes    []Note   // nil: not checked; empty: none
	wantValues   map[string]string
}

var stage1Actions = &Actions{Execute: ActionNext, Next: true}
var stage2Actions = &Actions{Execute: ActionComplete, Prev: true, Complete: true}

func TestEngine(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "execute, next, complete", steps: []step{
			{action: ActionExecute, wantStatus: StatusExecuting, wantFormType: "urn:test:name", wantActions: stage1Actions, wantNotes: []Note{}},
			{session: "same", action: ActionNext, form: submitName("Ann"), wantStatus: StatusExecuting, wantFormType: "urn:test:color",
				wantActions: stage2Actions, wantNotes: []Note{{NoteInfo, "Step 2 of 2"}}},
			{session: "same", action: ActionComplete, form: submitColor("blue"), wantStatus: StatusCompleted, wantFormType: "-",
				wantNotes: []Note{{NoteInfo, "Saved."}}, wantValues: map[string]string{"name": "Ann", "color": "blue"}},
		}},
		{name: "absent action starts and then takes each stage's default", steps: []step{
			{wantStatus: StatusExecuting, wantFormType: "urn:test:name"},
			{session: "same", form: submitName("Ann"), wantStatus: StatusExecuting, wantFormType: "urn:test:color"},
			{session: "same", form: submitColor("red"), wantStatus: StatusCompleted, wantValues: map[string]string{"color": "red"}},
		}},
		{name: "execute on a session takes the default action", steps: []step{
			{action: ActionExecute, wantStatus: StatusExecuting},
			{session: "same", action: ActionExecute, form: submitName("Ann"), wantStatus: StatusExecuting, wantFormType: "urn:test:color"},
			{session: "same", action: ActionExecute, form: submitColor("red"), wantStatus: StatusCompleted},
		}},
		{name: "prev goes back with the earlier stage's data", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", action: ActionNext, form: submitName("Ann"), wantFormType: "urn:test:color"},
			{session: "same", action: ActionPrev, wantStatus: StatusExecuting, wantFormType: "urn:test:name", wantActions: stage1Actions, wantNotes: []Note{}},
			{session: "same", action: ActionNext, form: submitName("Bea"), wantFormType: "urn:test:color"},
			{session: "same", action: ActionComplete, form: submitColor("red"), wantStatus: StatusCompleted, wantValues: map[string]string{"name": "Bea"}},
		}},
		{name: "cancel ends the session", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", action: ActionCancel, wantStatus: StatusCanceled, wantFormType: "-", wantNotes: []Note{}},
			{session: "same", action: ActionNext, form: submitName("Ann"), wantErr: errSessionExpired},
		}},
		{name: "cancel on the second stage", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("Ann"), wantFormType: "urn:test:color"},
			{session: "same", action: ActionCancel, wantStatus: StatusCanceled},
		}},
		{name: "completed session cannot be reused", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("Ann")},
			{session: "same", form: submitColor("red"), wantStatus: StatusCompleted},
			{session: "same", form: submitColor("red"), wantErr: errSessionExpired},
		}},
		{name: "another resource of the same user cannot use the session", steps: []step{
			{wantStatus: StatusExecuting},
			{from: aliceOther, session: "same", form: submitName("Ann"), wantErr: errBadSession},
			{session: "same", form: submitName("Ann"), wantStatus: StatusExecuting, wantFormType: "urn:test:color"},
		}},
		{name: "another user cannot use the session", steps: []step{
			{wantStatus: StatusExecuting},
			{from: bob, session: "same", action: ActionCancel, wantErr: errBadSession},
			{session: "same", form: submitName("Ann"), wantStatus: StatusExecuting},
		}},
		{name: "unknown session id", steps: []step{
			{session: "00000000000000000000000000000000", wantErr: errBadSession},
		}},
		{name: "session of another command", steps: []step{
			{wantStatus: StatusExecuting},
			{node: "hello", session: "same", wantErr: errBadSession},
		}},
		{name: "expired session", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", advance: DefaultSessionTTL + time.Second, form: submitName("Ann"), wantErr: errSessionExpired},
			{session: "same", action: ActionCancel, wantErr: errSessionExpired},
		}},
		{name: "expiry counts from the last stage", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", advance: DefaultSessionTTL - time.Second, form: submitName("Ann"), wantStatus: StatusExecuting},
			{session: "same", advance: DefaultSessionTTL - time.Second, form: submitColor("red"), wantStatus: StatusCompleted},
		}},
		{name: "expired session of another user is still bad-sessionid", steps: []step{
			{wantStatus: StatusExecuting},
			{from: bob, session: "same", advance: time.Hour, wantErr: errBadSession},
		}},
		{name: "malformed action", steps: []step{
			{action: "jump", wantErr: errBadRequest(SpecificMalformedAction, "")},
			{wantStatus: StatusExecuting},
			{session: "same", action: "NEXT", wantErr: errBadRequest(SpecificMalformedAction, "")},
			{session: "same", form: submitName("Ann"), wantStatus: StatusExecuting},
		}},
		{name: "prev not offered", steps: []step{
			{wantStatus: StatusExecuting},
			// The first stage asked for prev, but there is nothing before it.
			{session: "same", action: ActionPrev, wantErr: errBadRequest(SpecificBadAction, "")},
			{session: "same", action: ActionNext, form: submitName("Ann"), wantFormType: "urn:test:color"},
		}},
		// XEP-0050 §3.4 lets the responder read actions loosely. poezio
		// submits every stage with next, also where only complete is
		// offered: a forward action not offered is the stage's forward
		// action.
		{name: "poezio: next at every stage, also where only complete is offered", steps: []step{
			{action: ActionExecute, wantStatus: StatusExecuting, wantActions: stage1Actions},
			{session: "same", action: ActionNext, form: submitName("Ann"), wantStatus: StatusExecuting, wantFormType: "urn:test:color", wantActions: stage2Actions},
			{session: "same", action: ActionNext, form: submitColor("red"), wantStatus: StatusCompleted, wantValues: map[string]string{"name": "Ann", "color": "red"}},
		}},
		{name: "complete where only next is offered goes on to the next stage", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", action: ActionComplete, form: submitName("Ann"), wantStatus: StatusExecuting, wantFormType: "urn:test:color"},
			{session: "same", action: ActionComplete, form: submitColor("red"), wantStatus: StatusCompleted},
		}},
		{name: "a forward action taken loosely still checks the form", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("Ann")},
			{session: "same", action: ActionNext, form: submitColor("green"), wantStatus: StatusExecuting, wantFormType: "urn:test:color"},
			{session: "same", action: ActionNext, form: submitColor("red"), wantStatus: StatusCompleted},
		}},
		{name: "actions other than execute need a session", steps: []step{
			{action: ActionNext, wantErr: errBadRequest(SpecificBadAction, "")},
			{action: ActionCancel, wantErr: errBadRequest(SpecificBadAction, "")},
		}},
		{name: "unknown node", steps: []step{
			{node: "nope", wantErr: &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionItemNotFound}},
		}},
		{name: "admin command refused to a non-admin", steps: []step{
			{node: "admin", wantErr: &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionForbidden}},
		}},
		{name: "admin command run by an admin", steps: []step{
			{node: "admin", admin: true, wantStatus: StatusCompleted, wantNotes: []Note{{NoteInfo, "ok"}}},
		}},
		{name: "an alias runs the command, and the reply names the alias", steps: []step{
			{node: "urn:test:hello", wantStatus: StatusCompleted, wantNotes: []Note{{NoteInfo, "Hello " + alice}}},
		}},
		{name: "single-stage command", steps: []step{
			{node: "hello", wantStatus: StatusCompleted, wantFormType: "-", wantNotes: []Note{{NoteInfo, "Hello " + alice}}},
			{node: "hello", session: "same", wantErr: errSessionExpired},
		}},
		{name: "first stage asking to retry fails the command with a note", steps: []step{
			{node: "failing", wantStatus: StatusCompleted, wantNotes: []Note{{NoteError, "Nothing to do."}}},
		}},
		{name: "missing required field sends the form again with a note", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", action: ActionNext, wantStatus: StatusExecuting, wantFormType: "urn:test:name",
				wantActions: stage1Actions, wantNotes: []Note{{NoteError, `"Name" is required.`}}},
			{session: "same", action: ActionNext, form: submitName("Ann"), wantFormType: "urn:test:color"},
		}},
		{name: "value not among the options keeps what was typed", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("Ann")},
			{session: "same", form: submitColor("green"), wantStatus: StatusExecuting, wantFormType: "urn:test:color", wantActions: stage2Actions,
				wantNotes:  []Note{{NoteError, `"Color" has "green", which is not one of the choices offered.`}, {NoteInfo, "Step 2 of 2"}},
				wantValues: map[string]string{"color": "green"}},
			{session: "same", form: submitColor("red"), wantStatus: StatusCompleted},
		}},
		{name: "wrong FORM_TYPE is refused", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: forms.New(forms.OfType(forms.TypeSubmit), forms.FormType("urn:other"), forms.Var("name", "Ann")),
				wantStatus: StatusExecuting, wantFormType: "urn:test:name",
				wantNotes: []Note{{NoteError, `This form is of type "urn:test:name", but the submission is of type "urn:other".`}}},
		}},
		{name: "a cancel form counts as a submission", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: func() *forms.Form { f := submitName("Ann"); f.Type = forms.TypeCancel; return f }(),
				wantStatus: StatusExecuting, wantFormType: "urn:test:color"},
		}},
		{name: "stage asks to retry", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("retry"), wantStatus: StatusExecuting, wantFormType: "urn:test:name",
				wantNotes: []Note{{NoteError, "That name is taken."}}, wantValues: map[string]string{"name": "retry"}},
			{session: "same", form: submitName("Ann"), wantFormType: "urn:test:color"},
		}},
		{name: "stage fails: internal error and the session ends", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("boom"), wantErr: &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionInternalServerError}},
			{session: "same", form: submitName("Ann"), wantErr: errSessionExpired},
		}},
		{name: "stage panics: internal error and the session ends", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("panic"), wantErr: &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionInternalServerError}},
			{session: "same", form: submitName("Ann"), wantErr: errSessionExpired},
		}},
		{name: "stage returns a stanza error", steps: []step{
			{wantStatus: StatusExecuting},
			{session: "same", form: submitName("forbid"), wantErr: &StanzaError{Type: stanza.ErrorTypeAuth, Condition: ConditionForbidden}},
		}},
		{name: "request without sender", steps: []step{
			{from: "-", wantErr: errBadRequest("", "")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			e, _ := newTestEngine(t, clk, Options{})
			var session string
			for i, st := range tt.steps {
				clk.Advance(st.advance)
				cmd := &Command{Node: st.node, Action: st.action, Form: st.form}
				if cmd.Node == "" {
					cmd.Node = "wizard"
				}
				switch st.session {
				case "":
				case "same":
					cmd.SessionID = session
				default:
					cmd.SessionID = st.session
				}
				from := st.from
				switch from {
				case "":
					from = alice
				case "-":
					from = ""
				}
				got, err := e.Handle(t.Context(), from, service, cmd, st.admin)
				if st.wantErr != nil {
					checkStanzaError(t, i, err, st.wantErr)
					if got != nil {
						t.Errorf("step %d: Handle() = %#v with an error", i, got)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: Handle() error = %v", i, err)
				}
				checkReply(t, i, got, cmd, st)
				session = got.SessionID
			}
		})
	}
}

var (
	errBadSession     = errBadRequest(SpecificBadSessionID, "")
	errSessionExpired = &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionNotAllowed, Specific: SpecificSessionExpired}
)

func checkStanzaError(t *testing.T, i int, err error, want *StanzaError) {
	t.Helper()
	var se *StanzaError
	if !errors.As(err, &se) {
		t.Fatalf("step %d: Handle() error = %v, want %v", i, err, want)
	}
	if se.Type != want.Type || se.Condition != want.Condition || se.Specific != want.Specific {
		t.Errorf("step %d: Handle() error = %s/%s/%s, want %s/%s/%s", i,
			se.Type, se.Condition, se.Specific, want.Type, want.Condition, want.Specific)
	}
}

var sessionIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func checkReply(t *testing.T, i int, got, cmd *Command, st step) {
	t.Helper()
	if got.Node != cmd.Node {
		t.Errorf("step %d: Node = %q, want %q", i, got.Node, cmd.Node)
	}
	if !sessionIDPattern.MatchString(got.SessionID) {
		t.Errorf("step %d: SessionID = %q, want 128 bits in hex", i, got.SessionID)
	}
	if cmd.SessionID != "" && got.SessionID != cmd.SessionID {
		t.Errorf("step %d: SessionID = %q, want the request's %q", i, got.SessionID, cmd.SessionID)
	}
	if got.Action != "" {
		t.Errorf("step %d: reply has action %q", i, got.Action)
	}
	if st.wantStatus != "" && got.Status != st.wantStatus {
		t.Errorf("step %d: Status = %q, want %q", i, got.Status, st.wantStatus)
	}
	if got.Status == StatusExecuting && got.Actions == nil {
		t.Errorf("step %d: executing reply without actions", i)
	}
	if got.Status != StatusExecuting && got.Actions != nil {
		t.Errorf("step %d: %s reply with actions %+v", i, got.Status, got.Actions)
	}
	switch st.wantFormType {
	case "":
	case "-":
		if got.Form != nil && got.Form.Type != forms.TypeResult {
			t.Errorf("step %d: Form = %#v, want none or a result", i, got.Form)
		}
	default:
		if got.Form == nil || got.Form.FormType() != st.wantFormType || got.Form.Type != forms.TypeForm {
			t.Errorf("step %d: Form = %#v, want a form of FORM_TYPE %q", i, got.Form, st.wantFormType)
		}
	}
	if st.wantActions != nil && !reflect.DeepEqual(got.Actions, st.wantActions) {
		t.Errorf("step %d: Actions = %+v, want %+v", i, got.Actions, st.wantActions)
	}
	if st.wantNotes != nil && !(len(got.Notes) == 0 && len(st.wantNotes) == 0) && !reflect.DeepEqual(got.Notes, st.wantNotes) {
		t.Errorf("step %d: Notes = %+v, want %+v", i, got.Notes, st.wantNotes)
	}
	for v, want := range st.wantValues {
		if s, _ := got.Form.String(v); s != want {
			t.Errorf("step %d: form value %q = %q, want %q", i, v, s, want)
		}
	}
}

// TestEngineRequests checks what the stages are given.
func TestEngineRequests(t *testing.T) {
	e, rec := newTestEngine(t, newClock(), Options{})
	ctx := t.Context()
	r1, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", Lang: "de", Form: submitName("ignored")}, true)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	first := rec.last()
	want := Request{Node: "wizard", SessionID: r1.SessionID, From: alice, To: service, IsAdmin: true, Lang: "de", Action: ActionExecute}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first stage got %+v, want %+v", first, want)
	}

	if _, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Lang: "fr", Form: submitName("Ann")}, false); err != nil {
		t.Fatalf("next: %v", err)
	}
	second := rec.last()
	if second.Action != ActionNext || second.Data != "start" || second.Lang != "de" || second.IsAdmin {
		t.Errorf("second stage got %+v", second)
	}
	if name, _ := second.Form.String("name"); name != "Ann" {
		t.Errorf("second stage form name = %q", name)
	}

	if _, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Action: ActionComplete, Form: submitColor("red")}, false); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if third := rec.last(); third.Action != ActionComplete || third.Data != "Ann" {
		t.Errorf("third stage got %+v", third)
	}
}

// TestEngineStageWithoutForm covers a confirmation stage that shows only
// notes: nothing is validated and the stage gets no form.
func TestEngineStageWithoutForm(t *testing.T) {
	var got *Request
	confirm := Definition{Node: "confirm", Name: "Confirm", Start: func(context.Context, *Request) (Response, error) {
		return Response{
			Notes:   []Note{{Type: NoteWarn, Text: "Really?"}},
			Actions: Actions{Execute: ActionPrev, Complete: true}, // prev not possible: corrected
			Then: func(_ context.Context, req *Request) (Response, error) {
				got = req
				return Response{Notes: []Note{{Type: NoteInfo, Text: "Done."}}}, nil
			},
		}, nil
	}}
	e, _ := newTestEngine(t, newClock(), Options{}, confirm)
	r, err := e.Handle(t.Context(), alice, service, &Command{Node: "confirm"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Actions{Execute: ActionComplete, Complete: true}); !reflect.DeepEqual(r.Actions, want) {
		t.Errorf("Actions = %+v, want %+v", r.Actions, want)
	}
	r, err = e.Handle(t.Context(), alice, service, &Command{Node: "confirm", SessionID: r.SessionID, Form: submitName("x")}, false)
	if err != nil || r.Status != StatusCompleted {
		t.Fatalf("Handle() = %+v, %v", r, err)
	}
	if got.Form != nil || got.Action != ActionComplete {
		t.Errorf("stage got Form %#v, Action %q; want no form, complete", got.Form, got.Action)
	}
}

func TestActionsNormalize(t *testing.T) {
	tests := []struct {
		name    string
		in      Actions
		canPrev bool
		want    Actions
	}{
		{"zero value offers complete", Actions{}, false, Actions{Execute: ActionComplete, Complete: true}},
		{"next is the default", Actions{Next: true, Complete: true}, true, Actions{Execute: ActionNext, Next: true, Complete: true}},
		{"explicit default kept", Actions{Execute: ActionComplete, Next: true, Complete: true}, true, Actions{Execute: ActionComplete, Next: true, Complete: true}},
		{"default not offered is corrected", Actions{Execute: ActionNext, Complete: true}, true, Actions{Execute: ActionComplete, Complete: true}},
		{"cancel is no default", Actions{Execute: ActionCancel, Next: true}, true, Actions{Execute: ActionNext, Next: true}},
		{"prev dropped on the first stage", Actions{Prev: true}, false, Actions{Execute: ActionComplete, Complete: true}},
		{"prev alone", Actions{Prev: true}, true, Actions{Execute: ActionPrev, Prev: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.normalize(tt.canPrev); got != tt.want {
				t.Errorf("normalize(%+v, %v) = %+v, want %+v", tt.in, tt.canPrev, got, tt.want)
			}
		})
	}
}

func TestEngineBusySession(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := Definition{Node: "slow", Name: "Slow", Start: func(context.Context, *Request) (Response, error) {
		return Response{Actions: Actions{Next: true}, Then: func(context.Context, *Request) (Response, error) {
			close(entered)
			<-release
			return Response{}, nil
		}}, nil
	}}
	e, _ := newTestEngine(t, newClock(), Options{}, slow)
	ctx := t.Context()
	r, err := e.Handle(ctx, alice, service, &Command{Node: "slow"}, false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := e.Handle(ctx, alice, service, &Command{Node: "slow", SessionID: r.SessionID}, false)
		done <- err
	}()
	<-entered
	_, err = e.Handle(ctx, alice, service, &Command{Node: "slow", SessionID: r.SessionID, Action: ActionCancel}, false)
	checkStanzaError(t, 0, err, &StanzaError{Type: stanza.ErrorTypeWait, Condition: ConditionUnexpectedRequest})
	close(release)
	if err := <-done; err != nil {
		t.Errorf("slow stage: %v", err)
	}
}

func TestEngineSessionsPerJID(t *testing.T) {
	clk := newClock()
	e, _ := newTestEngine(t, clk, Options{MaxSessionsPerJID: 2})
	ctx := t.Context()
	start := func(from string) string {
		t.Helper()
		r, err := e.Handle(ctx, from, service, &Command{Node: "wizard"}, false)
		if err != nil {
			t.Fatalf("start for %s: %v", from, err)
		}
		clk.Advance(time.Second)
		return r.SessionID
	}
	use := func(from, id string) error {
		_, err := e.Handle(ctx, from, service, &Command{Node: "wizard", SessionID: id, Action: ActionCancel}, false)
		return err
	}

	s1 := start(alice)
	s2 := start(aliceOther)
	bobs := start(bob)
	// s1 is touched again, so s2 is now the least recently used.
	if _, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: s1}, false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	s3 := start(alice) // the third of alice@example.org drops s2
	checkStanzaError(t, 0, use(aliceOther, s2), errBadSession)
	for _, id := range []string{s1, s3} {
		if err := use(alice, id); err != nil {
			t.Errorf("session %s: %v", id, err)
		}
	}
	if err := use(bob, bobs); err != nil {
		t.Errorf("bob's session: %v", err)
	}

	// s1 and s3 have ended (canceled); their ids are forgotten before any
	// live session is dropped.
	s4 := start(alice)
	s5 := start(alice)
	for _, id := range []string{s4, s5} {
		if err := use(alice, id); err != nil {
			t.Errorf("session %s: %v", id, err)
		}
	}
}

func TestEngineMaxSessions(t *testing.T) {
	clk := newClock()
	e, _ := newTestEngine(t, clk, Options{MaxSessions: 2, SessionTTL: time.Minute})
	ctx := t.Context()
	for _, from := range []string{alice, bob} {
		if _, err := e.Handle(ctx, from, service, &Command{Node: "wizard"}, false); err != nil {
			t.Fatal(err)
		}
	}
	carol := "carol@example.org/x"
	_, err := e.Handle(ctx, carol, service, &Command{Node: "wizard"}, false)
	checkStanzaError(t, 0, err, &StanzaError{Type: stanza.ErrorTypeWait, Condition: ConditionResourceConstraint})

	// Ended sessions make room: single-stage commands leave only a
	// remembered id behind, which is forgotten when space runs out.
	clk.Advance(2 * time.Minute)
	for range 3 {
		if _, err := e.Handle(ctx, carol, service, &Command{Node: "hello"}, false); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
	}
}

func TestEngineSweep(t *testing.T) {
	clk := newClock()
	e, _ := newTestEngine(t, clk, Options{SessionTTL: time.Minute})
	ctx := t.Context()
	for i := range 5 {
		if _, err := e.Handle(ctx, fmt.Sprintf("u%d@example.org/r", i), service, &Command{Node: "wizard"}, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sessions.len(); n != 5 {
		t.Fatalf("sessions = %d, want 5", n)
	}
	// Expired for one TTL, then remembered for another: gone after both.
	clk.Advance(2*time.Minute + time.Second)
	if _, err := e.Handle(ctx, alice, service, &Command{Node: "wizard"}, false); err != nil {
		t.Fatal(err)
	}
	if n := e.sessions.len(); n != 1 {
		t.Errorf("sessions after sweep = %d, want 1", n)
	}
}

func TestEngineConcurrent(t *testing.T) {
	// Four goroutines share each bare JID, each with at most one live
	// session, so the limit of four only ever forgets ended ones.
	e, _ := newTestEngine(t, newClock(), Options{MaxSessionsPerJID: 4})
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Go(func() {
			from := fmt.Sprintf("user%d@example.org/r", i%8)
			run := func() error {
				r, err := e.Handle(ctx, from, service, &Command{Node: "wizard"}, false)
				if err != nil {
					return err
				}
				r, err = e.Handle(ctx, from, service, &Command{Node: "wizard", SessionID: r.SessionID, Form: submitName("Ann")}, false)
				if err != nil {
					return err
				}
				r, err = e.Handle(ctx, from, service, &Command{Node: "wizard", SessionID: r.SessionID, Form: submitColor("red")}, false)
				if err != nil {
					return err
				}
				if r.Status != StatusCompleted {
					return fmt.Errorf("status %q", r.Status)
				}
				return nil
			}
			for range 10 {
				if err := run(); err != nil {
					errs <- err
					return
				}
				e.Items(from, i%2 == 0)
				e.Info("wizard")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSessionIDsAreUnique(t *testing.T) {
	e, _ := newTestEngine(t, newClock(), Options{MaxSessionsPerJID: 1000})
	seen := make(map[string]bool)
	for range 200 {
		r, err := e.Handle(t.Context(), alice, service, &Command{Node: "hello"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.SessionID] {
			t.Fatalf("session id %s issued twice", r.SessionID)
		}
		seen[r.SessionID] = true
	}
}

func TestItemsAndInfo(t *testing.T) {
	e, _ := newTestEngine(t, newClock(), Options{})
	helloItem := Item{Node: "hello", Name: "Say hello", Aliases: []string{"urn:test:hello"}}
	user := []Item{{Node: "wizard", Name: "Wizard"}, helloItem, {Node: "failing", Name: "Failing"}}
	admin := []Item{{Node: "wizard", Name: "Wizard"}, helloItem, {Node: "admin", Name: "Admin"}, {Node: "failing", Name: "Failing"}}
	if got := e.Items(alice, false); !reflect.DeepEqual(got, user) {
		t.Errorf("Items(user) = %+v, want %+v", got, user)
	}
	if got := e.Items(alice, true); !reflect.DeepEqual(got, admin) {
		t.Errorf("Items(admin) = %+v, want %+v", got, admin)
	}

	tests := []struct {
		node   string
		want   Info
		wantOK bool
	}{
		{"wizard", Info{Identities: []Identity{{"automation", "command-node", "Wizard"}}, Features: []string{NS, forms.NS}}, true},
		{"admin", Info{Identities: []Identity{{"automation", "command-node", "Admin"}}, Features: []string{NS, forms.NS}}, true},
		{"urn:test:hello", Info{Identities: []Identity{{"automation", "command-node", "Say hello"}}, Features: []string{NS, forms.NS}}, true},
		{NS, Info{Identities: []Identity{{"automation", "command-list", "Commands"}}, Features: []string{NS}}, true},
		{"nope", Info{}, false},
	}
	for _, tt := range tests {
		got, ok := e.Info(tt.node)
		if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Info(%q) = %+v, %v; want %+v, %v", tt.node, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestNewPanics(t *testing.T) {
	start := func(context.Context, *Request) (Response, error) { return Response{}, nil }
	tests := []struct {
		name string
		defs []Definition
	}{
		{"duplicate node", []Definition{{Node: "a", Name: "A", Start: start}, {Node: "a", Name: "B", Start: start}}},
		{"alias of another's node", []Definition{{Node: "a", Name: "A", Start: start}, {Node: "b", Name: "B", Aliases: []string{"a"}, Start: start}}},
		{"same alias twice", []Definition{{Node: "a", Name: "A", Aliases: []string{"x"}, Start: start}, {Node: "b", Name: "B", Aliases: []string{"x"}, Start: start}}},
		{"empty alias", []Definition{{Node: "a", Name: "A", Aliases: []string{""}, Start: start}}},
		{"nil start", []Definition{{Node: "a", Name: "A"}}},
		{"no node", []Definition{{Name: "A", Start: start}}},
		{"no name", []Definition{{Node: "a", Start: start}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New() did not panic")
				}
			}()
			New(Options{}, tt.defs...)
		})
	}
}

func TestHandleNilCommand(t *testing.T) {
	e, _ := newTestEngine(t, newClock(), Options{})
	_, err := e.Handle(t.Context(), alice, service, nil, false)
	checkStanzaError(t, 0, err, errBadRequest("", ""))
}

// TestEngineBusySessionsAreNotDropped: when every session of a JID is running
// a stage, a new one is refused rather than pulling one from under its stage.
func TestEngineBusySessionsAreNotDropped(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := Definition{Node: "slow", Name: "Slow", Start: func(context.Context, *Request) (Response, error) {
		close(entered)
		<-release
		return Response{}, nil
	}}
	e, _ := newTestEngine(t, newClock(), Options{MaxSessionsPerJID: 1}, slow)
	ctx := t.Context()
	done := make(chan error)
	go func() {
		_, err := e.Handle(ctx, alice, service, &Command{Node: "slow"}, false)
		done <- err
	}()
	<-entered
	_, err := e.Handle(ctx, aliceOther, service, &Command{Node: "hello"}, false)
	checkStanzaError(t, 0, err, &StanzaError{Type: stanza.ErrorTypeWait, Condition: ConditionResourceConstraint})
	close(release)
	if err := <-done; err != nil {
		t.Errorf("slow stage: %v", err)
	}
	if _, err := e.Handle(ctx, aliceOther, service, &Command{Node: "hello"}, false); err != nil {
		t.Errorf("after the slow stage: %v", err)
	}
}

// TestEngineLooseActionIsTheForwardAction checks what a stage is told when
// a client sends a forward action that was not offered: the stage's own
// forward action, so that a stage offering next and complete can still
// tell them apart.
func TestEngineLooseActionIsTheForwardAction(t *testing.T) {
	e, rec := newTestEngine(t, newClock(), Options{})
	ctx := t.Context()
	r1, err := e.Handle(ctx, alice, service, &Command{Node: "wizard"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Action: ActionComplete, Form: submitName("Ann")}, false); err != nil {
		t.Fatal(err)
	}
	if got := rec.last().Action; got != ActionNext {
		t.Errorf("complete at a next-only stage reached the stage as %q, want next", got)
	}
	if _, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Action: ActionNext, Form: submitColor("red")}, false); err != nil {
		t.Fatal(err)
	}
	if got := rec.last().Action; got != ActionComplete {
		t.Errorf("next at a complete-only stage reached the stage as %q, want complete", got)
	}
}

// summary is a one-stage command whose result is three lines of text.
func summary() Definition {
	return Definition{Node: "summary", Name: "Summary", Start: func(context.Context, *Request) (Response, error) {
		return Response{Form: forms.New(forms.OfType(forms.TypeResult), forms.Title("Summary"),
			forms.Fixed("App: TV"), forms.TextSingle("line-2", forms.Value("taken")), forms.Fixed("Code: WDJB-MJHT"), forms.Fixed("Expires at 12:10 UTC"))}, nil
	}}
}

// TestEngineFixedFieldsHaveVars checks that no fixed field goes out without
// a var of its own: clients that key fields by var (poezio, through
// slixmpp) show only the last of several fields without one.
func TestEngineFixedFieldsHaveVars(t *testing.T) {
	e, _ := newTestEngine(t, newClock(), Options{}, summary())
	got, err := e.Handle(t.Context(), alice, service, &Command{Node: "summary"}, false)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var texts []string
	for _, f := range got.Form.Fields {
		if f.Var == "" || seen[f.Var] {
			t.Errorf("field %+v: var empty or used twice", f)
		}
		seen[f.Var] = true
		texts = append(texts, f.Values...)
	}
	if want := []string{"App: TV", "taken", "Code: WDJB-MJHT", "Expires at 12:10 UTC"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("field values = %q, want %q in order", texts, want)
	}
}

// TestEngineNotesInForm checks that the notes of a stage that goes on are
// also the first fields of its form, fixed ones with vars of their own:
// profanity shows no notes until a command completes, and poezio shows
// them as empty lines, so a rejected submission would come back without
// saying why.
func TestEngineNotesInForm(t *testing.T) {
	e, _ := newTestEngine(t, newClock(), Options{})
	ctx := t.Context()
	leading := func(f *forms.Form) []string {
		var out []string
		for _, fld := range f.Fields {
			if !strings.HasPrefix(fld.Var, "note-") {
				break
			}
			if fld.Type != forms.FieldFixed {
				t.Errorf("note field %+v is not fixed", fld)
			}
			out = append(out, fld.Values...)
		}
		return out
	}
	r1, err := e.Handle(ctx, alice, service, &Command{Node: "wizard"}, false)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Form: submitName("retry")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"That name is taken."}; !reflect.DeepEqual(leading(r2.Form), want) {
		t.Errorf("fields after a retry start with %q, want %q", leading(r2.Form), want)
	}
	r3, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Form: submitName("Ann")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Step 2 of 2"}; !reflect.DeepEqual(leading(r3.Form), want) {
		t.Errorf("fields of stage 2 start with %q, want %q", leading(r3.Form), want)
	}
	r4, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Form: submitColor("green")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`"Color" has "green", which is not one of the choices offered.`, "Step 2 of 2"}; !reflect.DeepEqual(leading(r4.Form), want) {
		t.Errorf("fields after a rejected choice start with %q, want %q", leading(r4.Form), want)
	}
	// The form checks submissions as sent, the notes' fields aside.
	r5, err := e.Handle(ctx, alice, service, &Command{Node: "wizard", SessionID: r1.SessionID, Form: submitColor("red")}, false)
	if err != nil || r5.Status != StatusCompleted {
		t.Fatalf("complete = %+v, %v", r5, err)
	}
}
