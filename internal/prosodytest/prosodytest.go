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
	"strings"
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
	root            string
	authentication  string
	modules         []string
	plugins         string
	hostOptions     []hostSetting
}

type hostSetting struct {
	name  string
	value any
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

// WithAuthentication sets the VirtualHost's authentication provider
// (default internal_plain; internal_hashed is Prosody's own default, with
// SCRAM).
func WithAuthentication(provider string) Option {
	return optionFunc(func(s *settings) { s.authentication = provider })
}

// WithModules enables more modules (modules_enabled) on every host.
func WithModules(names ...string) Option {
	return optionFunc(func(s *settings) { s.modules = append(s.modules, names...) })
}

// WithPlugins makes the Prosody modules (mod_*.lua) in dir loadable: they
// are copied into the server's directory, which plugin_paths names, so
// that a server in a root ([WithRoot]) sees them too.
func WithPlugins(dir string) Option {
	return optionFunc(func(s *settings) { s.plugins = dir })
}

// WithHostOption sets name = value in the VirtualHost section; the value is
// a string, bool, int, float64 or []string. Options are written in the
// order given.
func WithHostOption(name string, value any) Option {
	return optionFunc(func(s *settings) { s.hostOptions = append(s.hostOptions, hostSetting{name, value}) })
}

// WithRoot runs Prosody, and prosodyctl, chrooted into root, a Debian
// system with the prosody package (as scripts/prosody13-root.sh makes):
// the server's directory is then made under root's /tmp, so that Prosody
// sees its configuration, data and log at the same paths minus root. The
// network is the host's, so the ports are on the host's 127.0.0.1. Running
// chroot needs root.
func WithRoot(root string) Option {
	return optionFunc(func(s *settings) { s.root = filepath.Clean(root) })
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
	// Dir holds the configuration, data, pid file and logs (a path of this
	// system, also inside Root).
	Dir string
	// Root is the root Prosody runs chrooted in ([WithRoot]), or empty.
	Root string
	// Version is Prosody's version, e.g. "0.12.3" or "13.0.1", from its
	// prosody.version file ("" if there is none).
	Version string

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
	set := settings{domain: DefaultDomain, componentDomain: DefaultComponentDomain, authentication: "internal_plain"}
	for _, o := range opts {
		o.apply(&set)
	}
	if set.secret == "" {
		set.secret = daemontest.RandomHex(t, 16)
	}
	bin, versionFile, err := locate(set.root)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}

	dir := serverDir(t, set.root)
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
		Root:            set.root,
		bin:             bin,
		configPath:      filepath.Join(dir, "prosody.cfg.lua"),
		logPath:         filepath.Join(dir, "prosody.log"),
		outPath:         filepath.Join(dir, "console.log"),
	}
	if v, err := os.ReadFile(versionFile); err == nil {
		s.Version = strings.TrimSpace(string(v))
	}
	params := configParams{
		Dir:             s.inside(dir),
		LogPath:         s.inside(s.logPath),
		C2SPort:         ports[0],
		ComponentPort:   ports[1],
		Domain:          set.domain,
		ComponentDomain: set.componentDomain,
		Secret:          set.secret,
		Admins:          set.admins,
		Modern:          major(s.Version) >= 13,
		Authentication:  set.authentication,
		Modules:         set.modules,
	}
	if set.plugins != "" {
		plugins := filepath.Join(dir, "plugins")
		if err := copyModules(set.plugins, plugins); err != nil {
			t.Fatalf("prosodytest: %v", err)
		}
		params.PluginPath = s.inside(plugins)
	}
	for _, o := range set.hostOptions {
		v, err := luaValue(o.value)
		if err != nil {
			t.Fatalf("prosodytest: host option %s: %v", o.name, err)
		}
		params.HostOptions = append(params.HostOptions, hostOption{o.name, v})
	}
	if err := os.WriteFile(s.configPath, []byte(renderConfig(params)), 0o600); err != nil {
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

// locate returns the prosody binary (as this system sees it) and its
// prosody.version file: in root if not empty, else $PROSODY or $PATH.
func locate(root string) (bin, versionFile string, err error) {
	if root == "" {
		bin, err = lookPath()
		if err != nil {
			return "", "", err
		}
		// Debian's layout: /usr/bin/prosody, /usr/lib/prosody/.
		return bin, filepath.Join(filepath.Dir(bin), "..", "lib", "prosody", "prosody.version"), nil
	}
	if !filepath.IsAbs(root) {
		return "", "", fmt.Errorf("root %q is not an absolute path", root)
	}
	bin = filepath.Join(root, "usr", "bin", "prosody")
	if _, err := os.Stat(bin); err != nil {
		return "", "", fmt.Errorf("no Prosody in the root %s: %w", root, err)
	}
	return bin, filepath.Join(root, "usr", "lib", "prosody", "prosody.version"), nil
}

// serverDir makes the server's directory: t.TempDir(), or under the root's
// /tmp, removed when the test ends.
func serverDir(t testing.TB, root string) string {
	t.Helper()
	if root == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(filepath.Join(root, "tmp"), "prosodytest-")
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("prosodytest: remove %s: %v", dir, err)
		}
	})
	return dir
}

// inside returns the path p of this system as Prosody sees it.
func (s *Server) inside(p string) string {
	if s.Root == "" {
		return p
	}
	return "/" + strings.TrimPrefix(strings.TrimPrefix(p, s.Root), "/")
}

// copyModules copies the mod_*.lua files of src into a new directory dst.
func copyModules(src, dst string) error {
	files, err := filepath.Glob(filepath.Join(src, "mod_*.lua"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no mod_*.lua in %s", src)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
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
	cmd, err := s.command(context.Background(), "prosody", "-F", "--config", s.inside(s.configPath))
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
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

// command returns the command that runs prog ("prosody" or "prosodyctl")
// with args, chrooted into Root if it is set. chroot(8) execs prog, so the
// process is Prosody's own.
func (s *Server) command(ctx context.Context, prog string, args ...string) (*exec.Cmd, error) {
	if s.Root != "" {
		chroot, err := exec.LookPath("chroot")
		if err != nil {
			chroot = "/usr/sbin/chroot"
		}
		return exec.CommandContext(ctx, chroot, append([]string{s.Root, "/usr/bin/" + prog}, args...)...), nil
	}
	path := s.bin
	if prog == "prosodyctl" {
		ctl, err := lookCtl(s.bin)
		if err != nil {
			return nil, err
		}
		path = ctl
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = s.Dir
	return cmd, nil
}

// Ctl runs prosodyctl with the server's configuration ("prosodyctl
// --config FILE args…") and returns its combined output; the error is set
// when it exits with a failure status. It works whether the server runs or
// not; "shell" commands need mod_admin_shell and mod_admin_socket
// ([WithModules]) and a running server.
func (s *Server) Ctl(ctx context.Context, args ...string) (string, error) {
	cmd, err := s.command(ctx, "prosodyctl", append([]string{"--config", s.inside(s.configPath)}, args...)...)
	if err != nil {
		return "", err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("prosodyctl %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// register creates an account with prosodyctl, which writes it with
// Prosody's own storage code into the data directory, before the server
// starts.
func (s *Server) register(t testing.TB, u user) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if out, err := s.Ctl(ctx, "register", u.local, s.Domain, u.password); err != nil {
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
