package storetest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// Memory returns an empty in-memory [oauth.Store] for tests. It keeps every
// record JSON-encoded, as package store does, so callers get copies with the
// same round-trip behaviour (times, nil slices) as from Badger. One mutex
// guards everything, which makes each Update trivially atomic; update runs
// once, holding it, so it must not call the store.
//
// Expired records are kept until deleted: the contract lets a backend keep
// them, and the core checks expiry itself.
func Memory() oauth.Store {
	return &memory{
		clients:   map[string][]byte{},
		grants:    map[string][]byte{},
		tokens:    map[string][]byte{},
		codes:     map[string][]byte{},
		devices:   map[string][]byte{},
		userCodes: map[string]string{},
		signIns:   map[string][]byte{},
		keys:      map[string][]byte{},
	}
}

type memory struct {
	mu sync.Mutex
	// Records by ID, or by string(hash) for tokens, codes and device codes.
	clients, grants, tokens, codes, devices, signIns, keys map[string][]byte
	// userCodes maps a user code to the device code that holds it.
	userCodes map[string]string
}

// table is one map of encoded records of type T.
type table[T any] struct {
	name string
	m    map[string][]byte
	key  func(T) string
}

func (tb table[T]) get(k string) (T, error) {
	var v T
	b, ok := tb.m[k]
	if !ok {
		return v, fmt.Errorf("%s: %w", tb.name, oauth.ErrNotFound)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", tb.name, err)
	}
	return v, nil
}

func (tb table[T]) put(v T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", tb.name, err)
	}
	tb.m[tb.key(v)] = b
	return nil
}

func (tb table[T]) create(v T) error {
	if _, ok := tb.m[tb.key(v)]; ok {
		return fmt.Errorf("%s: %w", tb.name, oauth.ErrAlreadyExists)
	}
	return tb.put(v)
}

// all returns every record for which keep is true, in no particular order.
func (tb table[T]) all(keep func(T) bool) ([]T, error) {
	var out []T
	for k := range tb.m {
		v, err := tb.get(k)
		if err != nil {
			return nil, err
		}
		if keep(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// update applies fn to the record under k; an error from fn is returned as is.
func (tb table[T]) update(k string, fn func(T) (T, error)) (T, error) {
	var zero T
	old, err := tb.get(k)
	if err != nil {
		return zero, err
	}
	v, err := fn(old)
	if err != nil {
		return zero, err
	}
	if tb.key(v) != k {
		return zero, fmt.Errorf("update %s: the update changed the record's key", tb.name)
	}
	if err := tb.put(v); err != nil {
		return zero, err
	}
	return v, nil
}

func (m *memory) clientTable() table[oauth.Client] {
	return table[oauth.Client]{"client", m.clients, func(c oauth.Client) string { return c.ID }}
}

func (m *memory) grantTable() table[oauth.Grant] {
	return table[oauth.Grant]{"grant", m.grants, func(g oauth.Grant) string { return g.ID }}
}

func (m *memory) tokenTable() table[oauth.Token] {
	return table[oauth.Token]{"token", m.tokens, func(t oauth.Token) string { return string(t.Hash) }}
}

func (m *memory) codeTable() table[oauth.AuthCode] {
	return table[oauth.AuthCode]{"authorization code", m.codes, func(c oauth.AuthCode) string { return string(c.Hash) }}
}

func (m *memory) deviceTable() table[oauth.DeviceCode] {
	return table[oauth.DeviceCode]{"device code", m.devices, func(d oauth.DeviceCode) string { return string(d.Hash) }}
}

func (m *memory) signInTable() table[oauth.SignIn] {
	return table[oauth.SignIn]{"sign-in", m.signIns, func(s oauth.SignIn) string { return s.ID }}
}

func (m *memory) keyTable() table[oauth.Key] {
	return table[oauth.Key]{"key", m.keys, func(k oauth.Key) string { return k.ID }}
}

// lock takes the mutex unless ctx is already done.
func (m *memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	return nil
}

// unexpired reports whether a record with this expiry is still valid now.
func unexpired(expiry time.Time) bool { return expiry.IsZero() || time.Now().Before(expiry) }

// byCreated orders records oldest first, then by ID, as the Badger indexes do.
func byCreated[T any](created func(T) time.Time, id func(T) string) func(a, b T) int {
	return func(a, b T) int {
		return cmp.Or(created(a).Compare(created(b)), strings.Compare(id(a), id(b)))
	}
}

func (m *memory) CreateClient(ctx context.Context, c oauth.Client) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	return m.clientTable().create(c)
}

func (m *memory) GetClient(ctx context.Context, id string) (oauth.Client, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Client{}, err
	}
	defer m.mu.Unlock()
	return m.clientTable().get(id)
}

func (m *memory) UpdateClient(ctx context.Context, id string, update func(oauth.Client) (oauth.Client, error)) (oauth.Client, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Client{}, err
	}
	defer m.mu.Unlock()
	return m.clientTable().update(id, update)
}

