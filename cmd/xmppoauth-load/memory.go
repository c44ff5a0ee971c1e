package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// memoryBatch is how many grants' tokens go into one CreateTokens call
// when filling the store: one transaction, well under Badger's size limit.
const memoryBatch = 500

// fillMarker is written beside the store once it holds every grant, so that
// a later run with the same -dir measures without filling again.
const fillMarker = "xmppoauth-load.json"

// filled describes a store filled by an earlier run.
type filled struct {
	Grants int    `json:"grants"`
	Salt   string `json:"salt"`
}

// memoryReport is the outcome of -memory. Memory figures are of the whole
// process: the service and the load generator (a few MiB) together.
type memoryReport struct {
	Grants      int    `json:"grants"`
	Filled      string `json:"filled"` // how long filling took, or "reused"
	StoreOnDisk int64  `json:"store_on_disk_bytes"`
	// PeakFilling is the process's peak RSS while filling (bulk writes,
	// compactions), for information.
	PeakFilling memStatus `json:"peak_filling"`
	// Opened is after opening the filled store with the production
	// settings (SyncWrites) and a garbage collection.
	Opened memStatus `json:"opened"`
	// Served is right after serving the introspections.
	Served memStatus `json:"served"`
	// ServedGC is Served after a garbage collection that returns freed
	// memory to the system.
	ServedGC  memStatus `json:"served_gc"`
	HeapInuse uint64    `json:"heap_inuse_bytes"`
}

// runMemory is -memory: does xmppoauth stay under 100 MB RSS with a
// million stored grants?
func runMemory(ctx context.Context, o options, log *slog.Logger, stdout io.Writer) (err error) {
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xmppoauth-load-memory-"); err != nil {
			return fmt.Errorf("temporary directory: %w", err)
		}
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	}
	storeDir := filepath.Join(dir, "store")
	rep := report{Machine: describeMachine(), Workers: o.workers, Grants: o.grants, Memory: &memoryReport{Grants: o.grants}}
	if !o.jsonOut {
		fmt.Fprintf(stdout, "machine: %s\n", rep.Machine)
	}

	f, ok := readFilled(dir)
	if ok && f.Grants == o.grants {
		rep.Memory.Filled = "reused"
	} else {
		if ok || dirHasFiles(storeDir) {
			return fmt.Errorf("%s holds a store with other contents; give an empty or new -dir", dir)
		}
		f = filled{Grants: o.grants, Salt: randomHex(16)}
		if !o.jsonOut {
			fmt.Fprintf(stdout, "storing %d grants with a refresh token each in %s ...\n", o.grants, storeDir)
		}
		start := time.Now()
		if err := fill(ctx, storeDir, f, o.workers, log); err != nil {
			return err
		}
		rep.Memory.Filled = time.Since(start).Round(time.Second).String()
		if err := writeFilled(dir, f); err != nil {
			return err
		}
	}
	rep.Memory.StoreOnDisk = diskUsage(storeDir)
	rep.Memory.PeakFilling = readMemStatus()
	freeMemory()
	resetPeak()

	st, err := startStack(ctx, stackOptions{dir: storeDir, syncWrites: true, log: log})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.close(context.Background())) }()
	freeMemory()
	rep.Memory.Opened = readMemStatus()

	s := &server{base: st.url, http: newHTTPClient(o.workers), introspector: st.rs}
	res := runPhase(ctx, phaseIntrospect, o.workers, bound{requests: int64(o.introspections)},
		func(ctx context.Context, _ int, rec recorder) bool {
			tok := tokenValue(f.Salt, rand.IntN(f.Grants))
			_ = timed(rec, epIntrospect, func() error { return s.introspect(ctx, tok) })
			return true
		})
	rep.add(res)
	rep.Memory.Served = res.rss
	freeMemory()
	rep.Memory.ServedGC = readMemStatus()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.Memory.HeapInuse = ms.HeapInuse
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return err
		}
	}

	if o.jsonOut {
		return rep.writeJSON(stdout)
	}
	m := rep.Memory
	fmt.Fprintf(stdout, "grants stored: %d (filling: %s), store on disk: %s\n", m.Grants, m.Filled, mib(uint64(m.StoreOnDisk)/1024))
	fmt.Fprintf(stdout, "while filling (bulk writes without sync): %s\n", m.PeakFilling)
	fmt.Fprintf(stdout, "store reopened with SyncWrites, after GC: %s\n", m.Opened)
	res.print(stdout)
	fmt.Fprintf(stdout, "after GC: %s; Go heap in use %s\n", m.ServedGC, mib(m.HeapInuse/1024))
	verdict := "under"
	if max(m.Served.HWM, m.ServedGC.RSS) >= 100*1000*1000/1024 {
		verdict = "NOT under"
	}
	fmt.Fprintf(stdout, "serving %d grants: peak RSS %s, %s 100 MB\n", m.Grants, mib(max(m.Served.HWM, m.ServedGC.RSS)), verdict)
	return nil
}

