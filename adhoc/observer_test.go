package adhoc

import (
	"maps"
	"sync"
	"testing"
)

// outcomes counts the observer's calls by "node outcome".
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) CommandEnded(node, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n[node+" "+outcome]++
}

// TestObserverSeesEndedSessions checks the outcome reported for each way a
// session ends, and that nothing is reported for requests refused before
// a session starts or for a session still in progress.
func TestObserverSeesEndedSessions(t *testing.T) {
	obs := &outcomes{n: map[string]int{}}
	e, _ := newTestEngine(t, newClock(), Options{Observer: obs})
	ctx := t.Context()
	// run starts node, submits name to its first stage if name is not
	// empty, or cancels it when name is "cancel".
	run := func(node, name string) {
		t.Helper()
		cmd, err := e.Handle(ctx, alice, service, &Command{Node: node, Action: ActionExecute}, false)
		if err != nil || cmd.Status != StatusExecuting || name == "" {
			return
		}
		next := &Command{Node: node, SessionID: cmd.SessionID, Action: ActionNext, Form: submitName(name)}
		if name == "cancel" {
			next = &Command{Node: node, SessionID: cmd.SessionID, Action: ActionCancel}
		}
		if cmd, err = e.Handle(ctx, alice, service, next, false); err == nil && cmd.Status == StatusExecuting {
			_, _ = e.Handle(ctx, alice, service, &Command{Node: node, SessionID: cmd.SessionID, Action: ActionComplete, Form: submitColor("red")}, false)
		}
	}
	run("hello", "")     // completed with an info note
	run("wizard", "Ann") // completed after three stages
	run("wizard", "cancel")
	run("wizard", "forbid") // a stage refuses with a stanza error
	run("wizard", "boom")   // a stage fails
	run("wizard", "panic")  // a stage panics
	run("wizard", "retry")  // asked again: still in progress, not reported
	run("failing", "")      // the first stage fails with an error note
	run("admin", "")        // refused to a non-admin before a session starts
	run("no-such-node", "") // unknown node

	want := map[string]int{
		"hello " + OutcomeCompleted:      1,
		"wizard " + OutcomeCompleted:     1,
		"wizard " + OutcomeCanceled:      1,
		"wizard " + OutcomeFailed:        1,
		"wizard " + OutcomeInternalError: 2,
		"failing " + OutcomeFailed:       1,
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !maps.Equal(obs.n, want) {
		t.Errorf("observed %v, want %v", obs.n, want)
	}
}

func TestCompletedOutcome(t *testing.T) {
	tests := []struct {
		name  string
		notes []Note
		want  string
	}{
		{"no notes", nil, OutcomeCompleted},
		{"info and warning", []Note{{Type: NoteInfo}, {Type: NoteWarn}}, OutcomeCompleted},
		{"an error note", []Note{{Type: NoteInfo}, {Type: NoteError}}, OutcomeFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := completedOutcome(tc.notes); got != tc.want {
				t.Errorf("completedOutcome(%v) = %q, want %q", tc.notes, got, tc.want)
			}
		})
	}
}