func (m *memory) DeleteClient(ctx context.Context, id string) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.clients[id]; !ok {
		return fmt.Errorf("client: %w", oauth.ErrNotFound)
	}
	delete(m.clients, id)
	grants, err := m.grantTable().all(func(g oauth.Grant) bool { return g.ClientID == id })
	if err != nil {
		return err
	}
	for _, g := range grants {
		if err := m.deleteGrant(g.ID); err != nil {
			return err
		}
	}
	codes, err := m.codeTable().all(func(c oauth.AuthCode) bool { return c.ClientID == id })
	if err != nil {
		return err
	}
	for _, c := range codes {
		delete(m.codes, string(c.Hash))
	}
	devices, err := m.deviceTable().all(func(d oauth.DeviceCode) bool { return d.ClientID == id })
	if err != nil {
		return err
	}
	for _, d := range devices {
		delete(m.devices, string(d.Hash))
		if m.userCodes[d.UserCode] == string(d.Hash) {
			delete(m.userCodes, d.UserCode)
		}
	}
	return nil
}

func (m *memory) ListClients(ctx context.Context) ([]oauth.Client, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	list, err := m.clientTable().all(func(oauth.Client) bool { return true })
	slices.SortFunc(list, func(a, b oauth.Client) int { return strings.Compare(a.ID, b.ID) })
	return list, err
}

func (m *memory) CreateGrant(ctx context.Context, g oauth.Grant) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	return m.grantTable().create(g)
}

func (m *memory) GetGrant(ctx context.Context, id string) (oauth.Grant, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Grant{}, err
	}
	defer m.mu.Unlock()
	return m.grantTable().get(id)
}

func (m *memory) UpdateGrant(ctx context.Context, id string, update func(oauth.Grant) (oauth.Grant, error)) (oauth.Grant, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Grant{}, err
	}
	defer m.mu.Unlock()
	return m.grantTable().update(id, update)
}

func (m *memory) DeleteGrant(ctx context.Context, id string) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.grants[id]; !ok {
		return fmt.Errorf("grant: %w", oauth.ErrNotFound)
	}
	return m.deleteGrant(id)
}

// deleteGrant removes a grant and its tokens; m.mu must be held.
func (m *memory) deleteGrant(id string) error {
	delete(m.grants, id)
	tokens, err := m.tokenTable().all(func(t oauth.Token) bool { return t.GrantID == id })
	if err != nil {
		return err
	}
	for _, t := range tokens {
		delete(m.tokens, string(t.Hash))
	}
	return nil
}

func (m *memory) listGrants(ctx context.Context, keep func(oauth.Grant) bool) ([]oauth.Grant, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	list, err := m.grantTable().all(keep)
	slices.SortFunc(list, byCreated(
		func(g oauth.Grant) time.Time { return g.Created },
		func(g oauth.Grant) string { return g.ID }))
	return list, err
}

func (m *memory) ListGrantsByUser(ctx context.Context, jid string) ([]oauth.Grant, error) {
	return m.listGrants(ctx, func(g oauth.Grant) bool { return g.JID == jid })
}

func (m *memory) ListGrantsByClient(ctx context.Context, clientID string) ([]oauth.Grant, error) {
	return m.listGrants(ctx, func(g oauth.Grant) bool { return g.ClientID == clientID })
}

