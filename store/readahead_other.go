//go:build !linux

package store

// adviseRandom does nothing where the kernel's read-ahead of mapped files
// cannot be advised through /proc/self/maps and madvise.
func adviseRandom(string, map[mapping]bool) error { return nil }
