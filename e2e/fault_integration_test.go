//go:build integration && unix

package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/internal/prosodytest"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// The fault test's load: workers, the most iterations each makes, the pause
// between a worker's iterations (which keeps the load modest, so that the
// test measures behaviour, not capacity), and how many answered requests
// each phase must see before the test moves on; the outage lasts for three
// times as many.
const (
	faultWorkers  = 4
	faultMaxIters = 5000
	faultPause    = 20 * time.Millisecond
	faultPerPhase = 150
)

// Phases of the fault test.
const (
	phaseUp = iota
	phaseDown
	phaseBack
)

var phaseNames = [...]string{"before the outage", "while Prosody is stopped", "after Prosody is back"}

// TestIntegrationFault stops the XMPP server under HTTP load: device
// authorizations with their polls, and introspections. The HTTP side keeps
// answering without a server error, device polls keep getting
// authorization_pending (RFC 8628 §3.5), pushing a request to chat fails at
// once with temporarily_unavailable instead of hanging, and once Prosody is
// back the component reconnects by itself and a user approves, with a
// command, a device that started during the outage.
func TestIntegrationFault(t *testing.T) {
	x := startXMPP(t, startProsody)
	srv, ok := x.srv.(*prosodytest.Server)
	if !ok {
		t.Fatalf("startProsody gave %T", x.srv)
	}
	ctx := t.Context()
	introspected := x.deviceToken(func(userCode string) {
		if err := x.p.DecideDevice(ctx, x.user, userCode, true); err != nil {
			t.Fatalf("DecideDevice: %v", err)
		}
	}, oauth.ScopeXMPP)

	load := &faultLoad{issuer: x.issuer, clientID: x.cfg.ClientID, token: introspected.AccessToken,
		http: &http.Client{Timeout: ioTimeout}}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range faultWorkers {
		wg.Go(func() { load.run(ctx, &stop) })
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()
	load.waitAnswered(t, phaseUp)

	load.phase.Store(phaseDown)
	srv.Stop()
	waitFor(t, "the component to notice that Prosody stopped", func() bool { return !x.comp.Connected() })
	// A device that starts now is approved once the server is back.
	pending, err := x.cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("device authorization while Prosody is stopped: %v", err)
	}
	err = x.p.RequestDeviceApproval(ctx, x.user, pending.UserCode)
	if e, ok := oauth.AsError(err); !ok || e.Code != oauth.TemporarilyUnavailable {
		t.Errorf("pushing a device approval to chat while Prosody is stopped = %v, want %s", err, oauth.TemporarilyUnavailable)
	}
	load.waitAnswered(t, phaseDown)

	load.phase.Store(phaseBack)
	srv.Restart(t)
	x.waitConnected(t)
	load.waitAnswered(t, phaseBack)
	stop.Store(true)
	wg.Wait()
	load.report(t)

	alice := x.login(t, "alice", accounts["alice"])
	if done := alice.approveDevice(pending.UserCode, true); done.Status != adhoc.StatusCompleted {
		t.Fatalf("approving the outage's device after the restart = %+v %s", done, notes(done))
	}
	tok, err := x.cfg.DeviceAccessToken(ctx, pending)
	if err != nil {
		t.Fatalf("the outage's device after approval: %v", err)
	}
	if !x.active(tok.AccessToken) {
		t.Error("the outage's device got a token that is not active")
	}
}

// faultLoad is the HTTP load of the fault test.
type faultLoad struct {
	issuer, clientID, token string
	http                    *http.Client

	phase    atomic.Int32
	answered [len(phaseNames)]atomic.Int64
	mu       sync.Mutex
	failures []string
}

// run makes iterations until stop: a device authorization, a poll of its
// device code, and an introspection of a live token, each of which must
// get its expected answer.
func (l *faultLoad) run(ctx context.Context, stop *atomic.Bool) {
	for range faultMaxIters {
		if stop.Load() || ctx.Err() != nil {
			return
		}
		ph := l.phase.Load()
		var da struct {
			DeviceCode string `json:"device_code"`
		}
		status, body := l.post(ctx, "/device_authorization", url.Values{"client_id": {l.clientID}, "scope": {"xmpp"}}, "", &da)
		l.expect(ph, "device authorization", status == http.StatusOK && da.DeviceCode != "", status, body)
		if da.DeviceCode != "" {
			var oe struct {
				Error string `json:"error"`
			}
			form := url.Values{"grant_type": {oauth.GrantDeviceCode}, "device_code": {da.DeviceCode}, "client_id": {l.clientID}}
			status, body = l.post(ctx, "/token", form, "", &oe)
			l.expect(ph, "device poll", status == http.StatusBadRequest && oe.Error == oauth.AuthorizationPending, status, body)
		}
		var in struct {
			Active bool `json:"active"`
		}
		status, body = l.post(ctx, "/introspect", url.Values{"token": {l.token}}, "basic", &in)
		l.expect(ph, "introspection", status == http.StatusOK && in.Active, status, body)

		select {
		case <-ctx.Done():
			return
		case <-time.After(faultPause):
		}
	}
}

// post sends a form, as the resource server if auth is "basic", and
// decodes a JSON answer into out. A request that fails has status 0.
func (l *faultLoad) post(ctx context.Context, path string, form url.Values, auth string, out any) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth == "basic" {
		req.SetBasicAuth(apiID, apiSecret)
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = json.Unmarshal(body, out) // a body that is not JSON leaves out empty
	return resp.StatusCode, string(body)
}

// expect counts an answer as expected, or notes what came instead.
func (l *faultLoad) expect(phase int32, what string, ok bool, status int, body string) {
	if ok {
		l.answered[phase].Add(1)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, fmt.Sprintf("%s, %s: HTTP %d %s", phaseNames[phase], what, status, body))
	}
}

// waitAnswered waits until the phase has seen its share of expected
// answers, failing the test if the load stops answering.
func (l *faultLoad) waitAnswered(t *testing.T, phase int32) {
	t.Helper()
	n := int64(faultPerPhase)
	if phase == phaseDown {
		n *= 3
	}
	waitFor(t, fmt.Sprintf("%d answered requests %s", n, phaseNames[phase]), func() bool {
		return l.answered[phase].Load() >= n
	})
}

// report fails the test for every unexpected answer.
func (l *faultLoad) report(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.failures {
		t.Error(f)
	}
	for i, name := range phaseNames {
		t.Logf("%s: %d requests answered as expected", name, l.answered[i].Load())
	}
}

// waitFor polls cond until it holds, failing the test after ioTimeout (a
// guard against a hang, not a measurement).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
