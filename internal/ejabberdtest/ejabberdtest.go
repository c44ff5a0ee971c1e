//go:build unix

package ejabberdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
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
	// DefaultAPIScope is the token scope that [WithHTTPAPI] grants
	// mod_http_api commands to when none is given.
	DefaultAPIScope = "ejabberd:user"
)

// inetrc is the Erlang resolver configuration of Debian's
// /etc/ejabberd/inetrc: hosts file first, and localhost on 127.0.0.1.
const inetrc = `{lookup,["file","native"]}.
{host,{127,0,0,1}, ["localhost"]}.
`

const (
	// startTimeout bounds how long Start and Restart wait for the ports,
	// and how long one ejabberdctl command may take.
	startTimeout = 60 * time.Second
	// stopTimeout is how long Stop waits for each way of stopping.
	stopTimeout = 15 * time.Second
	// logTailLines is how much of each log a failed test prints.
	logTailLines = 200
)

// Option configures [Start]. Options are built by the With… functions of
// this package.
type Option interface{ apply(*settings) }

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

type account struct{ local, password string }

type settings struct {
	domain          string
	componentDomain string
	secret          string
	users           []account
	admins          []string
	oauthURL        string
	oauthHeader     string
	oauthSecret     string
	httpAPI         bool
	apiScope        string
	apiCommands     []string
}

// WithDomain sets the virtual host's domain (default [DefaultDomain]).
func WithDomain(domain string) Option {
	return optionFunc(func(s *settings) { s.domain = domain })
}

// WithUser creates the account local@domain with the given password once
// the server runs. It may be given more than once.
func WithUser(local, password string) Option {
	return optionFunc(func(s *settings) { s.users = append(s.users, account{local, password}) })
}

// WithComponent sets the external component's domain and secret (default
// [DefaultComponentDomain] and a random secret).
func WithComponent(domain, secret string) Option {
	return optionFunc(func(s *settings) {
		s.componentDomain = domain
		s.secret = secret
	})
}

// WithAdmins lists the server administrators' bare JIDs (the "admin" ACL).
func WithAdmins(jids ...string) Option {
	return optionFunc(func(s *settings) { s.admins = append(s.admins, jids...) })
}

// WithOAuthREST makes ejabberd check OAuth tokens with the REST backend at
// url (oauth_db_type: rest, ext_api_url), sending the shared secret in the
// header (ext_api_headers), without caching (oauth_use_cache: false). url
// is what ejabberd appends "/oauth/lookup" to.
func WithOAuthREST(url, header, secret string) Option {
	return optionFunc(func(s *settings) {
		s.oauthURL, s.oauthHeader, s.oauthSecret = url, header, secret
	})
}

// WithHTTPAPI adds an ejabberd_http listener with mod_http_api at /api
// ([Server.APIURL]) that runs the given commands for callers presenting
// "Authorization: Bearer" tokens whose ejabberd scopes include scope
// ([DefaultAPIScope] when empty), from loopback. At least one command must
// be named.
func WithHTTPAPI(scope string, commands ...string) Option {
	return optionFunc(func(s *settings) {
		s.httpAPI = true
		s.apiScope = scope
		s.apiCommands = append(s.apiCommands, commands...)
	})
}

// Server is a running throwaway ejabberd. Its fields stay the same across
// [Server.Restart].
type Server struct {
	// Domain is the virtual host users live on.
	Domain string
	// ComponentDomain and Secret are what an XEP-0114 component connects with.
	ComponentDomain string
	Secret          string
	// C2SAddr is the host:port of the unencrypted client listener.
	C2SAddr string
	// ComponentAddr is the host:port of the XEP-0114 component listener.
	ComponentAddr string
	// APIURL is the base URL of mod_http_api ("http://127.0.0.1:port/api"),
	// empty without [WithHTTPAPI]; commands are POSTed to APIURL + "/name".
	APIURL string
	// Node is the Erlang node name.
	Node string
	// Dir holds the configuration, spool, logs and Erlang cookie.
	Dir string

	ctl     string
	outPath string
	addrs   []string

	mu   sync.Mutex
	proc *daemontest.Process
}

