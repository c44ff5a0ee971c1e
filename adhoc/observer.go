package adhoc

// Outcomes of a command session, as an [Observer] is told them.
const (
	// OutcomeCompleted: the command completed (XEP-0050 §3.4, status
	// "completed") without an error note.
	OutcomeCompleted = "completed"
	// OutcomeFailed: the command completed with an error note, as a
	// command that fails must (XEP-0050 §3.6), or a stage refused it with a
	// stanza error.
	OutcomeFailed = "failed"
	// OutcomeCanceled: the requester canceled the session (XEP-0050 §3.4,
	// action "cancel").
	OutcomeCanceled = "canceled"
	// OutcomeInternalError: a stage failed on our side (an error or a
	// panic) and the requester got internal-server-error.
	OutcomeInternalError = "internal_error"
)

// Observer is told of every command session that ends, for metrics;
// package metrics implements it for Prometheus. Its method is called on the
// stanza's goroutine, so it must be quick and safe for concurrent use.
type Observer interface {
	// CommandEnded reports a session of the command at node that ended
	// with outcome, one of the Outcome constants. Only registered nodes
	// are reported, so node takes a bounded set of values. Requests
	// refused before a session starts (an unknown node, an admin command
	// asked by a non-admin, too many sessions) and sessions that expire
	// idle are not reported.
	CommandEnded(node, outcome string)
}

// ended tells the observer, if there is one, that a session of node ended
// with outcome.
func (e *Engine) ended(node, outcome string) {
	if e.observer == nil {
		return
	}
	// A session run through an alias counts for the command's own node.
	if d, ok := e.byNode[node]; ok {
		node = d.Node
	}
	e.observer.CommandEnded(node, outcome)
}

// completedOutcome is the outcome of a command that completed with notes.
func completedOutcome(notes []Note) string {
	for _, n := range notes {
		if n.Type == NoteError {
			return OutcomeFailed
		}
	}
	return OutcomeCompleted
}
