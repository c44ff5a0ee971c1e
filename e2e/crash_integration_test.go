//go:build integration && unix

package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// The crash test's load: how many workers of each kind, how many requests
// each makes at most, and after how many answered requests (all workers
// together) the server is killed.
const (
	crashChains        = 4   // refresh token chains, one worker each
	crashIssuers       = 4   // client_credentials workers that also revoke
	crashMaxOps        = 400 // per worker
	crashKillAfter     = 500 // answered requests
	crashStartDeadline = 30 * time.Second
)

// crashRSSecret is the introspecting resource server's secret (at least
// 32 characters, as the configuration requires).
const crashRSSecret = "crash-test-resource-server-secret-0123456789"

// TestIntegrationCrash runs the real binary under a load of token issuance,
// refresh rotation and revocation, kills it with SIGKILL in the middle, and
// starts it again on the same data directory: every token the server had
// answered with is still valid, every revocation it had confirmed still
// holds, every refresh token it had rotated stays spent and the newest of
// each chain still refreshes, and the store opens and closes cleanly.
//
// The binary cannot approve a device without chat, so the test approves
// the devices of its refresh chains through the core on the same data
// directory before the first start; the tokens themselves come from the
// binary over HTTP.
func TestIntegrationCrash(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	dataDir := filepath.Join(dir, "data")
	httpAddr := freeAddr(t)
	issuer := "http://" + httpAddr
	cfgPath := filepath.Join(dir, "config.yaml")
	writeCrashConfig(t, cfgPath, issuer, httpAddr, dataDir, freeAddr(t)) // nothing listens at the component address
	env := append(os.Environ(),
		"XMPPOAUTH_COMPONENT_SECRET=crash-test-component-secret",
		"XMPPOAUTH_RESOURCE_SERVER_API_SECRET="+crashRSSecret)
	deviceCodes, device := approveDevices(t, dataDir, issuer, crashChains)

	first := startDaemon(t, bin, cfgPath, env, filepath.Join(dir, "first.log"), issuer)
	c := &crashClient{issuer: issuer, http: &http.Client{Timeout: 10 * time.Second}}
	issuerClient := c.register(t)
	led := newLedger()
	chains := make([]string, crashChains)
	for i, code := range deviceCodes {
		tok, err := c.token(ctx, device, url.Values{"grant_type": {oauth.GrantDeviceCode}, "device_code": {code}})
		if err != nil || tok.RefreshToken == "" {
			t.Fatalf("device token for chain %d = %+v, %v; want tokens with a refresh token", i, tok, err)
		}
		led.answered(tok.AccessToken, "device access token")
		led.answered(tok.RefreshToken, "device refresh token")
		chains[i] = tok.RefreshToken
	}

	// The load runs until the kill; each worker stops at its first failed
	// request (the server is gone) or after crashMaxOps.
	var answered atomic.Int64
	killNow := make(chan struct{})
	var killOnce sync.Once
	ack := func() {
		if answered.Add(1) == crashKillAfter {
			killOnce.Do(func() { close(killNow) })
		}
	}
	var wg sync.WaitGroup
	for w := range crashChains {
		wg.Go(func() { refreshWorker(ctx, c, device, led, &chains[w], ack) })
	}
	for range crashIssuers {
		wg.Go(func() { issueWorker(ctx, c, issuerClient, led, ack) })
	}
	select {
	case <-killNow:
	case <-first.done:
		t.Fatalf("the server exited under load: %v", first.err)
	}
	first.kill(t)
	wg.Wait()
	if err := first.exitErr(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("first run ended with %v, want killed", err)
	}
	t.Logf("killed after %d answered requests: %s", answered.Load(), led.summary())

	second := startDaemon(t, bin, cfgPath, env, filepath.Join(dir, "second.log"), issuer)
	c.http.CloseIdleConnections()
	led.check(t, c)
	// The newest refresh token of each chain whose last request was
	// answered must still refresh: its rotation state survived.
	for i, rt := range chains {
		if rt == "" || led.isUnsure(rt) {
			continue
		}
		if _, err := c.token(ctx, device, url.Values{"grant_type": {oauth.GrantRefreshToken}, "refresh_token": {rt}}); err != nil {
			t.Errorf("chain %d: refresh with its newest token after the restart = %v", i, err)
		}
	}

	second.stop(t)
	if err := second.exitErr(); err != nil {
		t.Errorf("second run ended with %v after SIGTERM, want a clean exit", err)
	}
	if lines := errorLines(t, second.logPath); len(lines) > 0 {
		t.Errorf("second run logged errors:\n%s", strings.Join(lines, "\n"))
	}
	db, err := store.Open(dataDir, store.Options{SyncWrites: true})
	if err != nil {
		t.Fatalf("store.Open after the runs = %v", err)
	}
	stats, err := db.Stats(ctx)
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatalf("store after the runs: Stats() = %v, Close() = %v", err, cerr)
	}
	if stats.Clients != 2 || stats.ActiveTokens == 0 {
		t.Errorf("store after the runs: %+v, want 2 clients and live tokens", stats)
	}
}

