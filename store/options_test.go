package store

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestOptionsBadger(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		opts Options
		// want checks the Badger options; nil when an error is expected.
		want    func(t *testing.T, b badger.Options)
		wantErr string
	}{
		{"defaults", Options{SyncWrites: true}, func(t *testing.T, b badger.Options) {
			if !b.SyncWrites || b.MemTableSize != DefaultMemTableSize || b.NumMemtables != DefaultNumMemtables ||
				b.BlockCacheSize != DefaultBlockCacheSize || b.IndexCacheSize != 0 || b.NumCompactors != DefaultNumCompactors {
				t.Errorf("Badger options = %+v, want the store's defaults", b)
			}
		}, ""},
		{"explicit values", Options{MemTableSize: 8 << 20, NumMemtables: 4, BlockCacheSize: 1 << 20, IndexCacheSize: 2 << 20, NumCompactors: 3},
			func(t *testing.T, b badger.Options) {
				if b.MemTableSize != 8<<20 || b.NumMemtables != 4 || b.BlockCacheSize != 1<<20 || b.IndexCacheSize != 2<<20 || b.NumCompactors != 3 {
					t.Errorf("Badger options = %+v, want the values given", b)
				}
			}, ""},
		{"no block cache", Options{BlockCacheSize: -1}, func(t *testing.T, b badger.Options) {
			if b.BlockCacheSize != 0 {
				t.Errorf("BlockCacheSize = %d, want 0", b.BlockCacheSize)
			}
		}, ""},
		{"in memory", Options{InMemory: true}, func(t *testing.T, b badger.Options) {
			if !b.InMemory || b.Dir != "" {
				t.Errorf("InMemory = %v, Dir = %q, want in memory without a directory", b.InMemory, b.Dir)
			}
		}, ""},
		{"negative memtable size", Options{MemTableSize: -1}, nil, "MemTableSize"},
		{"one memtable", Options{NumMemtables: 1}, nil, "NumMemtables"},
		{"negative index cache", Options{IndexCacheSize: -1}, nil, "IndexCacheSize"},
		{"one compactor", Options{NumCompactors: 1}, nil, "NumCompactors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.opts.badgerOptions("dir", log)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("badgerOptions() error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("badgerOptions() = %v", err)
			}
			// Badger's WithLoggingLevel would put its own stderr logger
			// here; the store's warnings must go to the caller's slog.
			if _, ok := b.Logger.(badgerLogger); !ok {
				t.Errorf("Logger = %T, want badgerLogger", b.Logger)
			}
			tt.want(t, b)
		})
	}
}

// TestOpenInvalidOptions: Open refuses options it cannot use, before
// touching the directory.
func TestOpenInvalidOptions(t *testing.T) {
	if _, err := Open(t.TempDir(), Options{NumMemtables: 1}); err == nil {
		t.Fatal("Open() with one memtable = nil error, want an error")
	}
}

// TestReopenWithOtherMemoryOptions: a store written with Badger's large
// defaults opens with the store's small ones, and the other way round.
func TestReopenWithOtherMemoryOptions(t *testing.T) {
	dir := t.TempDir()
	f := newFixture()
	ctx := t.Context()
	big := Options{SyncWrites: true, MemTableSize: 64 << 20, NumMemtables: 5, BlockCacheSize: 256 << 20, NumCompactors: 4}
	for i, opts := range []Options{big, {SyncWrites: true}, big} {
		s, err := Open(dir, opts)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		if i == 0 {
			if err := s.CreateClient(ctx, f.client); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.GetClient(ctx, f.client.ID); err != nil {
			t.Errorf("open #%d: GetClient() = %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close #%d: %v", i, err)
		}
	}
}

func TestBadgerLoggerLevels(t *testing.T) {
	tests := []struct {
		log  func(badgerLogger)
		want string // the level logged, "" for nothing
	}{
		{func(l badgerLogger) { l.Errorf("value log %d is corrupt", 3) }, "ERROR"},
		{func(l badgerLogger) { l.Warningf("Truncate needed\n") }, "WARN"},
		{func(l badgerLogger) { l.Warningf("Block cache might be too small. Metrics: %s", "hit: 1") }, "DEBUG"},
		{func(l badgerLogger) { l.Warningf("Cache life expectancy (in seconds): %s", "...") }, "DEBUG"},
		{func(l badgerLogger) { l.Infof("Compaction done") }, ""},
		{func(l badgerLogger) { l.Debugf("flush") }, ""},
	}
	for i, tt := range tests {
		var buf bytes.Buffer
		tt.log(badgerLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		got := buf.String()
		switch {
		case tt.want == "" && got != "":
			t.Errorf("%d: logged %q, want nothing", i, got)
		case tt.want != "" && !strings.Contains(got, "level="+tt.want+" msg=\"badger: "):
			t.Errorf("%d: logged %q, want level %s", i, got, tt.want)
		}
	}
}