func (m *memory) CreateTokens(ctx context.Context, tokens ...oauth.Token) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	// Check everything before writing anything: the tokens go in together.
	seen := map[string]bool{}
	for _, t := range tokens {
		if _, ok := m.grants[t.GrantID]; !ok {
			return fmt.Errorf("grant %q of token: %w", t.GrantID, oauth.ErrNotFound)
		}
		if _, ok := m.tokens[string(t.Hash)]; ok || seen[string(t.Hash)] {
			return fmt.Errorf("token: %w", oauth.ErrAlreadyExists)
		}
		seen[string(t.Hash)] = true
	}
	for _, t := range tokens {
		if err := m.tokenTable().put(t); err != nil {
			return err
		}
	}
	return nil
}

func (m *memory) GetToken(ctx context.Context, hash []byte) (oauth.Token, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Token{}, err
	}
	defer m.mu.Unlock()
	return m.tokenTable().get(string(hash))
}

func (m *memory) UpdateToken(ctx context.Context, hash []byte, update func(oauth.Token) (oauth.Token, error)) (oauth.Token, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Token{}, err
	}
	defer m.mu.Unlock()
	return m.tokenTable().update(string(hash), update)
}

func (m *memory) RotateToken(ctx context.Context, hash []byte, update func(oauth.Token) (oauth.Token, error), create ...oauth.Token) (oauth.Token, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Token{}, err
	}
	defer m.mu.Unlock()
	// Check the new tokens before changing anything: all or nothing.
	seen := map[string]bool{string(hash): true}
	for _, t := range create {
		if _, ok := m.grants[t.GrantID]; !ok {
			return oauth.Token{}, fmt.Errorf("grant %q of token: %w", t.GrantID, oauth.ErrNotFound)
		}
		if _, ok := m.tokens[string(t.Hash)]; ok || seen[string(t.Hash)] {
			return oauth.Token{}, fmt.Errorf("token: %w", oauth.ErrAlreadyExists)
		}
		seen[string(t.Hash)] = true
	}
	v, err := m.tokenTable().update(string(hash), update)
	if err != nil {
		return oauth.Token{}, err
	}
	for _, t := range create {
		if err := m.tokenTable().put(t); err != nil {
			return oauth.Token{}, err
		}
	}
	return v, nil
}

func (m *memory) DeleteTokens(ctx context.Context, hashes ...[]byte) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, h := range hashes {
		delete(m.tokens, string(h))
	}
	return nil
}

func (m *memory) ListTokensByGrant(ctx context.Context, grantID string) ([]oauth.Token, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	return m.tokenTable().all(func(t oauth.Token) bool { return t.GrantID == grantID })
}

func (m *memory) CreateAuthCode(ctx context.Context, c oauth.AuthCode) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	return m.codeTable().create(c)
}

func (m *memory) UpdateAuthCode(ctx context.Context, hash []byte, update func(oauth.AuthCode) (oauth.AuthCode, error)) (oauth.AuthCode, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.AuthCode{}, err
	}
	defer m.mu.Unlock()
	return m.codeTable().update(string(hash), update)
}

// claimUserCode fails if another live device code holds d's user code;
// m.mu must be held.
func (m *memory) claimUserCode(d oauth.DeviceCode) error {
	holder, ok := m.userCodes[d.UserCode]
	if !ok || holder == string(d.Hash) {
		return nil
	}
	other, err := m.deviceTable().get(holder)
	if err != nil {
		return nil // the holder is gone, the code is free
	}
	if unexpired(other.Expiry) {
		return fmt.Errorf("user code of device code: %w", oauth.ErrAlreadyExists)
	}
	return nil
}

func (m *memory) CreateDeviceCode(ctx context.Context, d oauth.DeviceCode) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.devices[string(d.Hash)]; ok {
		return fmt.Errorf("device code: %w", oauth.ErrAlreadyExists)
	}
	if err := m.claimUserCode(d); err != nil {
		return err
	}
	if err := m.deviceTable().put(d); err != nil {
		return err
	}
	m.userCodes[d.UserCode] = string(d.Hash)
	return nil
}

