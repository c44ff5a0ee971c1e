package store

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// adviseRandom advises the kernel that the mappings of Badger's table and
// value-log files under dir (an absolute path without symbolic links) are
// read at random, so that a page fault reads that page only. advised holds
// the mappings advised before; they are skipped, and mappings that are gone
// are forgotten.
func adviseRandom(dir string, advised map[mapping]bool) error {
	maps, err := fileMappings(dir)
	if err != nil {
		return err
	}
	seen := make(map[mapping]bool, len(maps))
	for _, m := range maps {
		seen[m] = true
		if advised[m] {
			continue
		}
		// The addresses come from the kernel's list of this process's
		// mappings, so no Go pointer is involved.
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_RANDOM); errno != 0 {
			// The mapping went away between reading the list and now
			// (a table removed by a compaction): nothing to advise.
			if errno == syscall.ENOMEM || errno == syscall.EINVAL {
				continue
			}
			return fmt.Errorf("madvise %s: %w", m.path, errno)
		}
	}
	for m := range advised {
		if !seen[m] {
			delete(advised, m)
		}
	}
	for m := range seen {
		advised[m] = true
	}
	return nil
}

// fileMappings lists this process's mappings of .sst and .vlog files
// directly in dir, from /proc/self/maps (proc(5)).
func fileMappings(dir string) ([]mapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("list memory mappings: %w", err)
	}
	defer f.Close()
	var out []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// address perms offset dev inode pathname
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 {
			continue
		}
		path := strings.Join(fields[5:], " ")
		if !strings.HasPrefix(path, dir+"/") || strings.Contains(path[len(dir)+1:], "/") ||
			!(strings.HasSuffix(path, ".sst") || strings.HasSuffix(path, ".vlog")) {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, mapping{start: uintptr(start), end: uintptr(end), path: path})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("list memory mappings: %w", err)
	}
	return out, nil
}