// tokenValue is the refresh token of grant i; the store keeps its SHA-256.
func tokenValue(salt string, i int) string { return fmt.Sprintf("load-%s-%d", salt, i) }

// fill stores f.Grants grants for made-up users, with a refresh token each,
// through the store API: grants one by one (the API has no batch for
// them) from workers goroutines, tokens in batches. It writes without
// SyncWrites, as a bulk load may: the figures that matter come after.
func fill(ctx context.Context, dir string, f filled, workers int, log *slog.Logger) (err error) {
	db, err := store.Open(dir, store.Options{Logger: log.With("subsystem", "store")})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	p, err := oauth.New(ctx, oauth.Config{Issuer: "http://127.0.0.1", UserDomains: []string{userDomain},
		OpenRegistration: true, Logger: log.With("subsystem", "oauth")}, db) // creates the signing keys
	if err != nil {
		return err
	}
	reg, err := p.Register(ctx, oauth.ClientMetadata{ClientName: "xmppoauth-load", ApplicationType: oauth.AppNative,
		GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken}}, "")
	if err != nil {
		return fmt.Errorf("register a client: %w", err)
	}
	clientID := reg.Client.ID
	now := time.Now()
	scopes := []string{oauth.ScopeXMPP}
	batches := (f.Grants + memoryBatch - 1) / memoryBatch
	return parallel(ctx, batches, workers, func(ctx context.Context, b int) error {
		var toks []oauth.Token
		for i := b * memoryBatch; i < min((b+1)*memoryBatch, f.Grants); i++ {
			g := oauth.Grant{
				ID: fmt.Sprintf("%.16s%016x", f.Salt, i), JID: fmt.Sprintf("user%d@%s", i, userDomain), ClientID: clientID,
				Scopes: scopes, Created: now, LastUsed: now, AuthTime: now, Via: oauth.GrantDeviceCode,
			}
			if err := db.CreateGrant(ctx, g); err != nil {
				return err
			}
			h := sha256.Sum256([]byte(tokenValue(f.Salt, i)))
			toks = append(toks, oauth.Token{
				Hash: h[:], ID: fmt.Sprintf("%016x%.16s", i, f.Salt), Kind: oauth.KindRefresh, GrantID: g.ID,
				ClientID: clientID, JID: g.JID, Scopes: scopes, IssuedAt: now, Expiry: now.Add(30 * 24 * time.Hour), AuthTime: now,
			})
		}
		return db.CreateTokens(ctx, toks...)
	})
}

func readFilled(dir string) (filled, bool) {
	var f filled
	b, err := os.ReadFile(filepath.Join(dir, fillMarker))
	if err != nil || json.Unmarshal(b, &f) != nil || f.Grants < 1 || f.Salt == "" {
		return filled{}, false
	}
	return f, true
}

func writeFilled(dir string, f filled) error {
	b, _ := json.Marshal(f)
	if err := os.WriteFile(filepath.Join(dir, fillMarker), b, 0o600); err != nil {
		return fmt.Errorf("mark the store filled: %w", err)
	}
	return nil
}

func dirHasFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}

// diskUsage is the space the files under dir take on disk (sparse value
// logs count what they use, not their size).
func diskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		} else {
			n += info.Size()
		}
		return nil
	})
	return n
}

// freeMemory collects garbage and returns what is free to the system, so
// that RSS shows what is live.
func freeMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// resetPeak resets VmHWM to the current RSS (proc(5), /proc/pid/clear_refs
// "5"), so the next peak is the serving one, not the filling one. Where
// that is not possible the peak stays the process's.
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
