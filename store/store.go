package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// schemaVersion is the layout this binary reads and writes. Open refuses a
// directory written by a newer one rather than misread it.
const schemaVersion = 1

// maxAttempts bounds how often a transaction is retried after losing a
// conflict. Each retry means another writer committed; with the key locks
// (see keyLocks) running out takes writers that bypass them, in numbers.
const maxAttempts = 100

// ttlGrace is how long past its Expiry a record stays, so that the core, not
// Badger, is what decides a record has expired.
const ttlGrace = time.Minute

var schemaKey = []byte("meta/schema")

// Options configure [Open].
//
// The memory options bound what Badger holds in the process's own memory.
// Badger's defaults suit a database server (64 MiB memtables, five of them,
// a 256 MiB block cache); ours keep that memory (Go heap with memtables and
// caches) near 60 MB while a million grants are served. Badger maps its
// table files into memory as well: the pages read from them are page cache,
// which the kernel reclaims under pressure. Compactions take memory beyond
// these bounds for a while when much is written at once. Zero takes the
// default named; a store may be reopened with other values.
type Options struct {
	// SyncWrites makes every commit wait until it is on disk. Without it a
	// crash may lose the last writes, e.g. a refresh token rotation.
	SyncWrites bool
	// InMemory keeps everything in memory and nothing on disk (for tests);
	// the dir given to Open is ignored.
	InMemory bool
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger

	// MemTableSize is the size of one memtable, Badger's write buffer in
	// memory; each one takes this much once filled. One transaction may
	// hold up to about 15% of it, which the store's batched deletes
	// respect. DefaultMemTableSize when zero.
	MemTableSize int64
	// NumMemtables is how many memtables may exist at once: the one being
	// written and the full ones waiting to be flushed to disk; writes wait
	// when all are full. DefaultNumMemtables when zero; at least 2.
	NumMemtables int
	// BlockCacheSize is the memory for decompressed blocks of the on-disk
	// tables, so that hot records are not decompressed on every read.
	// DefaultBlockCacheSize when zero; negative for no cache.
	BlockCacheSize int64
	// IndexCacheSize bounds the memory for the tables' indexes and bloom
	// filters. Zero (the default) keeps them in the memory-mapped table
	// files, where they cost page cache, not heap.
	IndexCacheSize int64
	// NumCompactors is how many compactions may run at once, each holding
	// the tables it builds in memory. DefaultNumCompactors when zero; at
	// least 2 (Badger reserves one for level 0).
	NumCompactors int
}

// Defaults of the memory options.
const (
	DefaultMemTableSize   = 16 << 20
	DefaultNumMemtables   = 3
	DefaultBlockCacheSize = 16 << 20
	DefaultNumCompactors  = 2
)

// badgerOptions returns the Badger options for dir, logging to log.
func (o Options) badgerOptions(dir string, log *slog.Logger) (badger.Options, error) {
	bopts := badger.DefaultOptions(dir)
	if o.InMemory {
		bopts = badger.DefaultOptions("").WithInMemory(true)
	}
	switch {
	case o.MemTableSize < 0:
		return bopts, fmt.Errorf("MemTableSize %d is negative", o.MemTableSize)
	case o.NumMemtables != 0 && o.NumMemtables < 2:
		return bopts, fmt.Errorf("NumMemtables %d: need at least 2", o.NumMemtables)
	case o.IndexCacheSize < 0:
		return bopts, fmt.Errorf("IndexCacheSize %d is negative", o.IndexCacheSize)
	case o.NumCompactors != 0 && o.NumCompactors < 2:
		return bopts, fmt.Errorf("NumCompactors %d: need at least 2", o.NumCompactors)
	}
	blockCache := cmp.Or(o.BlockCacheSize, DefaultBlockCacheSize)
	if blockCache < 0 {
		blockCache = 0
	}
	// Not WithLoggingLevel: it replaces the logger with Badger's own, which
	// writes to stderr; badgerLogger drops the info and debug lines itself.
	return bopts.
		WithLogger(badgerLogger{log}).
		WithSyncWrites(o.SyncWrites).
		WithMemTableSize(cmp.Or(o.MemTableSize, DefaultMemTableSize)).
		WithNumMemtables(cmp.Or(o.NumMemtables, DefaultNumMemtables)).
		WithBlockCacheSize(blockCache).
		WithIndexCacheSize(o.IndexCacheSize).
		WithNumCompactors(cmp.Or(o.NumCompactors, DefaultNumCompactors)), nil
}

