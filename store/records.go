package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// sweepBatch is how many index keys a cascade deletes per transaction when
// everything does not fit in one.
const sweepBatch = 1000

// timeLen is the length of a sortable time in an index key.
const timeLen = 12

// sortable encodes t in 12 bytes whose byte order is the time order: Unix
// seconds with the sign bit flipped, then nanoseconds, big-endian.
func sortable(t time.Time) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, timeLen), uint64(t.Unix())^(1<<63))
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
}

// owned is the prefix of the index keys of one owner (a JID or client ID).
func owned(prefix, owner string) []byte { return []byte(prefix + owner + "\x00") }

// byTime is an index key listing id under owner in order of created.
func byTime(prefix, owner string, created time.Time, id string) []byte {
	return cat(owned(prefix, owner), sortable(created), []byte("/"+id))
}

// idOf returns the record ID at the end of a byTime key, prefix cut off.
func idOf(rest []byte) (string, bool) {
	if len(rest) <= timeLen {
		return "", false
	}
	return string(rest[timeLen+1:]), true
}

// noNUL rejects values holding a NUL, which ends a JID or ID in index keys.
func noNUL(what string, values ...string) error {
	for _, v := range values {
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("%s %q holds a NUL byte", what, v)
		}
	}
	return nil
}

func noExpiry[T any](T) time.Time { return time.Time{} }

func clientKey(id string) []byte { return []byte("c/" + id) }
func grantKey(id string) []byte  { return []byte("g/" + id) }
func tokenKey(h []byte) []byte   { return cat([]byte("t/"), h) }
func codeKey(h []byte) []byte    { return cat([]byte("a/"), h) }
func deviceKey(h []byte) []byte  { return cat([]byte("d/"), h) }
func userCodeKey(c string) []byte {
	return []byte("du/" + c)
}
func signInKey(id string) []byte { return []byte("s/" + id) }
func keyKey(id string) []byte    { return []byte("k/" + id) }

// The kinds of record, read-only.
var (
	clients = kind[oauth.Client]{
		name:   "client",
		key:    func(c oauth.Client) []byte { return clientKey(c.ID) },
		expiry: noExpiry[oauth.Client],
	}
	grants = kind[oauth.Grant]{
		name: "grant",
		key:  func(g oauth.Grant) []byte { return grantKey(g.ID) },
		indexes: func(g oauth.Grant) []indexEntry {
			return []indexEntry{
				{key: byTime("gu/", g.JID, g.Created, g.ID)},
				{key: byTime("gc/", g.ClientID, g.Created, g.ID)},
			}
		},
		expiry: noExpiry[oauth.Grant],
		validate: func(g oauth.Grant) error {
			return noNUL("grant", g.ID, g.JID, g.ClientID)
		},
	}
	tokens = kind[oauth.Token]{
		name: "token",
		key:  func(t oauth.Token) []byte { return tokenKey(t.Hash) },
		indexes: func(t oauth.Token) []indexEntry {
			return []indexEntry{{key: cat(owned("tg/", t.GrantID), t.Hash)}}
		},
		expiry:   func(t oauth.Token) time.Time { return t.Expiry },
		validate: func(t oauth.Token) error { return noNUL("token grant ID", t.GrantID) },
	}
	codes = kind[oauth.AuthCode]{
		name: "authorization code",
		key:  func(c oauth.AuthCode) []byte { return codeKey(c.Hash) },
		indexes: func(c oauth.AuthCode) []indexEntry {
			return []indexEntry{{key: cat(owned("ac/", c.ClientID), c.Hash)}}
		},
		expiry:   func(c oauth.AuthCode) time.Time { return c.Expiry },
		validate: func(c oauth.AuthCode) error { return noNUL("authorization code client ID", c.ClientID) },
	}
	devices = kind[oauth.DeviceCode]{
		name: "device code",
		key:  func(d oauth.DeviceCode) []byte { return deviceKey(d.Hash) },
		indexes: func(d oauth.DeviceCode) []indexEntry {
			return []indexEntry{
				{key: userCodeKey(d.UserCode), owner: bytes.Clone(d.Hash)},
				{key: cat(owned("dc/", d.ClientID), d.Hash)},
			}
		},
		expiry:   func(d oauth.DeviceCode) time.Time { return d.Expiry },
		validate: func(d oauth.DeviceCode) error { return noNUL("device code client ID", d.ClientID) },
		claim:    claimUserCode,
	}
	signIns = kind[oauth.SignIn]{
		name: "sign-in",
		key:  func(s oauth.SignIn) []byte { return signInKey(s.ID) },
		indexes: func(s oauth.SignIn) []indexEntry {
			return []indexEntry{{key: byTime("su/", s.JID, s.Created, s.ID)}}
		},
		expiry:   func(s oauth.SignIn) time.Time { return s.Expiry },
		validate: func(s oauth.SignIn) error { return noNUL("sign-in", s.ID, s.JID) },
	}
	keys = kind[oauth.Key]{
		name:   "key",
		key:    func(k oauth.Key) []byte { return keyKey(k.ID) },
		expiry: noExpiry[oauth.Key],
	}
)

