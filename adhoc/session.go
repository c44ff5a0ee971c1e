package adhoc

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"sync"
	"time"

	"gosrc.io/xmpp/stanza"

	"github.com/xmppoauth/xmppoauth/forms"
)

// frame is one stage shown to the requester: what was sent, and what handles
// the answer. Frames do not change once pushed, so they are read without the
// lock.
type frame struct {
	form    *forms.Form
	notes   []Note
	actions Actions
	then    StageFunc
	data    any
}

// reply is the <command/> that shows the frame.
func (f *frame) reply(s *session) *Command {
	return f.show(s, f.form.Clone(), f.notes)
}

// retry shows the frame again after a rejected submission: errs come first,
// then the stage's own notes, and the form keeps the submitted values.
func (f *frame) retry(s *session, submitted *forms.Form, errs []Note) *Command {
	form := f.form.Clone()
	if submitted != nil && f.form != nil {
		form = f.form.WithValues(submitted)
	}
	return f.show(s, form, append(append([]Note(nil), errs...), f.notes...))
}

// show is the executing <command/> with form and notes. The notes are also
// the first fields of the form, fixed ones named note-1, note-2, …:
// profanity shows no notes until a command completes, and poezio turns
// notes into fixed fields without a value, so both would show a rejected
// form again without saying why; neither shows every form element, but
// both show fixed fields. (Clients that show notes and fields, such as
// Gajim, show them twice, the lesser evil.)
func (f *frame) show(s *session, form *forms.Form, notes []Note) *Command {
	actions := f.actions
	if form != nil && len(notes) > 0 {
		fields := make([]forms.Field, 0, len(notes)+len(form.Fields))
		for i, n := range notes {
			fields = append(fields, forms.Field{Var: "note-" + strconv.Itoa(i+1), Type: forms.FieldFixed, Values: []string{n.Text}})
		}
		form.Fields = append(fields, form.Fields...)
	}
	return &Command{
		Node:      s.node,
		SessionID: s.id,
		Status:    StatusExecuting,
		Actions:   &actions,
		Notes:     append([]Note(nil), notes...),
		Form:      form,
	}
}

// session is one execution of a command. Its fields other than id, node,
// owner, bare and lang (fixed at creation) are guarded by sessions.mu.
type session struct {
	id, node, owner, bare, lang string

	touched time.Time
	// busy is set while a stage runs, so that a second request on the same
	// session is refused rather than racing it.
	busy bool
	// ended marks a completed, canceled or expired session, kept only to
	// answer session-expired until endedAt+ttl.
	ended   bool
	endedAt time.Time
	stack   []*frame
}

// sessions holds the sessions of an engine.
type sessions struct {
	ttl         time.Duration
	perJID, max int

	mu   sync.Mutex
	byID map[string]*session
}

func newSessions(ttl time.Duration, perJID, max int) *sessions {
	return &sessions{ttl: ttl, perJID: perJID, max: max, byID: make(map[string]*session)}
}

// newID returns 128 random bits in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}

func errResourceConstraint(text string) *StanzaError {
	return &StanzaError{Type: stanza.ErrorTypeWait, Condition: ConditionResourceConstraint, Text: text}
}

// create starts a busy session for owner, after making room for it within
// the limits.
func (ss *sessions) create(node, owner, bare, lang string, now time.Time) (*session, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sweep(now)

	// Per bare JID: forget the oldest ended session, else drop the least
	// recently used live one (see Options.MaxSessionsPerJID).
	var mine []*session
	for _, s := range ss.byID {
		if s.bare == bare {
			mine = append(mine, s)
		}
	}
	for len(mine) >= ss.perJID {
		victim := oldest(mine)
		if victim == nil {
			return nil, errResourceConstraint("too many commands are running at once")
		}
		delete(ss.byID, victim.id)
		mine = slices.DeleteFunc(mine, func(s *session) bool { return s == victim })
	}

	if len(ss.byID) >= ss.max {
		for id, s := range ss.byID {
			if s.ended {
				delete(ss.byID, id)
			}
		}
		if len(ss.byID) >= ss.max {
			return nil, errResourceConstraint("the service is busy; try again later")
		}
	}

	id := newID()
	for ss.byID[id] != nil {
		id = newID()
	}
	s := &session{id: id, node: node, owner: owner, bare: bare, lang: lang, touched: now, busy: true}
	ss.byID[id] = s
	return s, nil
}

// oldest picks the session to evict: the ended one that ended first, else the
// idle live one used least recently; nil if all are busy.
func oldest(list []*session) *session {
	var victim *session
	for _, s := range list {
		switch {
		case s.busy:
		case victim == nil:
			victim = s
		case s.ended != victim.ended:
			if s.ended {
				victim = s
			}
		case s.ended && s.endedAt.Before(victim.endedAt),
			!s.ended && s.touched.Before(victim.touched):
			victim = s
		}
	}
	return victim
}

// sweep marks idle sessions past their TTL as ended and forgets ended ones
// once their id has been remembered for a TTL. Callers hold mu.
func (ss *sessions) sweep(now time.Time) {
	for id, s := range ss.byID {
		if s.busy {
			continue
		}
		if !s.ended && now.After(s.touched.Add(ss.ttl)) {
			s.endAt(s.touched.Add(ss.ttl))
		}
		if s.ended && now.After(s.endedAt.Add(ss.ttl)) {
			delete(ss.byID, id)
		}
	}
}

func (s *session) endAt(t time.Time) {
	s.busy, s.ended, s.endedAt, s.stack = false, true, t, nil
}

// acquire finds the session id for a request on node from from, checks it may
// continue, marks it busy and returns it with its current stage.
func (ss *sessions) acquire(id, node, from string, now time.Time) (*session, *frame, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[id]
	// A session of another requester or command is reported exactly like an
	// unknown one, so that ids cannot be probed.
	if s == nil || s.owner != from || s.node != node {
		return nil, nil, errBadRequest(SpecificBadSessionID, "unknown session")
	}
	if !s.ended && !s.busy && now.After(s.touched.Add(ss.ttl)) {
		s.endAt(s.touched.Add(ss.ttl))
	}
	if s.ended {
		return nil, nil, &StanzaError{Type: stanza.ErrorTypeCancel, Condition: ConditionNotAllowed, Specific: SpecificSessionExpired, Text: "this command session has ended; run the command again"}
	}
	if s.busy || len(s.stack) == 0 {
		return nil, nil, &StanzaError{Type: stanza.ErrorTypeWait, Condition: ConditionUnexpectedRequest, Text: "the previous step of this command is still running"}
	}
	s.busy = true
	return s, s.stack[len(s.stack)-1], nil
}

// release makes a session idle again, unchanged.
func (ss *sessions) release(s *session, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.busy, s.touched = false, now
}

// end ends a session; its id answers session-expired from now on.
func (ss *sessions) end(s *session, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.endAt(now)
}

// push adds a stage to a session and makes it idle.
func (ss *sessions) push(s *session, f *frame, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.stack = append(s.stack, f)
	s.busy, s.touched = false, now
}

// pop returns to the previous stage, which it returns, and makes the session
// idle. The engine calls it only when prev was offered, which needs two
// stages on the stack.
func (ss *sessions) pop(s *session, now time.Time) *frame {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.stack = s.stack[:len(s.stack)-1]
	s.busy, s.touched = false, now
	return s.stack[len(s.stack)-1]
}

// len returns the number of sessions held, ended ones included.
func (ss *sessions) len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byID)
}
