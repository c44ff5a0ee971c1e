package adhoc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
)

// Defaults for [Options].
const (
	DefaultSessionTTL        = 10 * time.Minute
	DefaultMaxSessionsPerJID = 10
	DefaultMaxSessions       = 10000
)

// Options configures an [Engine]. The zero value is usable: every field has a
// default.
type Options struct {
	// SessionTTL is how long a session may stay idle between two stages
	// before it expires (default 10 minutes). An ended session's id is
	// remembered for as long again, so that reusing it gets session-expired
	// rather than bad-sessionid.
	SessionTTL time.Duration
	// MaxSessionsPerJID bounds the sessions one bare JID holds (default 10),
	// counting the remembered ids of ended sessions. When a new session would
	// exceed it, the oldest ended id is forgotten first, and failing that the
	// least recently used live session is dropped: clients often close a
	// command dialog without cancelling it, and refusing new sessions would
	// lock the user out of every command until the abandoned ones expire.
	MaxSessionsPerJID int
	// MaxSessions bounds the sessions of all requesters together (default
	// 10000). When it is reached and no ended session can be forgotten, new
	// sessions are refused with resource-constraint.
	MaxSessions int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives debug lines for each request and errors of stages
	// (default: discard).
	Logger *slog.Logger
	// Observer, when set, is told of every session that ends, for
	// metrics.
	Observer Observer
}

// StageFunc runs one stage of a command: it reads the request (the submitted
// form, the session's data) and returns what to show next. It returns a
// *[RetryError] (see [Retry]) to show its form again with an error note, or a
// *[StanzaError] to fail with that error; any other error ends the session
// and is reported to the requester as internal-server-error without its text.
type StageFunc func(ctx context.Context, req *Request) (Response, error)

// Definition is a command as registered with [New].
type Definition struct {
	// Node identifies the command (XEP-0050 §3.2); unique in an engine.
	// Several clients (profanity) list and run commands by node, so it is
	// short and readable.
	Node string
	// Aliases are further nodes that run the same command, such as the
	// nodes it had before; disco#items lists the command once, under
	// Node.
	Aliases []string
	// Name is what users see in their client's command list.
	Name string
	// AdminOnly hides the command from non-admins and refuses it to them
	// (forbidden).
	AdminOnly bool
	// Start is the first stage, run on "execute" without a session id.
	Start StageFunc
}

// Request is what a stage is given.
type Request struct {
	// Node is the command's node (its Definition.Node, also when it was
	// run through an alias).
	Node string
	// SessionID is the session's id.
	SessionID string
	// From is the requester's full JID; To is the address the command was
	// sent to.
	From, To string
	// IsAdmin says whether the transport considers the requester an admin.
	IsAdmin bool
	// Lang is the xml:lang of the first request of the session.
	Lang string
	// Action is ActionExecute for the first stage, and ActionNext or
	// ActionComplete (the default action resolved) for later ones. A stage
	// that offered both next and complete tells them apart with it.
	Action Action
	// Form is the submission of the form the previous stage sent, already
	// checked with [forms.Validate]; never nil after a stage whose form was of
	// type "form" (an empty submission if the client sent none), nil
	// otherwise. A form sent with the first "execute" is ignored, since no
	// form was sent to check it against.
	Form *forms.Form
	// Data is the Data of the previous stage's Response (nil for the first
	// stage). After "prev" it is again the value that stage was given.
	Data any
}

// Response is what a stage returns.
type Response struct {
	// Form is the form to fill (type "form") or a result to show.
	Form *forms.Form
	// Notes are shown to the user with the form.
	Notes []Note
	// Then handles the submission of this stage. nil completes the command:
	// the session ends and the reply has status completed. A command that
	// fails must then include an error note (XEP-0050 §3.6).
	Then StageFunc
	// Actions offered with this stage (ignored when Then is nil). The zero
	// value offers complete only. Prev is dropped on the first stage; if
	// neither Next, Complete nor Prev is set, Complete is; Execute defaults to
	// next, else complete, else prev, and is corrected if it names an action
	// not offered.
	Actions Actions
	// Data is kept in the session and given to Then as Request.Data. Treat it
	// as immutable (return a new value rather than changing the old one):
	// "prev" returns to a stage together with the Data it was given.
	Data any
}

