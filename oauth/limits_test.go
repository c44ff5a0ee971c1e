package oauth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestClientAuthFailuresAreLimited(t *testing.T) {
	limit := func(c *oauth.Config) { c.Limits.ClientAuthFailures = oauth.Rate{Count: 3, Window: time.Minute} }
	wrong := func(id string) oauth.ClientCredentials {
		return oauth.ClientCredentials{ID: id, Secret: "guess", Method: oauth.AuthClientSecretBasic}
	}
	type attempt struct {
		advance time.Duration
		right   bool // the client's own credentials
		other   bool // another confidential client
		want    string
		retry   int // RetryAfter wanted; 0 for none
	}
	tests := []struct {
		name     string
		attempts []attempt
	}{
		{"failures within the limit are plain invalid_client", []attempt{
			{want: oauth.InvalidClient}, {want: oauth.InvalidClient}, {want: oauth.InvalidClient},
		}},
		{"the failure after the limit carries Retry-After", []attempt{
			{want: oauth.InvalidClient}, {want: oauth.InvalidClient}, {advance: 20 * time.Second, want: oauth.InvalidClient},
			{advance: 10 * time.Second, want: oauth.InvalidClient, retry: 30},
		}},
		{"the right secret is never refused", []attempt{
			{want: oauth.InvalidClient}, {want: oauth.InvalidClient}, {want: oauth.InvalidClient},
			{want: oauth.InvalidClient, retry: 60}, {right: true}, {want: oauth.InvalidClient, retry: 60},
		}},
		{"a success does not reset the count", []attempt{
			{want: oauth.InvalidClient}, {want: oauth.InvalidClient}, {right: true}, {want: oauth.InvalidClient},
			{want: oauth.InvalidClient, retry: 60},
		}},
		{"another client is unaffected", []attempt{
			{want: oauth.InvalidClient}, {want: oauth.InvalidClient}, {want: oauth.InvalidClient},
			{want: oauth.InvalidClient, retry: 60}, {other: true, want: oauth.InvalidClient},
		}},
		{"the window passes", []attempt{
			{want: oauth.InvalidClient}, {want: oauth.InvalidClient}, {want: oauth.InvalidClient},
			{want: oauth.InvalidClient, retry: 60}, {advance: time.Minute, want: oauth.InvalidClient},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, limit)
			c, cred := e.register(t, webMeta())
			other, _ := e.register(t, webMeta())
			for i, a := range tt.attempts {
				e.clock.Advance(a.advance)
				use := wrong(c.ID)
				switch {
				case a.right:
					use = cred
				case a.other:
					use = wrong(other.ID)
				}
				_, err := e.p.AuthenticateClient(t.Context(), use)
				if got := errCode(err); got != a.want {
					t.Fatalf("attempt %d: AuthenticateClient() = %q (%v), want %q", i, got, err, a.want)
				}
				retry := 0
				if oe, ok := oauth.AsError(err); ok {
					retry = oe.RetryAfter
				}
				if retry != a.retry {
					t.Fatalf("attempt %d: RetryAfter = %d, want %d", i, retry, a.retry)
				}
			}
		})
	}
}

func TestClientAuthLimitIgnoresUnknownAndPublicClients(t *testing.T) {
	e := newEnv(t, func(c *oauth.Config) { c.Limits.ClientAuthFailures = oauth.Rate{Count: 1, Window: time.Minute} })
	pubMeta := webMeta()
	pubMeta.TokenEndpointAuthMethod = oauth.AuthNone
	pub, _ := e.register(t, pubMeta)
	for i := range 5 {
		for _, cred := range []oauth.ClientCredentials{
			{ID: "nobody", Secret: "x", Method: oauth.AuthClientSecretBasic},
			{ID: pub.ID, Secret: "x", Method: oauth.AuthClientSecretPost},
		} {
			_, err := e.p.AuthenticateClient(t.Context(), cred)
			oe, ok := oauth.AsError(err)
			if !ok || oe.Code != oauth.InvalidClient || oe.RetryAfter != 0 {
				t.Fatalf("attempt %d of %s = %v, want invalid_client without RetryAfter", i, cred.ID, err)
			}
		}
	}
}

func TestUserCodeGuessingIsLimitedOverall(t *testing.T) {
	e := newEnv(t, func(c *oauth.Config) {
		c.Limits.UserCodeAttempts = oauth.Rate{Count: 2, Window: time.Minute}
		c.Limits.UserCodeAttemptsTotal = oauth.Rate{Count: 6, Window: time.Minute}
	})
	ctx := t.Context()
	_, cred := e.register(t, deviceMeta())
	da, err := e.p.DeviceAuthorize(ctx, cred, "openid")
	if err != nil {
		t.Fatal(err)
	}
	// A guesser changes the address with every guess, so that the per-user
	// limit never trips: the total does.
	for i := range 6 {
		jid := fmt.Sprintf("guesser%d@example.test", i)
		if _, err := e.p.LookupDevice(ctx, jid, "BBBB-BBBB"); errCode(err) != oauth.InvalidGrant {
			t.Fatalf("wrong code %d = %v, want invalid_grant", i, err)
		}
	}
	e.clock.Advance(15 * time.Second)
	_, err = e.p.LookupDevice(ctx, "guesser6@example.test", "BBBB-BBBB")
	if oe, ok := oauth.AsError(err); !ok || oe.Code != oauth.TooManyRequests || oe.RetryAfter != 45 {
		t.Fatalf("seventh wrong code = %v, want too_many_requests with RetryAfter 45", err)
	}
	// While the total is exceeded, every lookup is refused before the store
	// is asked, the right code included.
	if _, err := e.p.LookupDevice(ctx, alice, da.UserCode); errCode(err) != oauth.TooManyRequests {
		t.Fatalf("right code while over the total = %v, want too_many_requests", err)
	}
	if err := e.p.DecideDevice(ctx, alice, da.UserCode, true); errCode(err) != oauth.TooManyRequests {
		t.Fatalf("DecideDevice while over the total = %v, want too_many_requests", err)
	}
	e.clock.Advance(45 * time.Second)
	if _, err := e.p.LookupDevice(ctx, alice, da.UserCode); err != nil {
		t.Fatalf("right code after the window = %v", err)
	}
}

func TestDefaultLimits(t *testing.T) {
	e := newEnv(t)
	got := e.p.Config().Limits
	want := oauth.Limits{
		UserCodeAttempts:      oauth.Rate{Count: 5, Window: time.Minute},
		UserCodeAttemptsTotal: oauth.Rate{Count: 100, Window: time.Minute},
		ClientAuthFailures:    oauth.Rate{Count: 10, Window: time.Minute},
		SignInPushes:          oauth.Rate{Count: 5, Window: time.Minute},
	}
	if got != want {
		t.Fatalf("Config().Limits = %+v, want %+v", got, want)
	}
}