// claimUserCode fails if another device code holds d's user code and has
// not expired, since the code the user types must name one authorization.
// An expired holder loses the code to d.
func claimUserCode(txn *badger.Txn, d oauth.DeviceCode) error {
	item, err := txn.Get(userCodeKey(d.UserCode))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	holder, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	if bytes.Equal(holder, d.Hash) {
		return nil
	}
	other, err := get[oauth.DeviceCode](txn, deviceKey(holder))
	if errors.Is(err, oauth.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if other.Expiry.IsZero() || time.Now().Before(other.Expiry) {
		return fmt.Errorf("user code in use: %w", oauth.ErrAlreadyExists)
	}
	return nil
}

// CreateClient stores a new client.
func (s *DB) CreateClient(ctx context.Context, c oauth.Client) error {
	if err := s.update(ctx, func(txn *badger.Txn) error { return clients.create(txn, c) }); err != nil {
		return fmt.Errorf("create client %q: %w", c.ID, err)
	}
	return nil
}

// GetClient returns the client with this ID.
func (s *DB) GetClient(ctx context.Context, id string) (oauth.Client, error) {
	var c oauth.Client
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		c, err = get[oauth.Client](txn, clientKey(id))
		return err
	})
	if err != nil {
		return oauth.Client{}, fmt.Errorf("get client %q: %w", id, err)
	}
	return c, nil
}

// UpdateClient changes a client atomically and returns the new value.
func (s *DB) UpdateClient(ctx context.Context, id string, update func(oauth.Client) (oauth.Client, error)) (oauth.Client, error) {
	return updateRecord(ctx, s, clients, clientKey(id), update)
}

// DeleteClient removes the client with its grants, their tokens, and its
// authorization and device codes. It does so in one transaction when they
// fit in one; otherwise it deletes them in batches first, and the client
// last, so that a failure leaves a client whose deletion can be retried.
func (s *DB) DeleteClient(ctx context.Context, id string) error {
	// The transaction touches records of many users, any of them possibly
	// busy: it takes every key lock (a short pause for everyone, on a rare
	// admin action) rather than be starved by their writers.
	del := func() error {
		defer s.locks.lockAll()()
		return s.update(ctx, func(txn *badger.Txn) error { return deleteClient(txn, id) })
	}
	err := del()
	if errors.Is(err, badger.ErrTxnTooBig) {
		s.log.InfoContext(ctx, "client has too much for one transaction; deleting in batches", "client_id", id)
		if err = s.sweepClient(ctx, id); err == nil {
			err = del()
		}
	}
	if err != nil {
		return fmt.Errorf("delete client %q: %w", id, err)
	}
	return nil
}

// deleteClient deletes a client and everything it holds in txn.
func deleteClient(txn *badger.Txn, id string) error {
	c, err := get[oauth.Client](txn, clientKey(id))
	if err != nil {
		return err
	}
	if err := clients.remove(txn, c); err != nil {
		return err
	}
	for _, del := range clientCascade(id) {
		for _, rest := range scan(txn, del.prefix, 0) {
			if err := del.fn(txn, rest); err != nil {
				return err
			}
			if err := txn.Delete(cat(del.prefix, rest)); err != nil {
				return err
			}
		}
	}
	return nil
}

