package store

import (
	"encoding/binary"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// benchHash returns a distinct 32-byte key for n, like a SHA-256.
func benchHash(prefix byte, n uint64) []byte {
	h := make([]byte, 32)
	h[0] = prefix
	binary.BigEndian.PutUint64(h[24:], n)
	return h
}

func benchToken(h []byte, grantID string) oauth.Token {
	now := time.Now()
	return oauth.Token{
		Hash: h, ID: "jti", Kind: oauth.KindAccess, GrantID: grantID, ClientID: "client",
		JID: "alice@example.org", Scopes: []string{"openid", "xmpp"},
		IssuedAt: now, Expiry: now.Add(10 * time.Minute), AuthTime: now,
	}
}

// BenchmarkGetToken reads one of 10,000 stored tokens per operation, from
// parallel goroutines, as token validation does.
func BenchmarkGetToken(b *testing.B) {
	const n = 10_000
	s := openTest(b, "", Options{SyncWrites: true, Logger: slog.New(slog.DiscardHandler)})
	ctx := b.Context()
	if err := s.CreateGrant(ctx, oauth.Grant{ID: "grant", JID: "alice@example.org", ClientID: "client"}); err != nil {
		b.Fatal(err)
	}
	for i := uint64(0); i < n; i += 500 {
		var toks []oauth.Token
		for j := i; j < i+500; j++ {
			toks = append(toks, benchToken(benchHash('t', j), "grant"))
		}
		if err := s.CreateTokens(ctx, toks...); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetToken(ctx, benchHash('t', next.Add(1)%n)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreateTokens stores an access and a refresh token per operation,
// with SyncWrites on, from parallel goroutines: "own grant" gives each
// goroutine its own grant, as distinct users do; "shared grant" makes all
// of them conflict on one grant, the worst case.
func BenchmarkCreateTokens(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "own grant"
		if shared {
			name = "shared grant"
		}
		b.Run(name, func(b *testing.B) {
			s := openTest(b, "", Options{SyncWrites: true, Logger: slog.New(slog.DiscardHandler)})
			ctx := b.Context()
			if err := s.CreateGrant(ctx, oauth.Grant{ID: "grant", JID: "alice@example.org", ClientID: "client"}); err != nil {
				b.Fatal(err)
			}
			var goroutines, next atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				grantID := "grant"
				if !shared {
					grantID += strconv.FormatUint(goroutines.Add(1), 10)
					if err := s.CreateGrant(ctx, oauth.Grant{ID: grantID, JID: "alice@example.org", ClientID: "client"}); err != nil {
						b.Fatal(err)
					}
				}
				for pb.Next() {
					i := next.Add(1)
					err := s.CreateTokens(ctx,
						benchToken(benchHash('a', i), grantID),
						benchToken(benchHash('r', i), grantID))
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