// refreshWorker rotates one refresh token chain: each answered refresh
// spends the old token and makes the new ones live.
func refreshWorker(ctx context.Context, c *crashClient, device basicCreds, led *ledger, chain *string, ack func()) {
	for range crashMaxOps {
		rt := *chain
		led.sending(rt)
		tok, err := c.token(ctx, device, url.Values{"grant_type": {oauth.GrantRefreshToken}, "refresh_token": {rt}})
		if err != nil || tok.RefreshToken == "" {
			led.failed("refresh", err)
			return // rt stays unsure: the server may or may not have rotated it
		}
		led.spent(rt)
		led.answered(tok.AccessToken, "refreshed access token")
		led.answered(tok.RefreshToken, "refresh token")
		*chain = tok.RefreshToken
		ack()
	}
}

// issueWorker gets access tokens with client_credentials and revokes every
// other one (RFC 7009), the one before the newest.
func issueWorker(ctx context.Context, c *crashClient, client basicCreds, led *ledger, ack func()) {
	var mine []string
	for i := range crashMaxOps {
		if i%3 == 2 && len(mine) >= 2 {
			victim := mine[len(mine)-2]
			mine = append(mine[:len(mine)-2], mine[len(mine)-1])
			led.sending(victim)
			if err := c.revoke(ctx, client, victim); err != nil {
				led.failed("revoke", err)
				return
			}
			led.revoked(victim)
			ack()
			continue
		}
		tok, err := c.token(ctx, client, url.Values{"grant_type": {oauth.GrantClientCredentials}, "scope": {"xmpp"}})
		if err != nil {
			led.failed("client_credentials", err)
			return
		}
		led.answered(tok.AccessToken, "client_credentials access token")
		mine = append(mine, tok.AccessToken)
		ack()
	}
}

// ledger records what the server answered, as the clients saw it.
type ledger struct {
	mu     sync.Mutex
	live   map[string]string // token → what it is; the server issued it
	dead   map[string]string // token → why it must be inactive
	unsure map[string]bool   // a request about it got no answer
	// refused lists the requests the server answered with an error.
	refused []string
}

func newLedger() *ledger {
	return &ledger{live: map[string]string{}, dead: map[string]string{}, unsure: map[string]bool{}}
}

func (l *ledger) answered(tok, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live[tok] = what
}

// sending marks tok unsure until the server answers a request about it.
func (l *ledger) sending(tok string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.live, tok)
	l.unsure[tok] = true
}

// failed notes a request that got no answer (the kill: nothing to note) or
// an error answer (a failure of the server).
func (l *ledger) failed(what string, err error) {
	var se *statusError
	if !errors.As(err, &se) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused = append(l.refused, what+": "+se.Error())
}