// cascade deletes, for each key under prefix, what the key points to.
type cascade struct {
	prefix []byte
	fn     func(txn *badger.Txn, rest []byte) error
}

// clientCascade lists what goes with client id: its grants (with their
// tokens), authorization codes and device codes.
func clientCascade(id string) []cascade {
	return []cascade{
		{owned("gc/", id), func(txn *badger.Txn, rest []byte) error {
			grantID, ok := idOf(rest)
			if !ok {
				return nil
			}
			if err := deleteGrant(txn, grantID); err != nil && !errors.Is(err, oauth.ErrNotFound) {
				return err
			}
			return nil
		}},
		{owned("ac/", id), func(txn *badger.Txn, hash []byte) error {
			return txn.Delete(codeKey(hash))
		}},
		{owned("dc/", id), func(txn *badger.Txn, hash []byte) error {
			d, err := get[oauth.DeviceCode](txn, deviceKey(hash))
			if errors.Is(err, oauth.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			return devices.remove(txn, d)
		}},
	}
}

// sweepClient deletes a client's grants, tokens and codes in batches, the
// tokens first: they are the many. The client itself stays.
func (s *DB) sweepClient(ctx context.Context, id string) error {
	var grantIDs []string
	err := s.view(ctx, func(txn *badger.Txn) error {
		for _, rest := range scan(txn, owned("gc/", id), 0) {
			if gid, ok := idOf(rest); ok {
				grantIDs = append(grantIDs, gid)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, gid := range grantIDs {
		if err := s.sweepTokens(ctx, gid); err != nil {
			return err
		}
	}
	for _, del := range clientCascade(id) {
		if err := s.sweep(ctx, del.prefix, sweepBatch/10, del.fn); err != nil {
			return err
		}
	}
	return nil
}

// sweepTokens deletes the tokens of a grant in batches, leaving the grant.
func (s *DB) sweepTokens(ctx context.Context, grantID string) error {
	return s.sweep(ctx, owned("tg/", grantID), sweepBatch, func(txn *badger.Txn, hash []byte) error {
		return txn.Delete(tokenKey(hash))
	})
}

// ListClients returns every client, ordered by ID.
func (s *DB) ListClients(ctx context.Context) ([]oauth.Client, error) {
	var list []oauth.Client
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(txn, []byte("c/"), func(c oauth.Client) { list = append(list, c) })
	})
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return list, nil
}

// CreateGrant stores a new grant.
func (s *DB) CreateGrant(ctx context.Context, g oauth.Grant) error {
	if err := s.update(ctx, func(txn *badger.Txn) error { return grants.create(txn, g) }); err != nil {
		return fmt.Errorf("create grant %q: %w", g.ID, err)
	}
	return nil
}

// GetGrant returns the grant with this ID.
func (s *DB) GetGrant(ctx context.Context, id string) (oauth.Grant, error) {
	var g oauth.Grant
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		g, err = get[oauth.Grant](txn, grantKey(id))
		return err
	})
	if err != nil {
		return oauth.Grant{}, fmt.Errorf("get grant %q: %w", id, err)
	}
	return g, nil
}

// UpdateGrant changes a grant atomically and returns the new value.
func (s *DB) UpdateGrant(ctx context.Context, id string, update func(oauth.Grant) (oauth.Grant, error)) (oauth.Grant, error) {
	return updateRecord(ctx, s, grants, grantKey(id), update)
}

// DeleteGrant removes the grant and all its tokens in one transaction. A
// grant with more tokens than one transaction holds has them deleted in
// batches first; the last transaction still deletes the grant together with
// any token issued meanwhile.
func (s *DB) DeleteGrant(ctx context.Context, id string) error {
	defer s.locks.lock(grantKey(id))()
	del := func(txn *badger.Txn) error { return deleteGrant(txn, id) }
	err := s.update(ctx, del)
	if errors.Is(err, badger.ErrTxnTooBig) {
		s.log.InfoContext(ctx, "grant has too many tokens for one transaction; deleting in batches", "grant_id", id)
		if err = s.sweepTokens(ctx, id); err == nil {
			err = s.update(ctx, del)
		}
	}
	if err != nil {
		return fmt.Errorf("delete grant %q: %w", id, err)
	}
	return nil
}

// deleteGrant deletes a grant, its index keys and its tokens in txn.
func deleteGrant(txn *badger.Txn, id string) error {
	g, err := get[oauth.Grant](txn, grantKey(id))
	if err != nil {
		return err
	}
	if err := grants.remove(txn, g); err != nil {
		return err
	}
	prefix := owned("tg/", id)
	for _, hash := range scan(txn, prefix, 0) {
		if err := txn.Delete(tokenKey(hash)); err != nil {
			return err
		}
		if err := txn.Delete(cat(prefix, hash)); err != nil {
			return err
		}
	}
	return nil
}

// listByTime returns the records named by the byTime index keys under
// prefix, oldest first. Index keys whose record is gone are skipped.
func listByTime[T any](ctx context.Context, s *DB, prefix []byte, key func(string) []byte) ([]T, error) {
	var list []T
	err := s.view(ctx, func(txn *badger.Txn) error {
		for _, rest := range scan(txn, prefix, 0) {
			id, ok := idOf(rest)
			if !ok {
				continue
			}
			v, err := get[T](txn, key(id))
			if errors.Is(err, oauth.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			list = append(list, v)
		}
		return nil
	})
	return list, err
}

// ListGrantsByUser returns the grants of one bare JID, oldest first.
func (s *DB) ListGrantsByUser(ctx context.Context, jid string) ([]oauth.Grant, error) {
	list, err := listByTime[oauth.Grant](ctx, s, owned("gu/", jid), grantKey)
	if err != nil {
		return nil, fmt.Errorf("list grants of %q: %w", jid, err)
	}
	return list, nil
}

// ListGrantsByClient returns the grants of one client, oldest first.
func (s *DB) ListGrantsByClient(ctx context.Context, clientID string) ([]oauth.Grant, error) {
	list, err := listByTime[oauth.Grant](ctx, s, owned("gc/", clientID), grantKey)
	if err != nil {
		return nil, fmt.Errorf("list grants of client %q: %w", clientID, err)
	}
	return list, nil
}

// CreateTokens stores tokens in one transaction, which fails with
// ErrNotFound if a token's grant does not exist.
//
// Badger detects conflicts on keys read and written, not on key ranges, so a
// DeleteGrant that already scanned the grant's tokens would not notice new
// ones. CreateTokens therefore rewrites each grant it checked, unchanged: the
// grant's key is one DeleteGrant reads, so of the two transactions the later
// to commit conflicts, and retries against the other's result.
func (s *DB) CreateTokens(ctx context.Context, toks ...oauth.Token) error {
	if len(toks) == 0 {
		return ctx.Err()
	}
	defer s.locks.lock(grantKeysOf(toks)...)()
	err := s.update(ctx, func(txn *badger.Txn) error { return createTokensInTxn(txn, toks) })
	if err != nil {
		return fmt.Errorf("create tokens: %w", err)
	}
	return nil
}

func grantKeysOf(toks []oauth.Token) [][]byte {
	keys := make([][]byte, len(toks))
	for i, t := range toks {
		keys[i] = grantKey(t.GrantID)
	}
	return keys
}

// createTokensInTxn writes toks after checking their grants exist. It
// rewrites each grant unchanged, so that a DeleteGrant that already scanned
// the grant's tokens conflicts with it (Badger checks conflicts on keys
// read, not on ranges).
func createTokensInTxn(txn *badger.Txn, toks []oauth.Token) error {
	checked := map[string]bool{}
	for _, t := range toks {
		if !checked[t.GrantID] {
			if err := touch(txn, grantKey(t.GrantID)); err != nil {
				return fmt.Errorf("grant %q: %w", t.GrantID, err)
			}
			checked[t.GrantID] = true
		}
		if err := tokens.create(txn, t); err != nil {
			return err
		}
	}
	return nil
}

// touch rewrites the value under key unchanged, or fails with ErrNotFound.
func touch(txn *badger.Txn, key []byte) error {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return oauth.ErrNotFound
	}
	if err != nil {
		return err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	e := badger.NewEntry(key, v)
	e.ExpiresAt = item.ExpiresAt()
	return txn.SetEntry(e)
}

// GetToken returns the token stored under this hash.
func (s *DB) GetToken(ctx context.Context, hash []byte) (oauth.Token, error) {
	var t oauth.Token
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		t, err = get[oauth.Token](txn, tokenKey(hash))
		return err
	})
	if err != nil {
		return oauth.Token{}, fmt.Errorf("get token: %w", err)
	}
	return t, nil
}

