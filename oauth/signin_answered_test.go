package oauth_test

import (
	"strings"
	"testing"
)

// TestDecideSignInByCodeAlreadyAnswered checks what a user who answers a
// sign-in a second time by its code is told: that it was already answered,
// naming the code as they see it, not that they have no such sign-in.
func TestDecideSignInByCodeAlreadyAnswered(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	s := e.startSignIn(t)
	if _, err := e.p.DecideSignIn(ctx, alice, s.Code, true); err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{s.Code, strings.ToLower(strings.ReplaceAll(s.Code, "-", ""))} {
		_, err := e.p.DecideSignIn(ctx, alice, typed, false)
		if err == nil || !strings.Contains(err.Error(), s.Code) || !strings.Contains(err.Error(), "already answered") {
			t.Errorf("DecideSignIn(%q) again = %v, want it to say sign-in %s was already answered", typed, err, s.Code)
		}
	}
	// Someone else's answered sign-in stays unknown to alice's neighbour.
	if _, err := e.p.DecideSignIn(ctx, "bob@example.test", s.Code, true); err == nil || strings.Contains(err.Error(), "already answered") {
		t.Errorf("DecideSignIn() by another user = %v, want no such sign-in", err)
	}
}
