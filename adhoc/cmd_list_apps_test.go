package adhoc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
)

func TestListApps(t *testing.T) {
	e := newCmdEnv(t)
	_, tv := e.register(t, tvMeta())
	e.grantDevice(t, aliceBare, tv)
	// The cases run in order on one clock.
	tests := []struct {
		name    string
		advance time.Duration
		from    string
		want    []map[string]string
		note    string
	}{
		{"no grants", 0, userBob, nil, "You have not authorized any app."},
		{"one app", 5 * time.Minute, userAlice, []map[string]string{{
			"app": "TV", "uri": "tv.example.com", "scopes": "openid xmpp",
			"authorized": "2030-06-01 12:00 UTC", "last_used": "2030-06-01 12:00 UTC", "tokens": "2",
		}}, ""},
		{"JID in other case", 0, "Alice@Example.TEST/x", []map[string]string{{"app": "TV"}}, ""},
		{"access token expired, refresh token lives", 10 * time.Minute, userAlice, []map[string]string{{"tokens": "1"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(tt.advance)
			cmd := e.start(t, tt.from, adhoc.NodeListApps, false)
			wantStatus(t, cmd, adhoc.StatusCompleted)
			if tt.note != "" {
				wantNote(t, cmd, adhoc.NoteInfo, tt.note)
				if cmd.Form != nil {
					t.Errorf("form = %+v, want none", cmd.Form)
				}
				return
			}
			if cmd.Form == nil || cmd.Form.Type != forms.TypeResult || len(cmd.Form.Reported) != 6 {
				t.Fatalf("form = %+v, want a result table of 6 columns", cmd.Form)
			}
			// Clients that draw no tables (poezio, profanity) show
			// one line of text per app.
			if text := fixedText(cmd.Form); !strings.Contains(text, `"TV" (tv.example.com): access: openid xmpp; last used 2030-06-01 12:00 UTC`) {
				t.Errorf("text = %q, want a line for TV with its access and last use", text)
			}
			got := rows(cmd.Form)
			if len(got) != len(tt.want) {
				t.Fatalf("rows = %v, want %d", got, len(tt.want))
			}
			for i, want := range tt.want {
				for k, v := range want {
					if got[i][k] != v {
						t.Errorf("row %d %s = %q, want %q", i, k, got[i][k], v)
					}
				}
			}
		})
	}
}