// UpdateToken changes a token atomically and returns the new value.
func (s *DB) UpdateToken(ctx context.Context, hash []byte, update func(oauth.Token) (oauth.Token, error)) (oauth.Token, error) {
	return updateRecord(ctx, s, tokens, tokenKey(hash), update)
}

// DeleteTokens removes tokens by hash; missing ones are ignored.
func (s *DB) DeleteTokens(ctx context.Context, hashes ...[]byte) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		for _, h := range hashes {
			t, err := get[oauth.Token](txn, tokenKey(h))
			if errors.Is(err, oauth.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := tokens.remove(txn, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete tokens: %w", err)
	}
	return nil
}

// ListTokensByGrant returns the tokens issued under one grant, in no
// particular order.
func (s *DB) ListTokensByGrant(ctx context.Context, grantID string) ([]oauth.Token, error) {
	var list []oauth.Token
	err := s.view(ctx, func(txn *badger.Txn) error {
		for _, hash := range scan(txn, owned("tg/", grantID), 0) {
			t, err := get[oauth.Token](txn, tokenKey(hash))
			if errors.Is(err, oauth.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			list = append(list, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens of grant %q: %w", grantID, err)
	}
	return list, nil
}

// CreateAuthCode stores an authorization code.
func (s *DB) CreateAuthCode(ctx context.Context, c oauth.AuthCode) error {
	if err := s.update(ctx, func(txn *badger.Txn) error { return codes.create(txn, c) }); err != nil {
		return fmt.Errorf("create authorization code: %w", err)
	}
	return nil
}

// UpdateAuthCode changes a code atomically and returns the new value.
func (s *DB) UpdateAuthCode(ctx context.Context, hash []byte, update func(oauth.AuthCode) (oauth.AuthCode, error)) (oauth.AuthCode, error) {
	return updateRecord(ctx, s, codes, codeKey(hash), update)
}

// CreateDeviceCode stores a device code; ErrAlreadyExists if another device
// code that has not expired holds its user code.
func (s *DB) CreateDeviceCode(ctx context.Context, d oauth.DeviceCode) error {
	if err := s.update(ctx, func(txn *badger.Txn) error { return devices.create(txn, d) }); err != nil {
		return fmt.Errorf("create device code: %w", err)
	}
	return nil
}

// GetDeviceCodeByUserCode finds a device code by its normalized user code.
func (s *DB) GetDeviceCodeByUserCode(ctx context.Context, userCode string) (oauth.DeviceCode, error) {
	var d oauth.DeviceCode
	err := s.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(userCodeKey(userCode))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return oauth.ErrNotFound
		}
		if err != nil {
			return err
		}
		hash, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		d, err = get[oauth.DeviceCode](txn, deviceKey(hash))
		return err
	})
	if err != nil {
		return oauth.DeviceCode{}, fmt.Errorf("get device code by user code: %w", err)
	}
	return d, nil
}

// UpdateDeviceCode changes a device code atomically and returns the new value.
func (s *DB) UpdateDeviceCode(ctx context.Context, hash []byte, update func(oauth.DeviceCode) (oauth.DeviceCode, error)) (oauth.DeviceCode, error) {
	return updateRecord(ctx, s, devices, deviceKey(hash), update)
}

// CreateSignIn stores a sign-in request.
func (s *DB) CreateSignIn(ctx context.Context, si oauth.SignIn) error {
	if err := s.update(ctx, func(txn *badger.Txn) error { return signIns.create(txn, si) }); err != nil {
		return fmt.Errorf("create sign-in %q: %w", si.ID, err)
	}
	return nil
}

// GetSignIn returns a sign-in request by ID.
func (s *DB) GetSignIn(ctx context.Context, id string) (oauth.SignIn, error) {
	var si oauth.SignIn
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		si, err = get[oauth.SignIn](txn, signInKey(id))
		return err
	})
	if err != nil {
		return oauth.SignIn{}, fmt.Errorf("get sign-in %q: %w", id, err)
	}
	return si, nil
}

