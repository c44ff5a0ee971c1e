package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// Phase names, for -phases.
const (
	phaseIntrospect        = "introspect"
	phaseRefresh           = "refresh"
	phaseDevice            = "device"
	phaseClientCredentials = "client_credentials"
)

var allPhases = []string{phaseIntrospect, phaseRefresh, phaseDevice, phaseClientCredentials}

// options are the command line.
type options struct {
	bound   bound
	workers int
	grants  int
	phases  []string
	sync    bool
	listen  string
	target  string
	rs      credentials
	jsonOut bool
	logLvl  slog.Level

	cpuProfile string
	memProfile string

	memory         bool
	introspections int
	dir            string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "xmppoauth-load:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLvl}))
	if o.cpuProfile != "" {
		stop, err := startProfile(o.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "xmppoauth-load:", err)
			return 1
		}
		defer stop()
	}
	if o.memory {
		err = runMemory(ctx, o, log, stdout)
	} else {
		err = runLoad(ctx, o, log, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "xmppoauth-load:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("xmppoauth-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.DurationVar(&o.bound.duration, "duration", 10*time.Second, "how long each phase runs (0: until -requests)")
	fs.Int64Var(&o.bound.requests, "requests", 0, "iterations per phase, all workers together (0: until -duration)")
	fs.IntVar(&o.workers, "workers", 16, "concurrent workers, each with its own keep-alive connection")
	fs.IntVar(&o.grants, "grants", 1000, "approved grants to create (with -memory: grants to store, 1000000 for the memory check)")
	phases := fs.String("phases", "introspect,refresh,device", "phases to run, in order: "+strings.Join(allPhases, ", "))
	fs.BoolVar(&o.sync, "sync", true, "open the store with SyncWrites, as in production")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback address of the in-process server")
	fs.StringVar(&o.target, "target", "", "drive an xmppoauth already running on loopback (issuer URL) instead of starting one")
	fs.StringVar(&o.rs.id, "rs-id", "", "with -target: resource server id for /introspect (default: the registered client introspects its own tokens)")
	fs.StringVar(&o.rs.secret, "rs-secret", "", "with -target: the resource server's secret (or XMPPOAUTH_LOAD_RS_SECRET)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the results as JSON")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the phases (server and load generator together) to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile (live objects after a garbage collection) to this file at the end")
	level := fs.String("log-level", "warn", "log level of the in-process server: debug, info, warn, error")
	fs.BoolVar(&o.memory, "memory", false, "memory check: store -grants grants with a token each, then serve introspections and report RSS")
	fs.IntVar(&o.introspections, "introspections", 5000, "with -memory: introspections to serve before measuring")
	fs.StringVar(&o.dir, "dir", "", "with -memory: store directory to fill, and to reuse if a previous run filled it (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := o.logLvl.UnmarshalText([]byte(*level)); err != nil {
		return o, fmt.Errorf("-log-level: %w", err)
	}
	if o.rs.secret == "" {
		o.rs.secret = os.Getenv("XMPPOAUTH_LOAD_RS_SECRET")
	}
	for _, p := range strings.Split(*phases, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allPhases, p) {
			return o, fmt.Errorf("-phases: unknown phase %q; known: %s", p, strings.Join(allPhases, ", "))
		}
		o.phases = append(o.phases, p)
	}
	return o, o.validate()
}

func (o options) validate() error {
	if err := o.bound.validate(); err != nil {
		return err
	}
	switch {
	case o.workers < 1 || o.workers > 1024:
		return fmt.Errorf("-workers %d: need 1 to 1024", o.workers)
	case o.grants < 1 || o.grants > 10_000_000:
		return fmt.Errorf("-grants %d: need 1 to 10000000", o.grants)
	case o.memory && o.target != "":
		return errors.New("-memory measures the in-process server; it cannot be combined with -target")
	case o.memory && o.introspections < 1:
		return errors.New("-introspections must be at least 1")
	case !o.memory && o.dir != "":
		return errors.New("-dir is for -memory")
	case o.target != "" && slices.Contains(o.phases, phaseRefresh):
		return errors.New("the refresh phase needs refresh tokens, which only a user's approval in chat gives; " +
			"leave it out of -phases with -target, or run without -target")
	case (o.rs.id == "") != (o.rs.secret == ""):
		return errors.New("give both -rs-id and -rs-secret, or neither")
	case !o.memory && o.target == "" && slices.Contains(o.phases, phaseRefresh) && o.grants < o.workers:
		return fmt.Errorf("the refresh phase gives each worker its own grant: -grants (%d) must be at least -workers (%d)", o.grants, o.workers)
	}
	return nil
}

const usage = `xmppoauth-load drives xmppoauth's token, introspection and device endpoints
over HTTP on loopback and reports throughput, latency and memory. Every run is
bounded (-duration, -requests) and talks to loopback addresses only.

  xmppoauth-load [flags]                 start the service in-process (Badger in a
                                         temporary directory, the core, the HTTP
                                         handler) on 127.0.0.1, create -grants
                                         approved grants, run the phases
  xmppoauth-load -target URL [flags]     drive a running xmppoauth on loopback;
                                         needs open registration and the
                                         client_credentials and device grants
  xmppoauth-load -memory -grants 1000000 store that many grants with a token
                                         each, reopen the store, serve
                                         -introspections, report RSS

Flags:
`