// Start writes a configuration into t.TempDir(), starts ejabberd, waits
// until its listeners accept connections and creates the accounts given by
// [WithUser]. The server is stopped when the test ends; if the test failed,
// the tail of ejabberd's logs is printed with t.Log.
//
// Start fails the test when ejabberd cannot be found or run: see the
// package documentation.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ctl, err := lookCtl()
	if err != nil {
		t.Fatalf("ejabberdtest: %v", err)
	}
	if err := checkUser(); err != nil {
		t.Fatalf("ejabberdtest: %v", err)
	}

	set := settings{domain: DefaultDomain, componentDomain: DefaultComponentDomain}
	for _, o := range opts {
		o.apply(&set)
	}
	if set.secret == "" {
		set.secret = daemontest.RandomHex(t, 16)
	}
	if set.apiScope == "" {
		set.apiScope = DefaultAPIScope
	}
	if set.httpAPI && len(set.apiCommands) == 0 {
		t.Fatalf("ejabberdtest: WithHTTPAPI needs at least one command")
	}
	if set.oauthURL != "" {
		if err := checkOAuth2Lib(ctl); err != nil {
			t.Fatalf("ejabberdtest: %v", err)
		}
	}

	dir := t.TempDir()
	for _, sub := range []string{"spool", "logs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatalf("ejabberdtest: %v", err)
		}
	}
	ports := daemontest.FreePorts(t, 3)
	s := &Server{
		Domain:          set.domain,
		ComponentDomain: set.componentDomain,
		Secret:          set.secret,
		C2SAddr:         net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		ComponentAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		Node:            "ejabberd_test_" + daemontest.RandomHex(t, 6) + "@localhost",
		Dir:             dir,
		ctl:             ctl,
		outPath:         filepath.Join(dir, "console.log"),
	}
	s.addrs = []string{s.C2SAddr, s.ComponentAddr}
	params := configParams{
		C2SPort:         ports[0],
		ComponentPort:   ports[1],
		Domain:          set.domain,
		ComponentDomain: set.componentDomain,
		Secret:          set.secret,
		Admins:          set.admins,
		OAuthURL:        set.oauthURL,
		OAuthHeader:     set.oauthHeader,
		OAuthSecret:     set.oauthSecret,
	}
	if set.httpAPI {
		params.HTTPPort, params.APIScope, params.APICommands = ports[2], set.apiScope, set.apiCommands
		httpAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2]))
		s.APIURL = "http://" + httpAddr + "/api"
		s.addrs = append(s.addrs, httpAddr)
	}
	files := map[string]string{
		"ejabberd.yml": renderConfig(params),
		// ejabberdctl points the VM's resolver configuration at
		// $CONFIG_DIR/inetrc; without one, Erlang logs an error on every
		// start and command.
		"inetrc": inetrc,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatalf("ejabberdtest: write %s: %v", name, err)
		}
	}

	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			s.logTail(t)
		}
	})
	s.start(t)
	for _, u := range set.users {
		s.register(t, u)
	}
	return s
}

// register creates an account. Right after start-up, on a busy machine,
// ejabberd may listen before Mnesia has loaded its tables, and the command
// fails with no_exists: it is tried again until startTimeout.
func (s *Server) register(t testing.TB, u account) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		out, err := s.run("register", u.local, s.Domain, u.password)
		if err == nil {
			return
		}
		if !strings.Contains(out, "no_exists") || time.Now().After(deadline) {
			t.Fatalf("ejabberdtest: ejabberdctl register %s %s: %v\n%s", u.local, s.Domain, err, out)
		}
		time.Sleep(delay)
	}
}

// JID returns local@Domain.
func (s *Server) JID(local string) string { return local + "@" + s.Domain }

// Ctl runs an ejabberdctl command against the node, such as
// Ctl(t, "register", "bob", s.Domain, "secret"), and returns its output.
// A failing command fails the test.
func (s *Server) Ctl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.run(args...)
	if err != nil {
		t.Fatalf("ejabberdtest: ejabberdctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// run runs an ejabberdctl command and returns its output.
func (s *Server) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.ctl, append(s.ctlFlags(), args...)...)
	cmd.Dir = s.Dir
	cmd.Env = s.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Stop shuts ejabberd down and waits for it to exit: "ejabberdctl stop"
// first, so that the VM stops cleanly and is reaped by the ejabberdctl
// script that runs it (signalling the group would kill the script first and
// orphan the VM); SIGTERM to the process group, then SIGKILL, if that does
// not work in time. It does nothing if the server is stopped already; Start
// arranges for it to run at the end of the test.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.ctl, append(s.ctlFlags(), "stop")...)
	cmd.Dir = s.Dir
	cmd.Env = s.env()
	if cmd.Run() == nil {
		select {
		case <-p.Done():
			return
		case <-ctx.Done():
		}
	}
	p.Kill(stopTimeout)
}