// UpdateSignIn changes a sign-in request atomically and returns the new value.
func (s *DB) UpdateSignIn(ctx context.Context, id string, update func(oauth.SignIn) (oauth.SignIn, error)) (oauth.SignIn, error) {
	return updateRecord(ctx, s, signIns, signInKey(id), update)
}

// ListSignInsByUser returns the sign-in requests for one bare JID, oldest first.
func (s *DB) ListSignInsByUser(ctx context.Context, jid string) ([]oauth.SignIn, error) {
	list, err := listByTime[oauth.SignIn](ctx, s, owned("su/", jid), signInKey)
	if err != nil {
		return nil, fmt.Errorf("list sign-ins of %q: %w", jid, err)
	}
	return list, nil
}

// PutKey creates or replaces a signing key.
func (s *DB) PutKey(ctx context.Context, k oauth.Key) error {
	if err := s.update(ctx, func(txn *badger.Txn) error { return keys.put(txn, k) }); err != nil {
		return fmt.Errorf("put key %q: %w", k.ID, err)
	}
	return nil
}

// ListKeys returns all signing keys, oldest first.
func (s *DB) ListKeys(ctx context.Context) ([]oauth.Key, error) {
	var list []oauth.Key
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(txn, []byte("k/"), func(k oauth.Key) { list = append(list, k) })
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	slices.SortFunc(list, func(a, b oauth.Key) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return list, nil
}

// DeleteKey removes a signing key.
func (s *DB) DeleteKey(ctx context.Context, id string) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		found, err := exists(txn, keyKey(id))
		if err != nil {
			return err
		}
		if !found {
			return oauth.ErrNotFound
		}
		return txn.Delete(keyKey(id))
	})
	if err != nil {
		return fmt.Errorf("delete key %q: %w", id, err)
	}
	return nil
}