func (l *ledger) revoked(tok string) { l.settle(tok, "revoked with a 200 answer") }
func (l *ledger) spent(tok string)   { l.settle(tok, "rotated by an answered refresh") }

func (l *ledger) settle(tok, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.unsure, tok)
	l.dead[tok] = why
}

func (l *ledger) isUnsure(tok string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unsure[tok]
}

func (l *ledger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d live tokens, %d revoked or rotated, %d cut off by the kill", len(l.live), len(l.dead), len(l.unsure))
}

// check introspects every token in the ledger.
func (l *ledger) check(t *testing.T, c *crashClient) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.refused {
		t.Errorf("under load, before the kill: %s", r)
	}
	if len(l.live) < crashKillAfter/2 || len(l.dead) == 0 {
		t.Fatalf("the load recorded too little to check: %d live, %d dead", len(l.live), len(l.dead))
	}
	for tok, what := range l.live {
		if active, err := c.introspect(t.Context(), tok); err != nil || !active {
			t.Errorf("%s answered before the kill: active = %v, %v after the restart; want active", what, active, err)
		}
	}
	for tok, why := range l.dead {
		if active, err := c.introspect(t.Context(), tok); err != nil || active {
			t.Errorf("token %s before the kill: active = %v, %v after the restart; want inactive", why, active, err)
		}
	}
}

// basicCreds are a client's HTTP Basic credentials.
type basicCreds struct{ id, secret string }

// crashClient talks to the binary over HTTP.
type crashClient struct {
	issuer string
	http   *http.Client
}

// post sends a form, with client authentication when auth is set, and
// returns the status and body.
func (c *crashClient) post(ctx context.Context, path string, auth basicCreds, form url.Values) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth.id != "" {
		req.SetBasicAuth(url.QueryEscape(auth.id), url.QueryEscape(auth.secret))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// statusError is an answer other than the one expected: the server was
// up and refused or failed, which the load never provokes.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d %s", e.status, e.body) }

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// token calls the token endpoint; anything but a 200 with an access token
// is an error.
func (c *crashClient) token(ctx context.Context, client basicCreds, form url.Values) (tokenAnswer, error) {
	status, body, err := c.post(ctx, "/token", client, form)
	if err != nil {
		return tokenAnswer{}, err
	}
	var tok tokenAnswer
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return tokenAnswer{}, &statusError{status, string(body)}
	}
	return tok, nil
}

func (c *crashClient) revoke(ctx context.Context, client basicCreds, tok string) error {
	status, body, err := c.post(ctx, "/revoke", client, url.Values{"token": {tok}, "token_type_hint": {"access_token"}})
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return &statusError{status, string(body)}
	}
	return nil
}