// Engine runs the registered commands. It is safe for concurrent use.
type Engine struct {
	defs     []Definition
	byNode   map[string]*Definition
	ttl      time.Duration
	perJID   int
	max      int
	now      func() time.Time
	log      *slog.Logger
	observer Observer
	sessions *sessions
}

// New returns an engine for cmds with options opts. It panics when a
// definition has no node, name or start stage, or two share a node or an
// alias: such
// wiring mistakes must show when the program starts, not when the first user
// runs the command.
func New(opts Options, cmds ...Definition) *Engine {
	e := &Engine{
		defs:     append([]Definition(nil), cmds...),
		byNode:   make(map[string]*Definition, len(cmds)),
		ttl:      opts.SessionTTL,
		perJID:   opts.MaxSessionsPerJID,
		max:      opts.MaxSessions,
		now:      opts.Now,
		log:      opts.Logger,
		observer: opts.Observer,
	}
	if e.ttl <= 0 {
		e.ttl = DefaultSessionTTL
	}
	if e.perJID <= 0 {
		e.perJID = DefaultMaxSessionsPerJID
	}
	if e.max <= 0 {
		e.max = DefaultMaxSessions
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	for i := range e.defs {
		d := &e.defs[i]
		switch {
		case d.Node == "":
			panic(fmt.Sprintf("adhoc: command %d (%q) has no node", i, d.Name))
		case d.Name == "":
			panic(fmt.Sprintf("adhoc: command %q has no name", d.Node))
		case d.Start == nil:
			panic(fmt.Sprintf("adhoc: command %q has a nil Start stage", d.Node))
		}
		for _, node := range append([]string{d.Node}, d.Aliases...) {
			if node == "" || node == NS || e.byNode[node] != nil {
				panic(fmt.Sprintf("adhoc: command node %q (of %q) is empty, the commands node, or registered twice", node, d.Name))
			}
			e.byNode[node] = d
		}
	}
	e.sessions = newSessions(e.ttl, e.perJID, e.max)
	return e
}

// Handle runs one request: cmd is the <command/> of an IQ set sent by from
// (the requester's full JID) to to; isAdmin says whether the transport
// considers the requester an admin. It returns the <command/> for the IQ
// result, or a *[StanzaError] for an IQ error. Errors of other types do not
// occur.
//
// Sessions are bound to from: another JID, even another resource of the
// same account, using the session id gets bad-request/bad-sessionid.
func (e *Engine) Handle(ctx context.Context, from, to string, cmd *Command, isAdmin bool) (*Command, error) {
	if cmd == nil {
		return nil, errBadRequest("", "no command")
	}
	log := e.log.With("node", cmd.Node, "jid", from, "action", string(cmd.Action))
	log.DebugContext(ctx, "ad-hoc command request", "session", cmd.SessionID)
	if from == "" {
		return nil, errBadRequest("", "the request has no sender")
	}
	def, ok := e.byNode[cmd.Node]
	if !ok {
		return nil, &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionItemNotFound}
	}
	if def.AdminOnly && !isAdmin {
		return nil, &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionForbidden}
	}
	if !cmd.Action.valid() {
		return nil, errBadRequest(SpecificMalformedAction, fmt.Sprintf("unknown action %q", cmd.Action))
	}
	req := &Request{Node: def.Node, From: from, To: to, IsAdmin: isAdmin}
	if cmd.SessionID == "" {
		return e.start(ctx, log, def, req, cmd)
	}
	return e.continueSession(ctx, log, def, req, cmd)
}

// start runs the first stage of a new session.
func (e *Engine) start(ctx context.Context, log *slog.Logger, def *Definition, req *Request, cmd *Command) (*Command, error) {
	if cmd.Action != "" && cmd.Action != ActionExecute {
		return nil, errBadRequest(SpecificBadAction, fmt.Sprintf("action %q needs a session", cmd.Action))
	}
	// The session keeps the node as the client sent it (an alias, maybe):
	// replies name it, and the client continues with it.
	s, err := e.sessions.create(cmd.Node, req.From, bareJID(req.From), cmd.Lang, e.now())
	if err != nil {
		log.InfoContext(ctx, "ad-hoc session refused", "err", err)
		return nil, err
	}
	req.SessionID, req.Lang, req.Action = s.id, s.lang, ActionExecute
	resp, err := runStage(ctx, def.Start, req)
	return e.finish(ctx, log, s, nil, nil, resp, err)
}

