package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
	"github.com/xmppoauth/xmppoauth/metrics"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// The observer interfaces the packages declare are all implemented.
var (
	_ oauth.Observer     = (*metrics.Metrics)(nil)
	_ oauthhttp.Observer = (*metrics.Metrics)(nil)
	_ adhoc.Observer     = (*metrics.Metrics)(nil)
	_ component.Observer = (*metrics.Metrics)(nil)
)

// gather compares the named metrics of m with want, in the text format.
func gather(t *testing.T, m *metrics.Metrics, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestHTTPRequests(t *testing.T) {
	m := metrics.New(nil)
	m.HTTPRequest("/token", "POST", 200, 3*time.Millisecond)
	m.HTTPRequest("/token", "POST", 400, 2*time.Millisecond)
	m.HTTPRequest("/token", "POST", 200, 20*time.Millisecond)
	m.HTTPRequest("unmatched", "BREW", 404, time.Millisecond)
	gather(t, m, `
# HELP xmppoauth_http_requests_total HTTP requests answered, by route template, method and status code.
# TYPE xmppoauth_http_requests_total counter
xmppoauth_http_requests_total{code="200",method="POST",route="/token"} 2
xmppoauth_http_requests_total{code="400",method="POST",route="/token"} 1
xmppoauth_http_requests_total{code="404",method="other",route="unmatched"} 1
`, "xmppoauth_http_requests_total")
	if n := testutil.CollectAndCount(m.Registry(), "xmppoauth_http_request_duration_seconds"); n != 2 {
		t.Errorf("latency histograms = %d, want one per route and method (2)", n)
	}
}

func TestTokensCommandsAndComponent(t *testing.T) {
	m := metrics.New(nil)
	m.TokenIssued(oauth.GrantClientCredentials)
	m.TokenIssued(oauth.GrantRefreshToken)
	m.TokenIssued(oauth.GrantRefreshToken)
	m.CommandEnded("list-apps", adhoc.OutcomeCompleted)
	m.CommandEnded("list-apps", adhoc.OutcomeCanceled)
	gather(t, m, `
# HELP xmppoauth_tokens_issued_total Successful token responses (RFC 6749 §5.1), by grant type.
# TYPE xmppoauth_tokens_issued_total counter
xmppoauth_tokens_issued_total{grant_type="client_credentials"} 1
xmppoauth_tokens_issued_total{grant_type="refresh_token"} 2
# HELP xmppoauth_adhoc_commands_total Ad-hoc command sessions (XEP-0050) that ended, by node and outcome.
# TYPE xmppoauth_adhoc_commands_total counter
xmppoauth_adhoc_commands_total{node="list-apps",outcome="canceled"} 1
xmppoauth_adhoc_commands_total{node="list-apps",outcome="completed"} 1
`, "xmppoauth_tokens_issued_total", "xmppoauth_adhoc_commands_total")

	steps := []struct {
		name                  string
		event                 func()
		connected, reconnects float64
	}{
		{"before the first connection", func() {}, 0, 0},
		{"first connection", m.ComponentConnected, 1, 0},
		{"lost", m.ComponentDisconnected, 0, 0},
		{"reconnected", m.ComponentConnected, 1, 1},
		{"lost again", m.ComponentDisconnected, 0, 1},
		{"reconnected again", m.ComponentConnected, 1, 2},
	}
	for _, s := range steps {
		s.event()
		gather(t, m, fmt.Sprintf(`
# HELP xmppoauth_component_connected 1 while the XEP-0114 component stream to the XMPP server is established, else 0.
# TYPE xmppoauth_component_connected gauge
xmppoauth_component_connected %v
# HELP xmppoauth_component_reconnects_total Component streams established again after the first one since start-up.
# TYPE xmppoauth_component_reconnects_total counter
xmppoauth_component_reconnects_total %v
`, s.connected, s.reconnects), "xmppoauth_component_connected", "xmppoauth_component_reconnects_total")
	}
}

func TestInstrument(t *testing.T) {
	m := metrics.New(nil)
	h := m.Instrument("/xmpp/userinfo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "{}") // an implicit 200
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, auth := range []string{"", "Bearer x", "Bearer y"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/some/path", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	gather(t, m, `
# HELP xmppoauth_http_requests_total HTTP requests answered, by route template, method and status code.
# TYPE xmppoauth_http_requests_total counter
xmppoauth_http_requests_total{code="200",method="GET",route="/xmpp/userinfo"} 2
xmppoauth_http_requests_total{code="401",method="GET",route="/xmpp/userinfo"} 1
`, "xmppoauth_http_requests_total")
}

// fakeStats counts its calls and returns stats or err.
type fakeStats struct {
	mu    sync.Mutex
	calls int
	stats oauth.Stats
	err   error
}

func (f *fakeStats) Stats(context.Context) (oauth.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.stats, f.err
}

func (f *fakeStats) set(st oauth.Stats, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats, f.err = st, err
}

func (f *fakeStats) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

const statsHeader = `
# HELP xmppoauth_clients Registered OAuth clients.
# TYPE xmppoauth_clients gauge
xmppoauth_clients %d
# HELP xmppoauth_device_codes_pending Device codes (RFC 8628) waiting for the user's decision.
# TYPE xmppoauth_device_codes_pending gauge
xmppoauth_device_codes_pending %d
# HELP xmppoauth_grants Active grants: one per user and app the user authorized, or per client acting for itself.
# TYPE xmppoauth_grants gauge
xmppoauth_grants %d
# HELP xmppoauth_sign_ins_pending Web sign-ins waiting for the user's answer in chat.
# TYPE xmppoauth_sign_ins_pending gauge
xmppoauth_sign_ins_pending %d
# HELP xmppoauth_stats_age_seconds Age of the reading of the stored counts that xmppoauth_clients and the others come from.
# TYPE xmppoauth_stats_age_seconds gauge
xmppoauth_stats_age_seconds %d
# HELP xmppoauth_stats_scrape_errors_total Failed readings of the stored counts (xmppoauth_clients and the others).
# TYPE xmppoauth_stats_scrape_errors_total counter
xmppoauth_stats_scrape_errors_total %d
# HELP xmppoauth_tokens_active Unexpired access and refresh tokens.
# TYPE xmppoauth_tokens_active gauge
xmppoauth_tokens_active %d
`

var statsNames = []string{
	"xmppoauth_clients", "xmppoauth_device_codes_pending", "xmppoauth_grants", "xmppoauth_sign_ins_pending",
	"xmppoauth_stats_age_seconds", "xmppoauth_stats_scrape_errors_total", "xmppoauth_tokens_active",
}

// statsText is the expected exposition of the stored counts.
func statsText(st oauth.Stats, age, errors int) string {
	return fmt.Sprintf(statsHeader, st.Clients, st.PendingCodes, st.Grants, st.PendingSignIn, age, errors, st.ActiveTokens)
}

// eventually scrapes m until the stored counts are want, with a generous
// deadline: readings run in the background.
func eventually(t *testing.T, m *metrics.Metrics, what, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), statsNames...)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWatchStats checks that the stored counts are read only when scraped,
// in the background: the first scrape starts the first reading, a reading
// serves for MaxAge, an older one is served while the next runs, and a
// failed reading keeps the last good one, whose age shows.
func TestWatchStats(t *testing.T) {
	m := metrics.New(nil)
	first := oauth.Stats{Clients: 3, Grants: 5, ActiveTokens: 8, PendingCodes: 1, PendingSignIn: 2}
	second := oauth.Stats{Clients: 4, Grants: 6, ActiveTokens: 9}
	src := &fakeStats{stats: first}
	clk := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m.WatchStats(t.Context(), src, metrics.StatsOptions{MaxAge: 15 * time.Second, Now: clk.Now})
	if n := src.count(); n != 0 {
		t.Fatalf("Stats called %d times before any scrape", n)
	}
	eventually(t, m, "first reading", statsText(first, 0, 0))

	src.set(second, nil)
	clk.Advance(10 * time.Second)
	gather(t, m, statsText(first, 10, 0), statsNames...)
	if n := src.count(); n != 1 {
		t.Errorf("Stats called %d times within MaxAge, want 1", n)
	}

	clk.Advance(10 * time.Second)
	eventually(t, m, "reading after MaxAge", statsText(second, 0, 0))

	src.set(oauth.Stats{}, errors.New("store closed"))
	clk.Advance(time.Minute)
	eventually(t, m, "failed reading", statsText(second, 60, 1))
	if n := src.count(); n != 3 {
		t.Errorf("Stats called %d times, want 3", n)
	}
}

// blockingStats is a store whose count runs until its context ends.
type blockingStats struct{ started chan struct{} }

func (b blockingStats) Stats(ctx context.Context) (oauth.Stats, error) {
	close(b.started)
	<-ctx.Done()
	return oauth.Stats{}, ctx.Err()
}

// TestWatchStatsShutdown checks that ending the context ends a reading,
// that Wait waits for it, and that it is not counted as a failure.
func TestWatchStatsShutdown(t *testing.T) {
	m := metrics.New(nil)
	ctx, cancel := context.WithCancel(t.Context())
	src := blockingStats{started: make(chan struct{})}
	m.WatchStats(ctx, src, metrics.StatsOptions{})
	gather(t, m, "", "xmppoauth_clients") // starts the reading
	<-src.started
	cancel()
	m.Wait()
	// No counts, and no failure: the reading was ended, not failed.
	gather(t, m, `# HELP xmppoauth_stats_scrape_errors_total Failed readings of the stored counts (xmppoauth_clients and the others).
# TYPE xmppoauth_stats_scrape_errors_total counter
xmppoauth_stats_scrape_errors_total 0
`, statsNames...)
	m.Wait() // a scrape after the end started no reading
}

// TestHandler scrapes the handler over HTTP.
func TestHandler(t *testing.T) {
	m := metrics.New(nil)
	m.TokenIssued(oauth.GrantDeviceCode)
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`xmppoauth_tokens_issued_total{grant_type="urn:ietf:params:oauth:grant-type:device_code"} 1`,
		"xmppoauth_component_connected 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("scrape status %d, want 200", resp.StatusCode)
	}
}
