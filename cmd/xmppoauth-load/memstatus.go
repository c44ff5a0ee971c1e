package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// memStatus is the process's memory as the kernel counts it
// (/proc/self/status, proc(5)), in KiB.
type memStatus struct {
	// RSS (VmRSS) is the resident set now: anonymous memory (the Go heap,
	// Badger's memtables and caches) plus the resident pages of mapped
	// files (Badger's tables and logs).
	RSS uint64 `json:"vm_rss_kib"`
	// HWM (VmHWM) is the largest RSS the process has had.
	HWM uint64 `json:"vm_hwm_kib"`
	// Anon and File split RSS (RssAnon, RssFile).
	Anon uint64 `json:"rss_anon_kib"`
	File uint64 `json:"rss_file_kib"`
}

func (m memStatus) String() string {
	if m.RSS == 0 {
		return "unknown (no /proc/self/status)"
	}
	return fmt.Sprintf("RSS %s (anon %s, files %s), peak RSS %s", mib(m.RSS), mib(m.Anon), mib(m.File), mib(m.HWM))
}

func mib(kib uint64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// readMemStatus reads the current process's memory figures; zero values
// where the system has no /proc.
func readMemStatus() memStatus {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return memStatus{}
	}
	return parseMemStatus(b)
}

// parseMemStatus picks the Vm and Rss lines out of a /proc/<pid>/status.
func parseMemStatus(b []byte) memStatus {
	var m memStatus
	fields := map[string]*uint64{"VmRSS": &m.RSS, "VmHWM": &m.HWM, "RssAnon": &m.Anon, "RssFile": &m.File}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		dst, known := fields[name]
		if !ok || !known {
			continue
		}
		num, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // "123456 kB"
		if v, err := strconv.ParseUint(num, 10, 64); err == nil {
			*dst = v
		}
	}
	return m
}
