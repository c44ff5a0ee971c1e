//go:build unix

package prosodytest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
	proc *process
}

// process is one run of prosody.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // exit status; read only after done is closed
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
		set.secret = randomSecret(t)
	}

	dir := t.TempDir()
	for _, sub := range []string{"data", "certs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatalf("prosodytest: %v", err)
		}
	}
	ports := freePorts(t, 2)
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
		p.stop()
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
	out, err := os.OpenFile(s.outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	// -F keeps prosody in the foreground: 0.12 deprecates the "daemonize"
	// option in favour of -D/-F on the command line.
	cmd := exec.Command(s.bin, "-F", "--config", s.configPath)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that Stop can signal everything it runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("prosodytest: start %s: %v", s.bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitListening(ctx, p, s.C2SAddr, s.ComponentAddr); err != nil {
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
	for _, path := range []string{s.outPath, s.logPath} {
		data, err := os.ReadFile(path)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				t.Logf("prosodytest: %v", err)
			}
			continue
		}
		t.Logf("prosodytest: last lines of %s:\n%s", path, tail(data, logTailLines))
	}
}

// stop signals the process group and waits for the process to exit.
func (p *process) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		// The group id is still ours: the leader is not reaped until done.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// waitListening dials every address until all accept a connection, the
// process exits or ctx is done, backing off between rounds.
func waitListening(ctx context.Context, p *process, addrs ...string) error {
	delay := 20 * time.Millisecond
	var d net.Dialer
	for {
		err := dialAll(ctx, &d, addrs)
		if err == nil {
			return nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-p.done:
			timer.Stop()
			return fmt.Errorf("prosody exited: %v", p.err)
		case <-timer.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

func dialAll(ctx context.Context, d *net.Dialer, addrs []string) error {
	for _, addr := range addrs {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		conn.Close()
	}
	return nil
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. Another process may take one between here and Prosody binding it; the
// window is small, and Start then fails loudly instead of misbehaving.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("prosodytest: pick a port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
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

func randomSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	return hex.EncodeToString(b)
}

// tail returns the last n lines of data.
func tail(data []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