// continueSession runs a request on an existing session.
func (e *Engine) continueSession(ctx context.Context, log *slog.Logger, def *Definition, req *Request, cmd *Command) (*Command, error) {
	now := e.now()
	s, cur, err := e.sessions.acquire(cmd.SessionID, def.Node, req.From, now)
	if err != nil {
		return nil, err
	}
	req.SessionID, req.Lang = s.id, s.lang

	action := cur.actions.resolve(cmd.Action)
	if !cur.actions.allows(action) {
		e.sessions.release(s, now)
		return nil, errBadRequest(SpecificBadAction, fmt.Sprintf("action %q is not allowed at this stage", action))
	}

	switch action {
	case ActionCancel:
		e.sessions.end(s, now)
		log.DebugContext(ctx, "ad-hoc session canceled", "session", s.id)
		e.ended(s.node, OutcomeCanceled)
		return &Command{Node: s.node, SessionID: s.id, Status: StatusCanceled}, nil
	case ActionPrev:
		return e.sessions.pop(s, now).reply(s), nil
	}

	// next or complete: check the submission against the form that was sent.
	if cur.form != nil && cur.form.Type == forms.TypeForm {
		submitted := cmd.Form.Clone()
		if submitted == nil {
			submitted = &forms.Form{Type: forms.TypeSubmit}
		} else if submitted.Type == forms.TypeCancel {
			// "Responders SHOULD consider any <x type='cancel'/> to be
			// <x type='submit'/>." (XEP-0050 §3.5.1)
			submitted.Type = forms.TypeSubmit
		}
		if err := forms.Validate(cur.form, submitted); err != nil {
			var verr *forms.ValidationError
			if !errors.As(err, &verr) {
				e.sessions.end(s, now)
				log.ErrorContext(ctx, "ad-hoc form check failed", "err", err)
				e.ended(s.node, OutcomeInternalError)
				return nil, errInternal()
			}
			e.sessions.release(s, now)
			notes := make([]Note, len(verr.Problems))
			for i, p := range verr.Problems {
				notes[i] = Note{Type: NoteError, Text: p.Message}
			}
			return cur.retry(s, submitted, notes), nil
		}
		req.Form = submitted
	}
	req.Action, req.Data = action, cur.data
	resp, err := runStage(ctx, cur.then, req)
	return e.finish(ctx, log, s, cur, req.Form, resp, err)
}

// finish turns what a stage returned into the reply, and updates the session:
// cur is the stage whose submission was handled (nil for the first stage) and
// submitted the form it was given.
func (e *Engine) finish(ctx context.Context, log *slog.Logger, s *session, cur *frame, submitted *forms.Form, resp Response, err error) (*Command, error) {
	now := e.now()
	if err != nil {
		if re, ok := errors.AsType[*RetryError](err); ok {
			note := []Note{{Type: NoteError, Text: re.Text}}
			if cur == nil {
				// The first stage has no form to show again: the command
				// ends, failed, with the text as its error note.
				e.sessions.end(s, now)
				e.ended(s.node, OutcomeFailed)
				return &Command{Node: s.node, SessionID: s.id, Status: StatusCompleted, Notes: note}, nil
			}
			e.sessions.release(s, now)
			return cur.retry(s, submitted, note), nil
		}
		e.sessions.end(s, now)
		if se, ok := errors.AsType[*StanzaError](err); ok {
			log.DebugContext(ctx, "ad-hoc command refused", "session", s.id, "err", se)
			e.ended(s.node, OutcomeFailed)
			return nil, se
		}
		log.ErrorContext(ctx, "ad-hoc command failed", "session", s.id, "err", err)
		e.ended(s.node, OutcomeInternalError)
		return nil, errInternal()
	}
	resp.Form = nameFixedFields(resp.Form)
	if resp.Then == nil {
		e.sessions.end(s, now)
		log.DebugContext(ctx, "ad-hoc command completed", "session", s.id)
		e.ended(s.node, completedOutcome(resp.Notes))
		return &Command{Node: s.node, SessionID: s.id, Status: StatusCompleted, Notes: resp.Notes, Form: resp.Form}, nil
	}
	f := &frame{
		form:    resp.Form.Clone(),
		notes:   append([]Note(nil), resp.Notes...),
		actions: resp.Actions.normalize(cur != nil),
		then:    resp.Then,
		data:    resp.Data,
	}
	e.sessions.push(s, f, now)
	return f.reply(s), nil
}