// DB is an [oauth.Store] on Badger. It is safe for concurrent use.
type DB struct {
	db       *badger.DB
	log      *slog.Logger
	inMemory bool
	locks    keyLocks

	// rotations feeds the group commit of RotateToken (rotate.go).
	rotations   chan *rotation
	quit        chan struct{}
	rotatorDone chan struct{}
	// adviserDone is closed when the read-ahead adviser (readahead.go)
	// has stopped.
	adviserDone chan struct{}
}

var _ oauth.Store = (*DB)(nil)

// Open opens (creating if needed) the store in dir. It fails if dir was
// written by a newer version of xmppoauth, or is in use by another process.
func Open(dir string, opts Options) (*DB, error) {
	return open(dir, opts, nil)
}

// open is Open with a hook to change Badger's options, for tests.
func open(dir string, opts Options, tune func(badger.Options) badger.Options) (*DB, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bopts, err := opts.badgerOptions(dir, log)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	if tune != nil {
		bopts = tune(bopts)
	}
	bdb, err := badger.Open(bopts)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	s := &DB{db: bdb, log: log, inMemory: opts.InMemory,
		rotations: make(chan *rotation), quit: make(chan struct{}), rotatorDone: make(chan struct{}),
		adviserDone: make(chan struct{})}
	s.locks.seed = maphash.MakeSeed()
	if err := s.checkSchema(); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	go s.rotator(s.quit)
	if opts.InMemory {
		close(s.adviserDone)
	} else {
		go s.adviser(dir, s.quit, s.adviserDone)
	}
	return s, nil
}

// Close flushes and closes the store.
func (s *DB) Close() error {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.rotatorDone
	<-s.adviserDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// checkSchema writes the schema version into a new store and checks it in an
// existing one.
func (s *DB) checkSchema() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(schemaKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(schemaKey, []byte(strconv.Itoa(schemaVersion)))
		}
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 {
			return fmt.Errorf("invalid schema version %q", v)
		}
		if n > schemaVersion {
			return fmt.Errorf("store has schema version %d, newer than this binary's %d: upgrade xmppoauth", n, schemaVersion)
		}
		return nil
	})
}

// badgerLogger routes Badger's log to slog, keeping warnings and errors only:
// Badger's info lines (compactions, flushes) are noise to an operator. The
// messages are prefixed "badger: " rather than given an attribute, so as not
// to clash with the attributes of the logger the caller passed.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(format string, args ...any) {
	l.log.Error("badger: " + strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (l badgerLogger) Warningf(format string, args ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	if isCacheReport(msg) {
		l.log.Debug("badger: " + msg)
		return
	}
	l.log.Warn("badger: " + msg)
}

// isCacheReport reports whether msg is one of the block cache reports that
// Badger's cache monitor writes every minute as warnings while the cache's
// hit ratio is low. The store keeps the cache small on purpose (see
// [Options.BlockCacheSize]); on a large store the ratio is low by design,
// and a warning each minute would teach operators to ignore warnings.
func isCacheReport(msg string) bool {
	return strings.HasPrefix(msg, "Block cache might be too small") ||
		strings.HasPrefix(msg, "Cache life expectancy")
}

func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}

// update runs fn in a read-write transaction, running it again (in a new
// transaction) while it fails with badger.ErrConflict.
func (s *DB) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for attempt := range maxAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", maxAttempts, badger.ErrConflict)
}

