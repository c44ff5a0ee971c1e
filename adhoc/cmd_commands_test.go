package adhoc_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/oauth"
)

var userNodes = []string{adhoc.NodeListApps, adhoc.NodeRevokeApps, adhoc.NodeApproveDevice, adhoc.NodeSignIns}

var adminNodes = []string{adhoc.NodeListClients, adhoc.NodeDeleteClient, adhoc.NodeRevokeUser, adhoc.NodeStats}

func TestCommandsListed(t *testing.T) {
	e := newCmdEnv(t)
	names := func(items []adhoc.Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Name)
		}
		return out
	}
	users := []string{"List authorized apps", "Revoke app access", "Approve a device", "Pending sign-ins"}
	if got := names(e.eng.Items(userAlice, false)); !slices.Equal(got, users) {
		t.Errorf("Items(user) = %q, want %q", got, users)
	}
	admins := append(users, "List clients", "Delete a client", "Revoke all access of a user", "Statistics")
	if got := names(e.eng.Items(userAdmin, true)); !slices.Equal(got, admins) {
		t.Errorf("Items(admin) = %q, want %q", got, admins)
	}
	// profanity lists nodes, not names: they are short and readable, and
	// the earlier urn:xmppoauth: nodes still work.
	for _, it := range e.eng.Items(userAdmin, true) {
		if len(it.Node) > 16 || strings.ContainsAny(it.Node, ":/ ") {
			t.Errorf("node %q is not short and readable", it.Node)
		}
		if len(it.Aliases) != 1 || !strings.HasPrefix(it.Aliases[0], "urn:xmppoauth:") {
			t.Errorf("%s: aliases %q, want its urn:xmppoauth: node", it.Node, it.Aliases)
		}
		for _, node := range append([]string{it.Node}, it.Aliases...) {
			if info, ok := e.eng.Info(node); !ok || info.Identities[0].Name != it.Name {
				t.Errorf("Info(%q) = %+v, %v; want the command %q", node, info, ok, it.Name)
			}
		}
	}
	for old, node := range map[string]string{
		"urn:xmppoauth:apps:list": adhoc.NodeListApps, "urn:xmppoauth:apps:revoke": adhoc.NodeRevokeApps,
		"urn:xmppoauth:device:approve": adhoc.NodeApproveDevice, "urn:xmppoauth:signins:pending": adhoc.NodeSignIns,
		"urn:xmppoauth:admin:clients:list": adhoc.NodeListClients, "urn:xmppoauth:admin:clients:delete": adhoc.NodeDeleteClient,
		"urn:xmppoauth:admin:users:revoke": adhoc.NodeRevokeUser, "urn:xmppoauth:admin:stats": adhoc.NodeStats,
	} {
		a, _ := e.eng.Info(old)
		b, _ := e.eng.Info(node)
		if a.Identities == nil || !slices.Equal(a.Identities, b.Identities) {
			t.Errorf("old node %s = %+v, want the command %s", old, a, node)
		}
	}
	// Run through an old node, the command works and the reply names it.
	cmd := e.start(t, userAlice, "urn:xmppoauth:apps:list", false)
	if cmd.Node != "urn:xmppoauth:apps:list" || cmd.Status != adhoc.StatusCompleted {
		t.Errorf("List authorized apps by its old node = %+v", cmd)
	}
}

func TestCommandsRefuseOutsiders(t *testing.T) {
	e := newCmdEnv(t)
	tests := []struct {
		name      string
		from      string
		nodes     []string
		admin     bool
		condition string
		text      string
	}{
		{"user of another domain", userMallory, userNodes, false, adhoc.ConditionForbidden, "other.example"},
		{"user of another domain, even if admin", userMallory, userNodes, true, adhoc.ConditionForbidden, "other.example"},
		{"non-admin runs an admin command", userAlice, adminNodes, false, adhoc.ConditionForbidden, ""},
		{"unknown node", userAlice, []string{"urn:xmppoauth:nope"}, false, adhoc.ConditionItemNotFound, ""},
	}
	for _, tt := range tests {
		for _, node := range tt.nodes {
			t.Run(tt.name+"/"+node, func(t *testing.T) {
				_, err := e.execute(t, tt.from, node, tt.admin)
				se := wantStanzaError(t, err, tt.condition, "")
				if !strings.Contains(se.Text, tt.text) {
					t.Errorf("error text = %q, want it to contain %q", se.Text, tt.text)
				}
			})
		}
	}
}

func TestCommandsAdminOfAnotherDomain(t *testing.T) {
	e := newCmdEnv(t)
	// Admins are named in the configuration and need no account on a user
	// domain.
	cmd := e.start(t, userMallory, adhoc.NodeStats, true)
	wantStatus(t, cmd, adhoc.StatusCompleted)
}

func TestCommandsSessionOfAnotherUser(t *testing.T) {
	e := newCmdEnv(t)
	first := e.start(t, userAlice, adhoc.NodeApproveDevice, false)
	wantStatus(t, first, adhoc.StatusExecuting)
	for _, from := range []string{userBob, userAlice2, userMallory} {
		t.Run(from, func(t *testing.T) {
			_, err := e.send(t, from, first, adhoc.ActionNext, one("user_code", "BBBB-BBBB"), false)
			wantStanzaError(t, err, adhoc.ConditionBadRequest, adhoc.SpecificBadSessionID)
		})
	}
	// The owner can still go on.
	cmd := e.next(t, userAlice, first, adhoc.ActionNext, one("user_code", "BBBB-BBBB"), false)
	wantNote(t, cmd, adhoc.NoteError, "No device is waiting for code BBBB-BBBB")
}

// brokenCore fails Grants with err.
type brokenCore struct {
	adhoc.Core
	err error
}

func (b brokenCore) Grants(context.Context, string) ([]oauth.GrantView, error) { return nil, b.err }

func TestCommandsCoreFailures(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		condition string // stanza error, or "" for a completed command
		note      string
	}{
		{"internal fault", errors.New("disk on fire"), adhoc.ConditionInternalServerError, ""},
		{"deleted meanwhile", fmt.Errorf("grant: %w", oauth.ErrNotFound), "", "no longer exists"},
		{"protocol error", oauth.Errorf(oauth.InvalidRequest, "no such thing"), "", "No such thing."},
		{"rate limited", &oauth.Error{Code: oauth.TooManyRequests, Description: "too many tries; try again later", RetryAfter: 42}, "", "Too many tries. Wait 42 seconds, then try again."},
		{"not a user", oauth.Errorf(oauth.AccessDenied, "accounts of x cannot sign in here"), adhoc.ConditionForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCmdEnv(t)
			eng := adhoc.New(adhoc.Options{}, adhoc.Commands(brokenCore{Core: e.p, err: tt.err})...)
			for _, node := range []string{adhoc.NodeListApps, adhoc.NodeRevokeApps} {
				cmd, err := eng.Handle(t.Context(), userAlice, component, &adhoc.Command{Node: node}, false)
				if tt.condition != "" {
					se := wantStanzaError(t, err, tt.condition, "")
					if strings.Contains(se.Text, "disk") {
						t.Errorf("internal error text leaked: %q", se.Text)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Handle(%s) = %v", node, err)
				}
				wantStatus(t, cmd, adhoc.StatusCompleted)
				wantNote(t, cmd, adhoc.NoteError, tt.note)
			}
		})
	}
}
