package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
)

// openTest opens a store for t in a temporary directory (ignored when
// opts.InMemory) and closes it when t ends.
func openTest(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	if dir == "" && !opts.InMemory {
		dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open() = %v, want nil", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"on disk, synced", Options{SyncWrites: true}},
		{"in memory", Options{InMemory: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) oauth.Store { return openTest(t, "", tt.opts) })
		})
	}
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// fixture is one record of each kind, to store and find again.
type fixture struct {
	client oauth.Client
	grant  oauth.Grant
	token  oauth.Token
	code   oauth.AuthCode
	device oauth.DeviceCode
	signIn oauth.SignIn
	key    oauth.Key
}

func newFixture() fixture {
	now := time.Now().Truncate(time.Millisecond)
	soon := now.Add(time.Hour)
	return fixture{
		client: oauth.Client{ID: "client", Name: "App", GrantTypes: []string{oauth.GrantDeviceCode}, CreatedAt: now},
		grant:  oauth.Grant{ID: "grant", JID: "alice@example.org", ClientID: "client", Scopes: []string{"xmpp"}, Created: now},
		token: oauth.Token{Hash: hash("token"), ID: "jti", Kind: oauth.KindAccess, GrantID: "grant",
			ClientID: "client", JID: "alice@example.org", IssuedAt: now, Expiry: soon},
		code:   oauth.AuthCode{Hash: hash("code"), ClientID: "client", JID: "alice@example.org", Expiry: soon},
		device: oauth.DeviceCode{Hash: hash("device"), UserCode: "WDJBMJHT", ClientID: "client", State: oauth.DevicePending, Created: now, Expiry: soon},
		signIn: oauth.SignIn{ID: "signin", Code: "1234", JID: "alice@example.org", State: oauth.SignInPending, Created: now, Expiry: soon},
		key:    oauth.Key{ID: "kid", Alg: "EdDSA", PrivateDER: []byte{1, 2, 3}, Created: now},
	}
}

// put stores every record of f.
func (f fixture) put(t *testing.T, s *DB) {
	t.Helper()
	ctx := t.Context()
	for _, err := range []error{
		s.CreateClient(ctx, f.client),
		s.CreateGrant(ctx, f.grant),
		s.CreateTokens(ctx, f.token),
		s.CreateAuthCode(ctx, f.code),
		s.CreateDeviceCode(ctx, f.device),
		s.CreateSignIn(ctx, f.signIn),
		s.PutKey(ctx, f.key),
	} {
		if err != nil {
			t.Fatalf("storing the fixture: %v", err)
		}
	}
}