// backoff waits a random time, growing with attempt up to 2ms, before a
// retry. Without it, writers contending for one key retry in lockstep and
// the same one can lose every time.
func backoff(ctx context.Context, attempt int) error {
	d := rand.N(time.Duration(min(attempt, 20)) * 100 * time.Microsecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// keyLocks serializes, within this process, the writers of one record.
//
// Badger's transactions are optimistic: of two that read and write the same
// key, the later to commit fails and is retried. With SyncWrites the winner
// is back before the loser (whose new read waits for the winner's fsync), so
// one goroutine can lose every time. The writers that meet on one hot key
// (UpdateX of a record; CreateTokens, UpdateGrant and DeleteGrant of a grant)
// therefore take that key's stripe first. Badger's conflict detection stays
// the guarantee; the locks only make it rare for it to fire.
type keyLocks struct {
	seed    maphash.Seed
	stripes [256]sync.Mutex
}

// lock locks the stripes of keys, in stripe order so that two callers never
// deadlock, and returns the function that unlocks them.
func (l *keyLocks) lock(keys ...[]byte) (unlock func()) {
	idx := make([]int, 0, len(keys))
	for _, k := range keys {
		idx = append(idx, int(maphash.Bytes(l.seed, k)%uint64(len(l.stripes))))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.stripes[i].Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			l.stripes[i].Unlock()
		}
	}
}

// lockAll locks every stripe, for a transaction that writes many records.
func (l *keyLocks) lockAll() (unlock func()) {
	for i := range l.stripes {
		l.stripes[i].Lock()
	}
	return func() {
		for i := range l.stripes {
			l.stripes[len(l.stripes)-1-i].Unlock()
		}
	}
}

// view runs fn in a read-only transaction.
func (s *DB) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// indexEntry is an index key written and deleted with its record.
type indexEntry struct {
	key []byte
	// owner, when set, is stored as the value and names the record the entry
	// points to. Such an entry is unique (one record holds it at a time) and
	// is deleted only by that record.
	owner []byte
}

// kind describes how records of type T are keyed, indexed and expired.
type kind[T any] struct {
	name    string
	key     func(T) []byte
	indexes func(T) []indexEntry
	expiry  func(T) time.Time
	// validate rejects values that cannot be keyed; may be nil.
	validate func(T) error
	// claim checks, inside the transaction, that v may take its unique index
	// entries; may be nil.
	claim func(txn *badger.Txn, v T) error
}

// expiresAt returns the Badger expiry (Unix seconds, 0 for never) of a
// record with this Expiry. The value is computed once per record and set on
// the record and its index keys alike, so that they disappear together.
func expiresAt(expiry, now time.Time) uint64 {
	if expiry.IsZero() {
		return 0
	}
	if expiry.Before(now) {
		expiry = now // already expired: keep it for the grace only
	}
	return uint64(expiry.Add(ttlGrace).Unix())
}

func (k kind[T]) indexesOf(v T) []indexEntry {
	if k.indexes == nil {
		return nil
	}
	return k.indexes(v)
}

// get reads and decodes the record under key.
func get[T any](txn *badger.Txn, key []byte) (T, error) {
	var v T
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return v, oauth.ErrNotFound
	}
	if err != nil {
		return v, err
	}
	if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
		return v, fmt.Errorf("decode %q: %w", key, err)
	}
	return v, nil
}

// exists reports whether key is present.
func exists(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// put writes v and its index entries, replacing whatever was there.
func (k kind[T]) put(txn *badger.Txn, v T) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", k.name, err)
	}
	exp := expiresAt(k.expiry(v), time.Now())
	// ExpiresAt is what entry.WithTTL sets; setting it directly gives the
	// record and its index keys the very same expiry.
	e := badger.NewEntry(k.key(v), b)
	e.ExpiresAt = exp
	if err := txn.SetEntry(e); err != nil {
		return err
	}
	for _, ix := range k.indexesOf(v) {
		e := badger.NewEntry(ix.key, ix.owner)
		e.ExpiresAt = exp
		if err := txn.SetEntry(e); err != nil {
			return err
		}
	}
	return nil
}

// create writes v unless its key is taken.
func (k kind[T]) create(txn *badger.Txn, v T) error {
	if k.validate != nil {
		if err := k.validate(v); err != nil {
			return err
		}
	}
	found, err := exists(txn, k.key(v))
	if err != nil {
		return err
	}
	if found {
		return oauth.ErrAlreadyExists
	}
	if k.claim != nil {
		if err := k.claim(txn, v); err != nil {
			return err
		}
	}
	return k.put(txn, v)
}