func (m *memory) GetDeviceCodeByUserCode(ctx context.Context, userCode string) (oauth.DeviceCode, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.DeviceCode{}, err
	}
	defer m.mu.Unlock()
	holder, ok := m.userCodes[userCode]
	if !ok {
		return oauth.DeviceCode{}, fmt.Errorf("device code by user code: %w", oauth.ErrNotFound)
	}
	return m.deviceTable().get(holder)
}

func (m *memory) UpdateDeviceCode(ctx context.Context, hash []byte, update func(oauth.DeviceCode) (oauth.DeviceCode, error)) (oauth.DeviceCode, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.DeviceCode{}, err
	}
	defer m.mu.Unlock()
	old, err := m.deviceTable().get(string(hash))
	if err != nil {
		return oauth.DeviceCode{}, err
	}
	var claimErr error
	d, err := m.deviceTable().update(string(hash), func(old oauth.DeviceCode) (oauth.DeviceCode, error) {
		d, err := update(old)
		if err != nil {
			return d, err
		}
		if d.UserCode != old.UserCode {
			claimErr = m.claimUserCode(d)
		}
		return d, claimErr
	})
	if err != nil {
		return oauth.DeviceCode{}, err
	}
	if d.UserCode != old.UserCode {
		if m.userCodes[old.UserCode] == string(hash) {
			delete(m.userCodes, old.UserCode)
		}
		m.userCodes[d.UserCode] = string(hash)
	}
	return d, nil
}

func (m *memory) CreateSignIn(ctx context.Context, s oauth.SignIn) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	return m.signInTable().create(s)
}

func (m *memory) GetSignIn(ctx context.Context, id string) (oauth.SignIn, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.SignIn{}, err
	}
	defer m.mu.Unlock()
	return m.signInTable().get(id)
}

func (m *memory) UpdateSignIn(ctx context.Context, id string, update func(oauth.SignIn) (oauth.SignIn, error)) (oauth.SignIn, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.SignIn{}, err
	}
	defer m.mu.Unlock()
	return m.signInTable().update(id, update)
}

func (m *memory) ListSignInsByUser(ctx context.Context, jid string) ([]oauth.SignIn, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	list, err := m.signInTable().all(func(s oauth.SignIn) bool { return s.JID == jid })
	slices.SortFunc(list, byCreated(
		func(s oauth.SignIn) time.Time { return s.Created },
		func(s oauth.SignIn) string { return s.ID }))
	return list, err
}

func (m *memory) PutKey(ctx context.Context, k oauth.Key) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	return m.keyTable().put(k)
}

func (m *memory) ListKeys(ctx context.Context) ([]oauth.Key, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	list, err := m.keyTable().all(func(oauth.Key) bool { return true })
	slices.SortFunc(list, byCreated(
		func(k oauth.Key) time.Time { return k.Created },
		func(k oauth.Key) string { return k.ID }))
	return list, err
}

func (m *memory) DeleteKey(ctx context.Context, id string) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.keys[id]; !ok {
		return fmt.Errorf("key: %w", oauth.ErrNotFound)
	}
	delete(m.keys, id)
	return nil
}

func (m *memory) Stats(ctx context.Context) (oauth.Stats, error) {
	if err := m.lock(ctx); err != nil {
		return oauth.Stats{}, err
	}
	defer m.mu.Unlock()
	st := oauth.Stats{Clients: len(m.clients), Grants: len(m.grants)}
	tokens, err := m.tokenTable().all(func(t oauth.Token) bool { return unexpired(t.Expiry) })
	if err != nil {
		return oauth.Stats{}, err
	}
	st.ActiveTokens = len(tokens)
	devices, err := m.deviceTable().all(func(d oauth.DeviceCode) bool {
		return d.State == oauth.DevicePending && unexpired(d.Expiry)
	})
	if err != nil {
		return oauth.Stats{}, err
	}
	st.PendingCodes = len(devices)
	signIns, err := m.signInTable().all(func(s oauth.SignIn) bool {
		return s.State == oauth.SignInPending && unexpired(s.Expiry)
	})
	if err != nil {
		return oauth.Stats{}, err
	}
	st.PendingSignIn = len(signIns)
	return st, nil
}