// check fails t unless s holds every record of f, found through the same
// lookups the core uses (so the index keys are checked too).
func (f fixture) check(t *testing.T, s *DB) {
	t.Helper()
	ctx := t.Context()
	lookups := []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{"GetClient", func() (any, error) { return s.GetClient(ctx, f.client.ID) }, f.client.Name},
		{"ListGrantsByUser", func() (any, error) { return s.ListGrantsByUser(ctx, f.grant.JID) }, 1},
		{"ListGrantsByClient", func() (any, error) { return s.ListGrantsByClient(ctx, f.grant.ClientID) }, 1},
		{"GetToken", func() (any, error) { return s.GetToken(ctx, f.token.Hash) }, f.token.ID},
		{"ListTokensByGrant", func() (any, error) { return s.ListTokensByGrant(ctx, f.grant.ID) }, 1},
		{"UpdateAuthCode", func() (any, error) {
			return s.UpdateAuthCode(ctx, f.code.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
		}, f.code.JID},
		{"GetDeviceCodeByUserCode", func() (any, error) { return s.GetDeviceCodeByUserCode(ctx, f.device.UserCode) }, f.device.UserCode},
		{"ListSignInsByUser", func() (any, error) { return s.ListSignInsByUser(ctx, f.signIn.JID) }, 1},
		{"ListKeys", func() (any, error) { return s.ListKeys(ctx) }, 1},
	}
	for _, l := range lookups {
		v, err := l.get()
		if err != nil {
			t.Errorf("%s() = %v, want nil", l.name, err)
			continue
		}
		var got any
		switch v := v.(type) {
		case oauth.Client:
			got = v.Name
		case oauth.Token:
			got = v.ID
		case oauth.AuthCode:
			got = v.JID
		case oauth.DeviceCode:
			got = v.UserCode
		case []oauth.Grant:
			got = len(v)
		case []oauth.Token:
			got = len(v)
		case []oauth.SignIn:
			got = len(v)
		case []oauth.Key:
			got = len(v)
		}
		if got != l.want {
			t.Errorf("%s() gave %v, want %v", l.name, got, l.want)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatalf("Stats() = %v, want nil", err)
	}
	want := oauth.Stats{Clients: 1, Grants: 1, ActiveTokens: 1, PendingCodes: 1, PendingSignIn: 1}
	if st != want {
		t.Errorf("Stats() = %+v, want %+v", st, want)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{SyncWrites: true})
	if err != nil {
		t.Fatalf("Open() = %v, want nil", err)
	}
	f := newFixture()
	f.put(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	f.check(t, openTest(t, dir, Options{}))
}

func TestOpenNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open() = %v, want nil", err)
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(schemaKey, []byte(strconv.Itoa(schemaVersion+1)))
	})
	if err != nil {
		t.Fatalf("writing schema version: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}

	s, err = Open(dir, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open() of a newer schema = nil, want an error")
	}
	for _, v := range []int{schemaVersion + 1, schemaVersion} {
		if !strings.Contains(err.Error(), strconv.Itoa(v)) {
			t.Errorf("Open() of a newer schema = %q, want it to name version %d", err, v)
		}
	}
}

func TestBackupRestore(t *testing.T) {
	src := openTest(t, "", Options{})
	f := newFixture()
	f.put(t, src)
	var backup bytes.Buffer
	if err := src.Backup(&backup); err != nil {
		t.Fatalf("Backup() = %v, want nil", err)
	}

	t.Run("into an empty store", func(t *testing.T) {
		dst := openTest(t, "", Options{})
		if err := dst.Restore(bytes.NewReader(backup.Bytes()), false); err != nil {
			t.Fatalf("Restore() = %v, want nil", err)
		}
		f.check(t, dst)
	})

	t.Run("into a store with data", func(t *testing.T) {
		dst := openTest(t, "", Options{})
		other := oauth.Client{ID: "other"}
		if err := dst.CreateClient(t.Context(), other); err != nil {
			t.Fatalf("CreateClient() = %v, want nil", err)
		}
		err := dst.Restore(bytes.NewReader(backup.Bytes()), false)
		if !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("Restore() without force = %v, want %v", err, ErrNotEmpty)
		}
		if _, err := dst.GetClient(t.Context(), other.ID); err != nil {
			t.Errorf("GetClient(other) after refused Restore() = %v, want nil", err)
		}

		if err := dst.Restore(bytes.NewReader(backup.Bytes()), true); err != nil {
			t.Fatalf("Restore() with force = %v, want nil", err)
		}
		f.check(t, dst)
		if _, err := dst.GetClient(t.Context(), other.ID); !errors.Is(err, oauth.ErrNotFound) {
			t.Errorf("GetClient(other) after forced Restore() = %v, want %v", err, oauth.ErrNotFound)
		}
	})
}

