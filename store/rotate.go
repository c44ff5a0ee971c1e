package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// Refresh token rotation is the hot write path: every refresh of every
// client is one RotateToken. With SyncWrites, Badger syncs its write-ahead
// log once per transaction, and on a virtual disk a sync costs about as much
// as everything else a refresh does. So rotations are committed in groups: one
// goroutine takes the rotations waiting at the moment and runs them in one
// transaction, one sync for all. Each rotation keeps its own outcome: its
// checks run before any of its writes, and one that fails writes nothing.
// A rotation never waits for others to arrive; groups form only while the
// previous group is being written, so a lone refresh is not delayed.

// maxRotationGroup bounds a group, keeping its transaction well below
// Badger's transaction size limit.
const maxRotationGroup = 128

type rotation struct {
	hash   []byte
	update func(oauth.Token) (oauth.Token, error)
	create []oauth.Token
	out    oauth.Token
	err    error
	done   chan struct{}
}

// errClosed is returned by a rotation that arrives while the store closes.
var errClosed = errors.New("store is closed")

// RotateToken updates one token and stores new ones in one transaction (as
// part of a group commit; see above).
func (s *DB) RotateToken(ctx context.Context, hash []byte, update func(oauth.Token) (oauth.Token, error), create ...oauth.Token) (oauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return oauth.Token{}, err
	}
	r := &rotation{hash: hash, update: update, create: create, done: make(chan struct{})}
	select {
	case s.rotations <- r:
	case <-s.rotatorDone:
		return oauth.Token{}, fmt.Errorf("rotate token: %w", errClosed)
	}
	// Once queued, wait for the outcome even if ctx ends: the rotation may
	// already be committed, and the caller must not believe otherwise.
	select {
	case <-r.done:
	case <-s.rotatorDone:
		select {
		case <-r.done:
		default:
			return oauth.Token{}, fmt.Errorf("rotate token: %w", errClosed)
		}
	}
	return r.out, r.err
}

// rotator runs rotation groups until quit is closed.
func (s *DB) rotator(quit <-chan struct{}) {
	defer close(s.rotatorDone)
	for {
		var first *rotation
		select {
		case first = <-s.rotations:
		case <-quit:
			return
		}
		group := []*rotation{first}
	more:
		for len(group) < maxRotationGroup {
			select {
			case r := <-s.rotations:
				group = append(group, r)
			default:
				break more
			}
		}
		s.rotateGroup(group)
		for _, r := range group {
			close(r.done)
		}
	}
}

// rotateGroup runs a group of rotations in one transaction.
func (s *DB) rotateGroup(group []*rotation) {
	err := s.update(context.Background(), func(txn *badger.Txn) error {
		for _, r := range group {
			r.out, r.err = oauth.Token{}, nil
			if err := rotateInTxn(txn, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range group {
			if r.err == nil {
				r.out, r.err = oauth.Token{}, fmt.Errorf("rotate token: %w", err)
			}
		}
	}
}

// rotateInTxn runs one rotation. Failures of the rotation itself (a missing
// token or grant, an error from update) are recorded in r before anything of
// r is written; an error returned aborts the whole group.
func rotateInTxn(txn *badger.Txn, r *rotation) error {
	key := tokenKey(r.hash)
	for _, t := range r.create {
		if _, err := txn.Get(grantKey(t.GrantID)); errors.Is(err, badger.ErrKeyNotFound) {
			r.err = fmt.Errorf("rotate token: grant %q: %w", t.GrantID, oauth.ErrNotFound)
			return nil
		} else if err != nil {
			return err
		}
		if _, err := txn.Get(tokenKey(t.Hash)); err == nil {
			r.err = fmt.Errorf("rotate token: new token: %w", oauth.ErrAlreadyExists)
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
	}
	old, err := get[oauth.Token](txn, key)
	if errors.Is(err, oauth.ErrNotFound) {
		r.err = fmt.Errorf("rotate token: %w", err)
		return nil
	}
	if err != nil {
		return err
	}
	v, err := r.update(old)
	if err != nil {
		r.err = err
		return nil
	}
	if !bytes.Equal(tokenKey(v.Hash), key) {
		r.err = errors.New("rotate token: the update changed the token's key")
		return nil
	}
	if _, err := updateInTxn(txn, tokens, key, func(oauth.Token) (oauth.Token, error) { return v, nil }); err != nil {
		return err
	}
	if err := createTokensInTxn(txn, r.create); err != nil {
		return err
	}
	r.out = v
	return nil
}