// introspect asks as the resource server whether tok is active.
func (c *crashClient) introspect(ctx context.Context, tok string) (bool, error) {
	status, body, err := c.post(ctx, "/introspect", basicCreds{"api", crashRSSecret}, url.Values{"token": {tok}})
	if err != nil {
		return false, err
	}
	var out struct {
		Active bool `json:"active"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &out) != nil {
		return false, fmt.Errorf("introspect: %d %s", status, body)
	}
	return out.Active, nil
}

// register registers a confidential client for client_credentials over
// HTTP (RFC 7591).
func (c *crashClient) register(t *testing.T) basicCreds {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"client_name": "Crash Bot", "application_type": "native",
		"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{oauth.GrantClientCredentials},
	})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, c.issuer+"/register", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	defer resp.Body.Close()
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&reg) != nil || reg.ClientSecret == "" {
		t.Fatalf("register = %d, want 201 with a client secret", resp.StatusCode)
	}
	return basicCreds{reg.ClientID, reg.ClientSecret}
}

// approveDevices registers a confidential device client and approves n
// device authorizations of n users through the core, on the store in
// dataDir, which it then closes for the binary to open. It returns the
// device codes and the client.
func approveDevices(t *testing.T, dataDir, issuer string, n int) ([]string, basicCreds) {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(dataDir, store.Options{SyncWrites: true})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Fatalf("close store: %v", err)
		}
	}()
	p, err := oauth.New(ctx, oauth.Config{Issuer: issuer, UserDomains: []string{testDomain}, OpenRegistration: true}, db)
	if err != nil {
		t.Fatalf("oauth.New: %v", err)
	}
	reg, err := p.Register(ctx, oauth.ClientMetadata{ClientName: "Crash TV", ApplicationType: oauth.AppNative,
		TokenEndpointAuthMethod: oauth.AuthClientSecretBasic, GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken}}, "")
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	cred := oauth.ClientCredentials{ID: reg.Client.ID, Secret: reg.Secret.Reveal(), Method: oauth.AuthClientSecretBasic}
	codes := make([]string, n)
	for i := range codes {
		da, err := p.DeviceAuthorize(ctx, cred, oauth.ScopeXMPP)
		if err != nil {
			t.Fatalf("DeviceAuthorize: %v", err)
		}
		if err := p.DecideDevice(ctx, fmt.Sprintf("user%d@%s", i, testDomain), da.UserCode, true); err != nil {
			t.Fatalf("DecideDevice: %v", err)
		}
		codes[i] = da.DeviceCode
	}
	return codes, basicCreds{cred.ID, cred.Secret}
}

// writeCrashConfig writes the binary's configuration. Secrets come from the
// environment.
func writeCrashConfig(t *testing.T, path, issuer, httpAddr, dataDir, componentAddr string) {
	t.Helper()
	cfg := fmt.Sprintf(`issuer: %s
log_level: info
http:
  listen: %s
data_dir: %s
store:
  sync_writes: true
xmpp:
  user_domains: [%s]
component:
  address: %s
  domain: auth.%s
grant_types:
  - authorization_code
  - refresh_token
  - urn:ietf:params:oauth:grant-type:device_code
  - client_credentials
registration:
  open: true
resource_servers:
  - id: api
`, issuer, httpAddr, dataDir, testDomain, componentAddr, testDomain)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// buildBinary builds the xmppoauth command into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "xmppoauth")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/xmppoauth/xmppoauth").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a 127.0.0.1 address that was free a moment ago. Another
// process may take it before the binary binds it; the window is small, and
// the start then fails loudly.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// daemon is one run of the binary.
type daemon struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status; read after done
}

// startDaemon starts bin serve with the configuration, logging into
// logPath, and waits until its discovery document answers. The process is
// killed when the test ends, if still running; the log is printed if the
// test failed.
func startDaemon(t *testing.T, bin, cfgPath string, env []string, logPath, issuer string) *daemon {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-config", cfgPath)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	d := &daemon{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		logf.Close()
		close(d.done)
	}()
	t.Cleanup(func() {
		d.kill(t)
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("log of %s:\n%s", filepath.Base(logPath), b)
		}
	})

	deadline := time.Now().Add(crashStartDeadline)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		resp, err := http.Get(issuer + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		select {
		case <-d.done:
			t.Fatalf("the server exited at start: %v", d.err)
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer within %v", crashStartDeadline)
		}
	}
}

// kill sends SIGKILL and waits for the process to exit.
func (d *daemon) kill(t *testing.T) {
	t.Helper()
	select {
	case <-d.done:
		return
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("kill: %v", err)
	}
	<-d.done
}

// stop sends SIGTERM and waits for the process to exit.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(crashStartDeadline):
		t.Fatalf("the server did not stop within %v of SIGTERM", crashStartDeadline)
	}
}

// exitErr is the exit status of a process that has exited.
func (d *daemon) exitErr() error {
	<-d.done
	return d.err
}

// errorLines returns the lines of a text-handler slog log at level ERROR.
func errorLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "level=ERROR") {
			out = append(out, sc.Text())
		}
	}
	return out
}