// nameFixedFields returns a copy of f in which every fixed field without a
// var has one of its own ("line-1", "line-2", … skipping vars in use), or
// f itself when none lacks one. XEP-0004 lets fixed fields go without a
// var, but clients that key a form's fields by var (poezio, through
// slixmpp) then show only the last of them: the app, the code and the
// warning of an approval would be lost, and only its last line shown.
func nameFixedFields(f *forms.Form) *forms.Form {
	if f == nil || !slices.ContainsFunc(f.Fields, func(x forms.Field) bool { return x.Var == "" && x.Type == forms.FieldFixed }) {
		return f
	}
	f = f.Clone()
	used := make(map[string]bool, len(f.Fields))
	for _, x := range f.Fields {
		used[x.Var] = true
	}
	n := 0
	for i := range f.Fields {
		if f.Fields[i].Var != "" || f.Fields[i].Type != forms.FieldFixed {
			continue
		}
		for {
			n++
			if v := "line-" + strconv.Itoa(n); !used[v] {
				f.Fields[i].Var, used[v] = v, true
				break
			}
		}
	}
	return f
}

// runStage runs a stage, turning a panic into an error: a bug in one command
// must neither take the component down nor leave its session marked busy
// for ever.
func runStage(ctx context.Context, stage StageFunc, req *Request) (resp Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("stage of command %q panicked: %v\n%s", req.Node, p, debug.Stack())
		}
	}()
	return stage(ctx, req)
}

func errInternal() *StanzaError {
	return &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionInternalServerError}
}

// bareJID strips the resource from a JID; the transport hands over JIDs the
// server has already checked.
func bareJID(jid string) string {
	bare, _, _ := strings.Cut(jid, "/")
	return bare
}

// normalize applies the rules of [Response.Actions]; canPrev says whether
// there is a previous stage.
func (a Actions) normalize(canPrev bool) Actions {
	a.Prev = a.Prev && canPrev
	if !a.Next && !a.Complete && !a.Prev {
		a.Complete = true
	}
	if !a.allowsOffered(a.Execute) {
		switch {
		case a.Next:
			a.Execute = ActionNext
		case a.Complete:
			a.Execute = ActionComplete
		default:
			a.Execute = ActionPrev
		}
	}
	return a
}

// resolve returns the action a request stands for at a stage offering a.
// XEP-0050 §3.4 lets the responder read actions loosely, and clients rely
// on it: an absent action or "execute" is the stage's default, and a
// forward action that is not offered (poezio sends "next" at every stage,
// also where only "complete" is offered) is the stage's forward action,
// when it has one. Anything else is returned as it is, for allows to
// judge.
func (a Actions) resolve(action Action) Action {
	switch action {
	case "", ActionExecute:
		return a.Execute
	case ActionNext, ActionComplete:
		if !a.allowsOffered(action) && a.Execute != ActionPrev {
			return a.Execute
		}
	}
	return action
}

// allowsOffered reports whether action is one of the offered prev, next or
// complete.
func (a Actions) allowsOffered(action Action) bool {
	switch action {
	case ActionPrev:
		return a.Prev
	case ActionNext:
		return a.Next
	case ActionComplete:
		return a.Complete
	}
	return false
}

// allows reports whether a requester may send action: cancel always, the
// others when offered.
func (a Actions) allows(action Action) bool {
	return action == ActionCancel || a.allowsOffered(action)
}
