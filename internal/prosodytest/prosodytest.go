//go:build unix

package prosodytest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/daemontest"
)

// Defaults used when no option overrides them.
const (
	DefaultDomain          = "example.test"
	DefaultComponentDomain = "auth.example.test"
)

const (
	// startTimeout bounds how long Start and Restart wait for the ports.
	startTimeout = 30 * time.Second
	// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	stopTimeout = 10 * time.Second
	// logTailLines is how much of the Prosody log a failed test prints.
	logTailLines = 400
)

// Option configures [Start]. Options are built by the With… functions of
// this package.
type Option interface{ apply(*settings) }

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

type user struct{ local, password string }

type settings struct {
	domain          string
	componentDomain string
	secret          string
	users           []user
	admins          []string
}

// WithDomain sets the VirtualHost's domain (default [DefaultDomain]).
func WithDomain(domain string) Option {
	return optionFunc(func(s *settings) { s.domain = domain })
}

// WithUser creates the account local@domain with the given password before
// the server starts. It may be given more than once.
func WithUser(local, password string) Option {
	return optionFunc(func(s *settings) { s.users = append(s.users, user{local, password}) })
}

// WithComponent sets the external component's domain and secret (default
// [DefaultComponentDomain] and a random secret).
func WithComponent(domain, secret string) Option {
	return optionFunc(func(s *settings) {
		s.componentDomain = domain
		s.secret = secret
	})
}

// WithAdmins lists the server administrators' bare JIDs (Prosody's "admins").
func WithAdmins(jids ...string) Option {
	return optionFunc(func(s *settings) { s.admins = append(s.admins, jids...) })
}

// Server is a running throwaway Prosody. Its fields stay the same across
// [Server.Restart].
type Server struct {
	// Domain is the VirtualHost users live on.
	Domain string
	// ComponentDomain and Secret are what an XEP-0114 component connects with.
	ComponentDomain string
	Secret          string
	// C2SAddr is the host:port of the unencrypted client listener.
	C2SAddr string
	// ComponentAddr is the host:port of the XEP-0114 component listener.
	ComponentAddr string
	// Dir holds the configuration, data, pid file and logs.
	Dir string

	bin        string
	configPath string
	logPath    string
	outPath    string

	mu   sync.Mutex
	proc *daemontest.Process
}

// Start writes a configuration into t.TempDir(), creates the accounts given
// by [WithUser], starts Prosody and waits until its c2s and component ports
// accept connections. The server is stopped when the test ends; if the test
// failed, the tail of Prosody's log is printed with t.Log.
//
// Start fails the test when the prosody binary cannot be found: see the
// package documentation.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := lookPath()
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}

	set := settings{domain: DefaultDomain, componentDomain: DefaultComponentDomain}
	for _, o := range opts {
		o.apply(&set)
	}
	if set.secret == "" {
		set.secret = daemontest.RandomHex(t, 16)
	}

	dir := t.TempDir()
	for _, sub := range []string{"data", "certs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatalf("prosodytest: %v", err)
		}
	}
	ports := daemontest.FreePorts(t, 2)
	s := &Server{
		Domain:          set.domain,
		ComponentDomain: set.componentDomain,
		Secret:          set.secret,
		C2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		ComponentAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		Dir:             dir,
		bin:             bin,
		configPath:      filepath.Join(dir, "prosody.cfg.lua"),
		logPath:         filepath.Join(dir, "prosody.log"),
		outPath:         filepath.Join(dir, "console.log"),
	}
	cfg := renderConfig(configParams{
		Dir:             dir,
		LogPath:         s.logPath,
		C2SPort:         ports[0],
		ComponentPort:   ports[1],
		Domain:          set.domain,
		ComponentDomain: set.componentDomain,
		Secret:          set.secret,
		Admins:          set.admins,
	})
	if err := os.WriteFile(s.configPath, []byte(cfg), 0o600); err != nil {
		t.Fatalf("prosodytest: write config: %v", err)
	}

	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			s.logTail(t)
		}
	})

	for _, u := range set.users {
		s.register(t, u)
	}
	s.start(t)
	return s
}

// JID returns local@Domain.
func (s *Server) JID(local string) string { return local + "@" + s.Domain }

// Stop terminates Prosody (SIGTERM to its process group, SIGKILL after a
// while) and waits for it to exit. It does nothing if the server is stopped
// already; Start arranges for it to run at the end of the test.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.Kill(stopTimeout)
	}
}

// Restart stops Prosody and starts it again with the same configuration,
// ports and data, and waits for the ports as [Start] does. Connected clients
// and components are disconnected.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// start launches prosody in the foreground in its own process group and
// waits until it listens.
func (s *Server) start(t testing.TB) {
	t.Helper()
	// -F keeps prosody in the foreground: 0.12 deprecates the "daemonize"
	// option in favour of -D/-F on the command line.
	cmd := exec.Command(s.bin, "-F", "--config", s.configPath)
	cmd.Dir = s.Dir
	p, err := daemontest.Start("prosody", cmd, s.outPath)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := p.WaitListening(ctx, s.C2SAddr, s.ComponentAddr); err != nil {
		t.Fatalf("prosodytest: prosody did not come up: %v", err)
	}
}

// register creates an account with prosodyctl, which writes it with
// Prosody's own storage code into the data directory, before the server
// starts.
func (s *Server) register(t testing.TB, u user) {
	t.Helper()
	ctl, err := lookCtl(s.bin)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ctl, "--config", s.configPath, "register", u.local, s.Domain, u.password)
	cmd.Dir = s.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("prosodytest: register %s@%s: %v\n%s", u.local, s.Domain, err, out)
	}
}

// logTail prints the last lines of the console output and of the log.
func (s *Server) logTail(t testing.TB) {
	t.Helper()
	daemontest.LogTails(t, "prosodytest", logTailLines, s.outPath, s.logPath)
}

// lookPath finds the prosody binary: $PROSODY, else $PATH.
func lookPath() (string, error) {
	if p := os.Getenv("PROSODY"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("$PROSODY=%q: %w", p, err)
		}
		return path, nil
	}
	p, err := exec.LookPath("prosody")
	if err != nil {
		return "", fmt.Errorf("prosody binary not found (install Prosody, e.g. apt-get install prosody, or set $PROSODY): %w", err)
	}
	return p, nil
}

// lookCtl finds prosodyctl next to the prosody binary, else in $PATH.
func lookCtl(prosody string) (string, error) {
	sibling := filepath.Join(filepath.Dir(prosody), "prosodyctl")
	if p, err := exec.LookPath(sibling); err == nil {
		return p, nil
	}
	p, err := exec.LookPath("prosodyctl")
	if err != nil {
		return "", fmt.Errorf("prosodyctl not found next to %s nor in $PATH: %w", prosody, err)
	}
	return p, nil
}
