package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// ErrNotEmpty is returned by [DB.Restore] when the store holds data and
// force was not given.
var ErrNotEmpty = errors.New("store is not empty")

// gcDiscardRatio is the share of a value log file that must be garbage for
// GC to rewrite it, Badger's recommended 0.5.
const gcDiscardRatio = 0.5

// RunGC reclaims value log space every interval (10 minutes if interval is
// not positive) until ctx is done. Badger never does this on its own, and
// expired tokens and codes leave garbage behind. An in-memory store has no
// value log, so RunGC returns at once.
func (s *DB) RunGC(ctx context.Context, interval time.Duration) {
	if s.inMemory {
		return
	}
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.gc(ctx)
		}
	}
}

// gc rewrites value log files while there are some worth rewriting.
func (s *DB) gc(ctx context.Context) {
	for rewrites := 0; ctx.Err() == nil; rewrites++ {
		err := s.db.RunValueLogGC(gcDiscardRatio)
		switch {
		case err == nil:
			continue
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
			// Nothing (more) worth rewriting, or a GC is running already.
			if rewrites > 0 {
				s.log.DebugContext(ctx, "value log GC done", "rewrites", rewrites)
			}
		default:
			s.log.WarnContext(ctx, "value log GC failed", "err", err)
		}
		return
	}
}

// Backup writes a full backup of the store to w, in Badger's stream backup
// format, from a consistent snapshot; the store stays usable meanwhile.
// Expired records are left out.
func (s *DB) Backup(w io.Writer) error {
	if _, err := s.db.Backup(w, 0); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Restore loads a backup written by [DB.Backup]. It refuses, with
// ErrNotEmpty, a store holding any record unless force is set, in which case
// the store's contents are dropped first. Nothing else may use the store
// while it runs. After loading it checks the backup's schema version, as
// Open does.
func (s *DB) Restore(r io.Reader, force bool) error {
	empty, err := s.empty()
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !empty {
		if !force {
			return fmt.Errorf("restore: %w (force replaces its contents)", ErrNotEmpty)
		}
		s.log.Warn("restore: dropping the store's contents")
		if err := s.db.DropAll(); err != nil {
			return fmt.Errorf("restore: drop contents: %w", err)
		}
	}
	if err := s.db.Load(r, 256); err != nil {
		return fmt.Errorf("restore: load: %w", err)
	}
	if err := s.checkSchema(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// empty reports whether the store holds nothing but its schema version.
func (s *DB) empty() (bool, error) {
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if string(it.Item().Key()) != string(schemaKey) {
				empty = false
				return nil
			}
		}
		return nil
	})
	return empty, err
}
