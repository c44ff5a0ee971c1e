package oauth_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// These tests and benchmarks run the core on the real Badger store.

func openBadger(tb testing.TB, dir string) *store.DB {
	tb.Helper()
	db, err := store.Open(dir, store.Options{SyncWrites: true})
	if err != nil {
		tb.Fatalf("store.Open() = %v", err)
	}
	return db
}

func badgerProvider(tb testing.TB, db *store.DB, now func() time.Time) *oauth.Provider {
	tb.Helper()
	p, err := oauth.New(context.Background(), oauth.Config{
		Issuer: issuer, UserDomains: []string{"example.test"}, OpenRegistration: true, Now: now,
		Logger:          slog.New(slog.DiscardHandler),
		ResourceServers: []oauth.ResourceServer{{ID: "api", Secret: "api-secret"}},
		Limits:          oauth.Limits{SignInPushes: oauth.Rate{Count: 1 << 30, Window: time.Minute}},
	}, db)
	if err != nil {
		tb.Fatalf("oauth.New() = %v", err)
	}
	return p
}

// TestPendingSurviveRestart: pending device codes, sign-in requests and
// authorization codes are in the store, so a restart loses none of them.
func TestPendingSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	clk := fakeclock.New(time.Now().UTC().Truncate(time.Second))
	db := openBadger(t, dir)
	p := badgerProvider(t, db, clk.Now)

	reg, err := p.Register(ctx, deviceMeta(), "")
	if err != nil {
		t.Fatal(err)
	}
	dev := oauth.ClientCredentials{ID: reg.Client.ID, Method: oauth.AuthNone}
	da, err := p.DeviceAuthorize(ctx, dev, "openid")
	if err != nil {
		t.Fatal(err)
	}
	webReg, err := p.Register(ctx, webMeta(), "")
	if err != nil {
		t.Fatal(err)
	}
	web := oauth.ClientCredentials{ID: webReg.Client.ID, Secret: webReg.Secret.Reveal(), Method: oauth.AuthClientSecretBasic}
	req, _, err := p.ParseAuthorize(ctx, authParams(webReg.Client, "openid"))
	if err != nil {
		t.Fatal(err)
	}
	pending, err := p.StartSignIn(ctx, req, alice)
	if err != nil {
		t.Fatal(err)
	}
	approved, err := p.StartSignIn(ctx, req, alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DecideSignIn(ctx, alice, approved.ID, true); err != nil {
		t.Fatal(err)
	}
	to, err := p.FinishSignIn(ctx, approved.ID)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := p.JWKS(ctx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openBadger(t, dir)
	defer db.Close()
	p = badgerProvider(t, db, clk.Now)
	if again, _ := p.JWKS(ctx); again.Keys[0].Kid != jwks.Keys[0].Kid {
		t.Fatal("signing keys changed across a restart")
	}
	if err := p.DecideDevice(ctx, alice, da.UserCode, true); err != nil {
		t.Fatalf("approve device code after restart = %v", err)
	}
	if _, err := p.Token(ctx, dev, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode}); err != nil {
		t.Fatalf("device tokens after restart = %v", err)
	}
	if views, err := p.PendingSignIns(ctx, alice); err != nil || len(views) != 1 || views[0].ID != pending.ID {
		t.Fatalf("pending sign-ins after restart = %+v, %v", views, err)
	}
	code := queryParam(t, to, "code")
	if _, err := p.Token(ctx, web, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: req.RedirectURI, CodeVerifier: verifier}); err != nil {
		t.Fatalf("code exchange after restart = %v", err)
	}
}

type benchEnv struct {
	p      *oauth.Provider
	device oauth.ClientCredentials
}

func newBench(b *testing.B) *benchEnv {
	b.Helper()
	db := openBadger(b, b.TempDir())
	b.Cleanup(func() { db.Close() })
	p := badgerProvider(b, db, time.Now)
	reg, err := p.Register(b.Context(), deviceMeta(), "")
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{p: p, device: oauth.ClientCredentials{ID: reg.Client.ID, Method: oauth.AuthNone}}
}

// deviceTokens runs one device flow to its tokens.
func (e *benchEnv) deviceTokens(b *testing.B, user string) oauth.TokenResponse {
	ctx := context.Background()
	da, err := e.p.DeviceAuthorize(ctx, e.device, "openid offline_access xmpp")
	if err != nil {
		b.Fatal(err)
	}
	if err := e.p.DecideDevice(ctx, user, da.UserCode, true); err != nil {
		b.Fatal(err)
	}
	resp, err := e.p.Token(ctx, e.device, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode})
	if err != nil {
		b.Fatal(err)
	}
	return resp
}

// BenchmarkIntrospect: RFC 7662 introspection of a live access token by a
// resource server, in parallel.
func BenchmarkIntrospect(b *testing.B) {
	e := newBench(b)
	tok := e.deviceTokens(b, alice).AccessToken
	rs := oauth.ClientCredentials{ID: "api", Secret: "api-secret", Method: oauth.AuthClientSecretBasic}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in, err := e.p.Introspect(context.Background(), rs, tok, "")
			if err != nil || !in.Active {
				b.Fatalf("Introspect() = %+v, %v", in, err)
			}
		}
	})
}

// BenchmarkRefresh: refresh_token grant with rotation, sync writes on; each
// goroutine refreshes its own grant's chain.
func BenchmarkRefresh(b *testing.B) {
	e := newBench(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		b.StopTimer()
		rt := e.deviceTokens(b, fmt.Sprintf("user%d@example.test", n.Add(1))).RefreshToken
		b.StartTimer()
		for pb.Next() {
			resp, err := e.p.Token(context.Background(), e.device, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: rt})
			if err != nil {
				b.Fatalf("refresh = %v", err)
			}
			rt = resp.RefreshToken
		}
	})
}

// BenchmarkDeviceFlow: a whole device flow (authorization, approval, token
// poll), sync writes on.
func BenchmarkDeviceFlow(b *testing.B) {
	e := newBench(b)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		user := fmt.Sprintf("user%d@example.test", n.Add(1))
		for pb.Next() {
			e.deviceTokens(b, user)
		}
	})
}

// BenchmarkRegister: RFC 7591 registration of a confidential web client.
func BenchmarkRegister(b *testing.B) {
	e := newBench(b)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.p.Register(context.Background(), webMeta(), ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