// runLoad is the throughput mode, in-process or against -target.
func runLoad(ctx context.Context, o options, log *slog.Logger, stdout io.Writer) (err error) {
	s := &server{http: newHTTPClient(o.workers)}
	var access, refresh []string
	setupStart := time.Now()
	if o.target != "" {
		if err := checkLoopbackURL(ctx, o.target); err != nil {
			return err
		}
		s.base = strings.TrimRight(o.target, "/")
		if err := s.register(ctx, []string{oauth.GrantClientCredentials, oauth.GrantDeviceCode}); err != nil {
			return err
		}
		s.introspector = s.client
		if o.rs.id != "" {
			s.introspector = o.rs
		}
		access = make([]string, o.grants)
		err := parallel(ctx, o.grants, o.workers, func(ctx context.Context, i int) error {
			var err error
			access[i], err = s.clientCredentials(ctx, "xmpp")
			return err
		})
		if err != nil {
			return fmt.Errorf("mint %d tokens with client_credentials: %w", o.grants, err)
		}
	} else {
		st, err := startStack(ctx, stackOptions{listen: o.listen, syncWrites: o.sync, log: log})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, st.close(context.Background())) }()
		s.base, s.introspector = st.url, st.rs
		if err := s.register(ctx, []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken, oauth.GrantClientCredentials}); err != nil {
			return err
		}
		toks, err := st.approvedGrants(ctx, s.client, o.grants, o.workers)
		if err != nil {
			return err
		}
		for _, t := range toks {
			access = append(access, t.AccessToken)
			refresh = append(refresh, t.RefreshToken)
		}
	}
	rep := report{Machine: describeMachine(), Server: s.base, Workers: o.workers, Grants: o.grants,
		Setup: time.Since(setupStart).Round(time.Millisecond).String()}
	if o.target == "" { // else the target's configuration decides
		rep.SyncWrites = &o.sync
	}
	if !o.jsonOut {
		rep.printHeader(stdout, o)
	}
	for _, ph := range o.phases {
		if ctx.Err() != nil {
			break
		}
		var iter iteration
		switch ph {
		case phaseIntrospect:
			iter = introspectLoad(s, access, o.workers)
		case phaseRefresh:
			iter = refreshLoad(s, slices.Clone(refresh[:o.workers]))
		case phaseDevice:
			iter = deviceLoad(s)
		case phaseClientCredentials:
			iter = clientCredentialsLoad(s)
		}
		res := runPhase(ctx, ph, o.workers, o.bound, iter)
		rep.add(res)
		if !o.jsonOut {
			res.print(stdout)
		}
	}
	if o.memProfile != "" {
		if err := writeHeapProfile(o.memProfile); err != nil {
			return err
		}
	}
	if o.jsonOut {
		return rep.writeJSON(stdout)
	}
	return ctx.Err()
}

// startProfile starts a CPU profile into path and returns what stops it.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeHeapProfile writes the live heap to path; the runs call it before
// they stop the service, so that the profile shows what serving holds.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-memprofile: %w", err)
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("-memprofile: %w", err)
	}
	return f.Close()
}

// report is the JSON form of a run.
type report struct {
	Machine    machine       `json:"machine"`
	Server     string        `json:"server"`
	SyncWrites *bool         `json:"sync_writes,omitempty"`
	Workers    int           `json:"workers"`
	Grants     int           `json:"grants"`
	Setup      string        `json:"setup"`
	Phases     []phaseReport `json:"phases"`
	Memory     *memoryReport `json:"memory,omitempty"`
}

type phaseReport struct {
	Phase     string        `json:"phase"`
	Elapsed   string        `json:"elapsed"`
	Endpoints []endpointRow `json:"endpoints"`
	Memory    memStatus     `json:"memory"`
}

func (r *report) add(res result) {
	r.Phases = append(r.Phases, phaseReport{Phase: res.name, Elapsed: res.elapsed.Round(time.Millisecond).String(),
		Endpoints: res.rows(), Memory: res.rss})
}

func (r *report) printHeader(w io.Writer, o options) {
	fmt.Fprintf(w, "machine: %s\n", r.Machine)
	sync := "store settings of the target"
	if r.SyncWrites != nil {
		sync = fmt.Sprintf("SyncWrites %v", *r.SyncWrites)
	}
	fmt.Fprintf(w, "server: %s (%s); %d workers; %d grants set up in %s\n", r.Server, sync, r.Workers, r.Grants, r.Setup)
	fmt.Fprintf(w, "each phase: %s\n", describeBound(o.bound))
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func describeBound(b bound) string {
	switch {
	case b.duration > 0 && b.requests > 0:
		return fmt.Sprintf("%v or %d iterations, whichever comes first", b.duration, b.requests)
	case b.duration > 0:
		return b.duration.String()
	default:
		return fmt.Sprintf("%d iterations", b.requests)
	}
}

// machine names what the figures were measured on.
type machine struct {
	CPU        string `json:"cpu"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	OS         string `json:"os"`
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d CPUs (GOMAXPROCS %d), %s %s", m.CPU, m.CPUs, m.GOMAXPROCS, m.Go, m.OS)
}

func describeMachine() machine {
	return machine{CPU: cpuModel(), CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
}

// cpuModel reads the CPU's name from /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}