func TestTTL(t *testing.T) {
	s := openTest(t, "", Options{InMemory: true})
	f := newFixture()
	f.put(t, s)
	wantExp := uint64(f.token.Expiry.Add(ttlGrace).Unix())
	tests := []struct {
		name string
		key  []byte
		want uint64
	}{
		{"client", clientKey(f.client.ID), 0},
		{"grant", grantKey(f.grant.ID), 0},
		{"grant by user", byTime("gu/", f.grant.JID, f.grant.Created, f.grant.ID), 0},
		{"token", tokenKey(f.token.Hash), wantExp},
		{"token by grant", cat(owned("tg/", f.grant.ID), f.token.Hash), wantExp},
		{"code", codeKey(f.code.Hash), wantExp},
		{"code by client", cat(owned("ac/", f.client.ID), f.code.Hash), wantExp},
		{"device code", deviceKey(f.device.Hash), wantExp},
		{"device code by user code", userCodeKey(f.device.UserCode), wantExp},
		{"device code by client", cat(owned("dc/", f.client.ID), f.device.Hash), wantExp},
		{"sign-in", signInKey(f.signIn.ID), wantExp},
		{"sign-in by user", byTime("su/", f.signIn.JID, f.signIn.Created, f.signIn.ID), wantExp},
		{"key", keyKey(f.key.ID), 0},
	}
	for _, tt := range tests {
		err := s.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(tt.key)
			if err != nil {
				return err
			}
			if got := item.ExpiresAt(); got != tt.want {
				t.Errorf("%s: ExpiresAt = %d, want %d", tt.name, got, tt.want)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: Get(%q) = %v, want nil", tt.name, tt.key, err)
		}
	}

	// An update that moves the expiry moves it on the index keys too.
	later := f.device.Expiry.Add(time.Hour)
	_, err := s.UpdateDeviceCode(t.Context(), f.device.Hash, func(d oauth.DeviceCode) (oauth.DeviceCode, error) {
		d.Expiry = later
		return d, nil
	})
	if err != nil {
		t.Fatalf("UpdateDeviceCode() = %v, want nil", err)
	}
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(userCodeKey(f.device.UserCode))
		if err != nil {
			return err
		}
		if got, want := item.ExpiresAt(), uint64(later.Add(ttlGrace).Unix()); got != want {
			t.Errorf("user code index after UpdateDeviceCode(): ExpiresAt = %d, want %d", got, want)
		}
		return nil
	})
	if err != nil {
		t.Errorf("Get(user code index) = %v, want nil", err)
	}
}

func TestExpiresAt(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		expiry time.Time
		want   time.Time
	}{
		{"no expiry", time.Time{}, time.Time{}},
		{"in the future", now.Add(time.Hour), now.Add(time.Hour + ttlGrace)},
		{"already expired", now.Add(-time.Hour), now.Add(ttlGrace)},
		{"before 1970", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), now.Add(ttlGrace)},
	}
	for _, tt := range tests {
		var want uint64
		if !tt.want.IsZero() {
			want = uint64(tt.want.Unix())
		}
		if got := expiresAt(tt.expiry, now); got != want {
			t.Errorf("%s: expiresAt() = %d, want %d", tt.name, got, want)
		}
	}
}

func TestSortable(t *testing.T) {
	times := []time.Time{
		time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2030, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2030, 1, 1, 0, 0, 0, 2, time.FixedZone("x", 3600)).Add(time.Hour),
		time.Date(2030, 1, 1, 0, 0, 1, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		if a, b := sortable(times[i-1]), sortable(times[i]); bytes.Compare(a, b) >= 0 {
			t.Errorf("sortable(%v) = %x, not before sortable(%v) = %x", times[i-1], a, times[i], b)
		}
	}
}

func TestRefusesNUL(t *testing.T) {
	s := openTest(t, "", Options{InMemory: true})
	ctx := t.Context()
	err := s.CreateGrant(ctx, oauth.Grant{ID: "g", JID: "a@x\x00b", ClientID: "c"})
	if err == nil {
		t.Error("CreateGrant() with a NUL in the JID = nil, want an error")
	}
	if err := s.CreateGrant(ctx, oauth.Grant{ID: "g", JID: "a@x", ClientID: "c"}); err != nil {
		t.Fatalf("CreateGrant() = %v, want nil", err)
	}
	_, err = s.UpdateGrant(ctx, "g", func(g oauth.Grant) (oauth.Grant, error) {
		g.ClientID = "c\x00d"
		return g, nil
	})
	if err == nil {
		t.Error("UpdateGrant() putting a NUL in the client ID = nil, want an error")
	}
}

