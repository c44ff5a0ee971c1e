package store

import (
	"path/filepath"
	"time"
)

// adviseInterval is how often the store advises the kernel about the files
// Badger mapped since the last time: Badger maps a new table file after each
// memtable flush and compaction.
const adviseInterval = 10 * time.Second

// The store's reads are point lookups at random keys (a token's hash, a
// client's id), and Badger reads its table and value-log files through
// memory maps. On a page fault in a mapped file Linux reads ahead around
// the page (128 KiB by default), which suits sequential reads; for random
// lookups it fills the page cache with neighbouring blocks that nobody
// reads. On a store larger than the memory left to the service, those
// blocks push out the tables' indexes and bloom filters, which every lookup
// needs, and the service thrashes: measured with cmd/xmppoauth-load on a
// store of a million grants under a 100 MB memory limit (cgroup), 80
// introspections a second with default read-ahead against 990 with the
// mappings advised random. Badger has no option for this, so the store
// advises the mappings itself (madvise MADV_RANDOM), at open and then every
// adviseInterval, on systems where it can (Linux); elsewhere nothing is done.

// adviser advises the mappings of the files in dir until quit is closed,
// then closes done.
func (s *DB) adviser(dir string, quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		s.log.Warn("store: cannot resolve the store directory; read-ahead stays on", "err", err)
		return
	}
	advised := make(map[mapping]bool)
	t := time.NewTicker(adviseInterval)
	defer t.Stop()
	for {
		if err := adviseRandom(abs, advised); err != nil {
			s.log.Warn("store: advising the kernel of random reads failed; read-ahead stays on", "err", err)
			return
		}
		select {
		case <-quit:
			return
		case <-t.C:
		}
	}
}

// mapping is one memory mapping of a file, as /proc/self/maps lists it.
type mapping struct {
	start, end uintptr
	path       string
}
