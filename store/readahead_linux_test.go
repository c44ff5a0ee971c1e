package store

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAdviseRandom(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	abs, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	maps, err := fileMappings(abs)
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) == 0 {
		t.Fatalf("no mapping of a .vlog or .sst file in %s", abs)
	}
	advised := map[mapping]bool{{start: 1, end: 2, path: abs + "/gone.sst"}: true}
	if err := adviseRandom(abs, advised); err != nil {
		t.Fatalf("adviseRandom: %v", err)
	}
	if advised[mapping{start: 1, end: 2, path: abs + "/gone.sst"}] {
		t.Error("a mapping that is gone is still remembered")
	}
	for _, m := range maps {
		if !advised[m] {
			t.Errorf("%s not remembered as advised", m.path)
		}
		flags, err := vmFlags(m.start)
		if err != nil {
			t.Fatal(err)
		}
		// proc(5): "rr" is "random read advised".
		if !slices.Contains(flags, "rr") {
			t.Errorf("%s: VmFlags %v lack rr", m.path, flags)
		}
	}
}

// vmFlags returns the VmFlags of the mapping that starts at start.
func vmFlags(start uintptr) ([]string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := fmt.Sprintf("%x-", start)
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, head):
			in = true
		case in && strings.HasPrefix(line, "VmFlags:"):
			return strings.Fields(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	return nil, fmt.Errorf("no mapping at %x in /proc/self/smaps", start)
}

func TestFileMappingsFilter(t *testing.T) {
	// Only this store's table and value-log files count, not another
	// store's in a subdirectory or with the same prefix.
	dir := t.TempDir()
	for _, sub := range []string{"a", "a/nested", "ab"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var dbs []*DB
	for _, sub := range []string{"a/nested", "ab"} {
		db, err := Open(filepath.Join(dir, sub), Options{})
		if err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	abs, err := filepath.EvalSymlinks(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	maps, err := fileMappings(abs)
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 0 {
		t.Errorf("mappings of other stores counted: %v", maps)
	}
}