// Restart stops ejabberd and starts it again with the same configuration,
// ports and spool (so accounts survive), and waits for the listeners as
// [Start] does. Connected clients and components are disconnected.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// ctlFlags point ejabberdctl at the test's own files only.
func (s *Server) ctlFlags() []string {
	return []string{
		"--config-dir", s.Dir,
		"--config", filepath.Join(s.Dir, "ejabberd.yml"),
		"--ctl-config", filepath.Join(s.Dir, "ejabberdctl.cfg"),
		"--spool", filepath.Join(s.Dir, "spool"),
		"--logs", filepath.Join(s.Dir, "logs"),
	}
}

// env is the environment of ejabberdctl: this process's, without variables
// that ejabberdctl or the Erlang VM would take over from a system setup,
// and with HOME in the test directory for the Erlang cookie.
func (s *Server) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOME",
			strings.HasPrefix(k, "EJABBERD"),
			strings.HasPrefix(k, "ERL_"),
			strings.HasPrefix(k, "ERLANG_"),
			strings.HasPrefix(k, "CONTRIB_MODULES"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+s.Dir)
}

// start launches "ejabberdctl foreground" in its own process group and
// waits until it listens. Each start gets a new Erlang distribution port:
// the VM does not set SO_REUSEADDR on it, so the previous run's port may
// still be held by connections in TIME_WAIT from ejabberdctl commands.
func (s *Server) start(t testing.TB) {
	t.Helper()
	ctlCfg := renderCtl(ctlParams{Node: s.Node, DistPort: daemontest.FreePorts(t, 1)[0]})
	if err := os.WriteFile(filepath.Join(s.Dir, "ejabberdctl.cfg"), []byte(ctlCfg), 0o600); err != nil {
		t.Fatalf("ejabberdtest: write ejabberdctl.cfg: %v", err)
	}
	cmd := exec.Command(s.ctl, append(s.ctlFlags(), "foreground")...)
	cmd.Dir = s.Dir
	cmd.Env = s.env()
	// Its own process group, so that Stop can signal the shell script and
	// the Erlang VM it runs.
	p, err := daemontest.Start("ejabberd", cmd, s.outPath)
	if err != nil {
		t.Fatalf("ejabberdtest: %v", err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := p.WaitListening(ctx, s.addrs...); err != nil {
		t.Fatalf("ejabberdtest: ejabberd did not come up: %v", err)
	}
}

// logTail prints the last lines of the console output and of the logs.
func (s *Server) logTail(t testing.TB) {
	t.Helper()
	daemontest.LogTails(t, "ejabberdtest", logTailLines,
		s.outPath, filepath.Join(s.Dir, "logs", "error.log"), filepath.Join(s.Dir, "logs", "ejabberd.log"))
}

// lookCtl finds ejabberdctl: $EJABBERDCTL, else $PATH, else /usr/sbin
// (where Debian puts it, and which a non-root $PATH may lack).
func lookCtl() (string, error) {
	if p := os.Getenv("EJABBERDCTL"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("$EJABBERDCTL=%q: %w", p, err)
		}
		return path, nil
	}
	if p, err := exec.LookPath("ejabberdctl"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("/usr/sbin/ejabberdctl"); err == nil {
		return p, nil
	}
	return "", errors.New("ejabberdctl not found (install ejabberd, e.g. apt-get install ejabberd erlang-p1-oauth2, or set $EJABBERDCTL)")
}

// checkUser reports an error unless this process may run ejabberdctl:
// it refuses every user but root and ejabberd.
func checkUser() error {
	if os.Getuid() == 0 {
		return nil
	}
	u, err := user.Current()
	if err != nil {
		return fmt.Errorf("who am I: %w", err)
	}
	if u.Username != "ejabberd" {
		return fmt.Errorf("ejabberdctl runs only as root or as the ejabberd user, not as %s", u.Username)
	}
	return nil
}

// checkOAuth2Lib reports an error when ejabberd is Debian's and the Erlang
// oauth2 library it needs for token checks is not installed. Other builds
// of ejabberd bundle the library.
func checkOAuth2Lib(ctl string) error {
	real, err := filepath.EvalSymlinks(ctl)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", ctl, err)
	}
	if debian, err := filepath.EvalSymlinks("/usr/sbin/ejabberdctl"); err != nil || real != debian {
		return nil
	}
	if _, err := os.Stat("/usr/lib/erlang/lib"); err != nil {
		return nil
	}
	if m, _ := filepath.Glob("/usr/lib/erlang/lib/p1_oauth2-*"); len(m) > 0 {
		return nil
	}
	return errors.New("ejabberd's token checks need the Erlang oauth2 library: apt-get install erlang-p1-oauth2")
}