// Stats counts clients, grants, unexpired tokens, and pending device codes
// and sign-ins that have not expired. It scans every token, device code and
// sign-in, which is fine for an admin command but not for a hot path.
func (s *DB) Stats(ctx context.Context) (oauth.Stats, error) {
	var st oauth.Stats
	now := time.Now()
	live := func(expiry time.Time) bool { return expiry.IsZero() || now.Before(expiry) }
	// Only the fields counted are decoded.
	type state struct {
		State  string    `json:"state"`
		Expiry time.Time `json:"expiry"`
	}
	err := s.view(ctx, func(txn *badger.Txn) error {
		st.Clients = count(txn, []byte("c/"))
		st.Grants = count(txn, []byte("g/"))
		// Tokens are the most numerous records: counted by their keys'
		// expiry, without reading a value. Device codes and sign-ins live
		// minutes, so there are few, and their state is in the value.
		st.ActiveTokens = countLive(txn, []byte("t/"), now)
		err := each(txn, []byte("d/"), func(d state) {
			if d.State == oauth.DevicePending && live(d.Expiry) {
				st.PendingCodes++
			}
		})
		if err != nil {
			return err
		}
		return each(txn, []byte("s/"), func(si state) {
			if si.State == oauth.SignInPending && live(si.Expiry) {
				st.PendingSignIn++
			}
		})
	})
	if err != nil {
		return oauth.Stats{}, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
