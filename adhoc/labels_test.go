package adhoc

import (
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// TestGrantOptionLabel checks that the app picker names an app alone, and
// adds the date only to tell two grants of one app apart.
func TestGrantOptionLabel(t *testing.T) {
	grant := func(name string, day int) oauth.GrantView {
		return oauth.GrantView{Grant: oauth.Grant{AuthTime: time.Date(2030, 6, day, 12, 0, 0, 0, time.UTC)}, App: oauth.AppInfo{Name: name}}
	}
	tv, bot1, bot2 := grant("TV", 1), grant("Bot", 1), grant("Bot", 2)
	all := []oauth.GrantView{tv, bot1, bot2}
	for g, want := range map[*oauth.GrantView]string{
		&tv:   `"TV" (no web address)`,
		&bot1: `"Bot" (no web address), authorized 2030-06-01`,
		&bot2: `"Bot" (no web address), authorized 2030-06-02`,
	} {
		if got := grantOptionLabel(*g, all); got != want {
			t.Errorf("grantOptionLabel(%s) = %q, want %q", g.App.Name, got, want)
		}
	}
}