// deleteIndex deletes an index entry, unless another record owns it now.
func deleteIndex(txn *badger.Txn, ix indexEntry) error {
	if ix.owner != nil {
		item, err := txn.Get(ix.key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		owner, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if !bytes.Equal(owner, ix.owner) {
			return nil
		}
	}
	return txn.Delete(ix.key)
}

// remove deletes v and its index entries.
func (k kind[T]) remove(txn *badger.Txn, v T) error {
	if err := txn.Delete(k.key(v)); err != nil {
		return err
	}
	for _, ix := range k.indexesOf(v) {
		if err := deleteIndex(txn, ix); err != nil {
			return err
		}
	}
	return nil
}

// updateFuncError carries an error from the caller's update function out of
// the transaction, so that it is returned as is, unwrapped.
type updateFuncError struct{ err error }

func (e updateFuncError) Error() string { return e.err.Error() }

// updateRecord runs update on the record under key inside one transaction,
// retried on conflict, and writes the result with its index entries. It
// holds the key's lock throughout, so update must not call the store.
func updateRecord[T any](ctx context.Context, s *DB, k kind[T], key []byte, update func(T) (T, error)) (T, error) {
	var out, zero T
	defer s.locks.lock(key)()
	err := s.update(ctx, func(txn *badger.Txn) error {
		v, err := updateInTxn(txn, k, key, update)
		out = v
		return err
	})
	var fe updateFuncError
	if errors.As(err, &fe) {
		return zero, fe.err
	}
	if err != nil {
		return zero, fmt.Errorf("update %s: %w", k.name, err)
	}
	return out, nil
}

// updateInTxn is the body of updateRecord, for transactions that do more.
// An error of update comes back as updateFuncError.
func updateInTxn[T any](txn *badger.Txn, k kind[T], key []byte, update func(T) (T, error)) (T, error) {
	var zero T
	old, err := get[T](txn, key)
	if err != nil {
		return zero, err
	}
	v, err := update(old)
	if err != nil {
		return zero, updateFuncError{err}
	}
	if !bytes.Equal(k.key(v), key) {
		return zero, fmt.Errorf("the update changed the %s's key", k.name)
	}
	if k.validate != nil {
		if err := k.validate(v); err != nil {
			return zero, err
		}
	}
	if k.claim != nil {
		if err := k.claim(txn, v); err != nil {
			return zero, err
		}
	}
	// Index entries the new value no longer has go; put writes the rest.
	keep := map[string]bool{}
	for _, ix := range k.indexesOf(v) {
		keep[string(ix.key)] = true
	}
	for _, ix := range k.indexesOf(old) {
		if !keep[string(ix.key)] {
			if err := deleteIndex(txn, ix); err != nil {
				return zero, err
			}
		}
	}
	if err := k.put(txn, v); err != nil {
		return zero, err
	}
	return v, nil
}

// scan returns the keys under prefix, in order, with the prefix cut off; at
// most limit of them if limit > 0.
func scan(txn *badger.Txn, prefix []byte, limit int) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var out [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		out = append(out, bytes.Clone(it.Item().Key()[len(prefix):]))
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// each decodes every record under prefix, in key order, and calls fn.
func each[T any](txn *badger.Txn, prefix []byte, fn func(T)) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var v T
		item := it.Item()
		if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &v) }); err != nil {
			return fmt.Errorf("decode %q: %w", item.Key(), err)
		}
		fn(v)
	}
	return nil
}

// count counts the keys under prefix without reading values.
func count(txn *badger.Txn, prefix []byte) int {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// countLive counts the keys under prefix of records that have not expired
// at now, without reading values: a record's Badger expiry is its Expiry
// plus ttlGrace, in whole seconds (expiresAt), so the record is live while
// now is before that minus the grace. Records that never expire count.
func countLive(txn *badger.Txn, prefix []byte, now time.Time) int {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	grace, unix := int64(ttlGrace/time.Second), now.Unix()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if exp := it.Item().ExpiresAt(); exp == 0 || int64(exp)-grace > unix {
			n++
		}
	}
	return n
}

// sweep deletes what lies under prefix in transactions of at most batch
// keys, calling del for each key (prefix cut off), until nothing is left.
// It is for cascades too large for one transaction; a batch still too large
// is halved.
func (s *DB) sweep(ctx context.Context, prefix []byte, batch int, del func(txn *badger.Txn, rest []byte) error) error {
	for {
		n := 0
		err := s.update(ctx, func(txn *badger.Txn) error {
			rests := scan(txn, prefix, batch)
			n = len(rests)
			for _, rest := range rests {
				if err := del(txn, rest); err != nil {
					return err
				}
				if err := txn.Delete(cat(prefix, rest)); err != nil {
					return err
				}
			}
			return nil
		})
		if errors.Is(err, badger.ErrTxnTooBig) && batch > 1 {
			batch /= 2
			continue
		}
		if err != nil || n == 0 {
			return err
		}
	}
}

// cat concatenates byte strings into a new key.
func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}