// TestCascadeInBatches makes transactions small enough that deleting a grant
// or client cannot happen in one, so the batched paths run.
func TestCascadeInBatches(t *testing.T) {
	s, err := open("", Options{InMemory: true}, func(o badger.Options) badger.Options {
		return o.WithMemTableSize(1 << 20).WithValueThreshold(1 << 10)
	})
	if err != nil {
		t.Fatalf("open() = %v, want nil", err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()

	const grantsN, tokensPer = 3, 2000
	must := func(call string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s = %v, want nil", call, err)
		}
	}
	must("CreateClient()", s.CreateClient(ctx, oauth.Client{ID: "c"}))
	must("CreateClient(other)", s.CreateClient(ctx, oauth.Client{ID: "other"}))
	must("CreateGrant(kept)", s.CreateGrant(ctx, oauth.Grant{ID: "kept", JID: "a@x", ClientID: "other"}))
	must("CreateTokens(kept)", s.CreateTokens(ctx, oauth.Token{Hash: hash("kept"), GrantID: "kept"}))
	for g := range grantsN {
		id := "g" + strconv.Itoa(g)
		must("CreateGrant()", s.CreateGrant(ctx, oauth.Grant{ID: id, JID: "a@x", ClientID: "c"}))
		for i := 0; i < tokensPer; i += 100 {
			var toks []oauth.Token
			for j := i; j < i+100; j++ {
				toks = append(toks, oauth.Token{Hash: hash(fmt.Sprint(id, j)), GrantID: id, Expiry: time.Now().Add(time.Hour)})
			}
			must("CreateTokens()", s.CreateTokens(ctx, toks...))
		}
	}
	// Check that one transaction really cannot hold a grant's deletion.
	err = s.db.Update(func(txn *badger.Txn) error { return deleteGrant(txn, "g0") })
	if !errors.Is(err, badger.ErrTxnTooBig) {
		t.Fatalf("deleting a grant in one transaction = %v, want %v", err, badger.ErrTxnTooBig)
	}

	must("DeleteGrant(g0)", s.DeleteGrant(ctx, "g0"))
	if toks, err := s.ListTokensByGrant(ctx, "g0"); err != nil || len(toks) != 0 {
		t.Errorf("ListTokensByGrant(g0) = %d tokens, %v; want 0, nil", len(toks), err)
	}
	if _, err := s.GetToken(ctx, hash("g05")); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("GetToken() of a deleted grant = %v, want %v", err, oauth.ErrNotFound)
	}

	must("DeleteClient(c)", s.DeleteClient(ctx, "c"))
	st, err := s.Stats(ctx)
	must("Stats()", err)
	if want := (oauth.Stats{Clients: 1, Grants: 1, ActiveTokens: 1}); st != want {
		t.Errorf("Stats() after DeleteClient() = %+v, want %+v", st, want)
	}
	var left int
	err = s.db.View(func(txn *badger.Txn) error {
		for _, p := range []string{"tg/g1\x00", "tg/g2\x00", "gc/c\x00"} {
			left += count(txn, []byte(p))
		}
		return nil
	})
	must("counting index keys", err)
	if left != 0 {
		t.Errorf("%d index keys of the deleted client left, want 0", left)
	}
}

func TestRunGCStops(t *testing.T) {
	s := openTest(t, "", Options{})
	f := newFixture()
	f.put(t, s)
	if err := s.DeleteGrant(t.Context(), f.grant.ID); err != nil {
		t.Fatalf("DeleteGrant() = %v, want nil", err)
	}
	s.gc(t.Context()) // nothing to rewrite in so small a store; must just return

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		s.RunGC(ctx, time.Millisecond)
		close(done)
	}()
	cancel()
	<-done
}

func TestBadgerLogger(t *testing.T) {
	var buf bytes.Buffer
	l := badgerLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Infof("compaction %d\n", 1)
	l.Debugf("flush %d\n", 2)
	if buf.Len() != 0 {
		t.Errorf("Infof and Debugf logged %q, want nothing", buf.String())
	}
	l.Warningf("disk %s\n", "slow")
	l.Errorf("disk %s\n", "full")
	for _, want := range []string{`level=WARN msg="badger: disk slow"`, `level=ERROR msg="badger: disk full"`} {
		if !strings.Contains(buf.String(), want+"\n") {
			t.Errorf("log = %q, want a line with %q", buf.String(), want)
		}
	}
}

// TestUpdateRetriesOnConflict makes another writer commit while an update
// is between its read and its commit: the update must run again on the new
// value rather than lose that write. The other writer goes to Badger
// directly, as one that takes no key lock (such as DeleteClient) would.
func TestUpdateRetriesOnConflict(t *testing.T) {
	s := openTest(t, "", Options{InMemory: true})
	ctx := t.Context()
	if err := s.CreateGrant(ctx, oauth.Grant{ID: "g", ClientID: "c"}); err != nil {
		t.Fatalf("CreateGrant() = %v, want nil", err)
	}
	calls := 0
	got, err := s.UpdateGrant(ctx, "g", func(g oauth.Grant) (oauth.Grant, error) {
		calls++
		if calls == 1 {
			err := s.db.Update(func(txn *badger.Txn) error {
				g, err := get[oauth.Grant](txn, grantKey("g"))
				if err != nil {
					return err
				}
				g.Scopes = append(g.Scopes, "inner")
				return grants.put(txn, g)
			})
			if err != nil {
				t.Errorf("inner update = %v, want nil", err)
			}
		}
		g.Scopes = append(g.Scopes, "outer")
		return g, nil
	})
	if err != nil {
		t.Fatalf("UpdateGrant() = %v, want nil", err)
	}
	if calls != 2 {
		t.Errorf("update ran %d times, want 2", calls)
	}
	if want := []string{"inner", "outer"}; !slices.Equal(got.Scopes, want) {
		t.Errorf("UpdateGrant().Scopes = %q, want %q", got.Scopes, want)
	}
}

// TestCreateTokensConflictsWithDeleteGrant checks the race CreateTokens
// guards against: a grant deletion that scanned the grant's tokens before
// new ones were committed must fail to commit (and be retried), or the new
// tokens would outlive their grant.
func TestCreateTokensConflictsWithDeleteGrant(t *testing.T) {
	s := openTest(t, "", Options{InMemory: true})
	ctx := t.Context()
	if err := s.CreateGrant(ctx, oauth.Grant{ID: "g", ClientID: "c"}); err != nil {
		t.Fatalf("CreateGrant() = %v, want nil", err)
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	if err := deleteGrant(txn, "g"); err != nil {
		t.Fatalf("deleteGrant() = %v, want nil", err)
	}
	if err := s.CreateTokens(ctx, oauth.Token{Hash: hash("late"), GrantID: "g"}); err != nil {
		t.Fatalf("CreateTokens() = %v, want nil", err)
	}
	if err := txn.Commit(); !errors.Is(err, badger.ErrConflict) {
		t.Errorf("committing the grant deletion = %v, want %v", err, badger.ErrConflict)
	}

	// Retried, the deletion takes the new token along.
	if err := s.DeleteGrant(ctx, "g"); err != nil {
		t.Fatalf("DeleteGrant() = %v, want nil", err)
	}
	if _, err := s.GetToken(ctx, hash("late")); !errors.Is(err, oauth.ErrNotFound) {
		t.Errorf("GetToken(late) after DeleteGrant() = %v, want %v", err, oauth.ErrNotFound)
	}
}

// TestRotateTokenAfterClose: a rotation after Close fails instead of
// waiting for a group commit that will never run.
func TestRotateTokenAfterClose(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = s.RotateToken(t.Context(), []byte("h"), func(tok oauth.Token) (oauth.Token, error) { return tok, nil })
	if !errors.Is(err, errClosed) {
		t.Fatalf("RotateToken after Close = %v, want errClosed", err)
	}
}
