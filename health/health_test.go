package health_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/health"
)

// get requests url with method and returns the status and body.
func get(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusMethodNotAllowed && ct != "text/plain; charset=utf-8" {
		t.Errorf("%s %s: Content-Type %q, want text/plain", method, url, ct)
	}
	return resp.StatusCode, string(b)
}

func TestLive(t *testing.T) {
	srv := httptest.NewServer(health.Live())
	t.Cleanup(srv.Close)
	tests := []struct {
		method     string
		wantStatus int
		wantBody   string
	}{
		{http.MethodGet, http.StatusOK, "ok\n"},
		{http.MethodHead, http.StatusOK, ""},
		{http.MethodPost, http.StatusMethodNotAllowed, "method not allowed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			if status, body := get(t, tc.method, srv.URL); status != tc.wantStatus || body != tc.wantBody {
				t.Errorf("%s = %d %q, want %d %q", tc.method, status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestReady(t *testing.T) {
	ok := health.Check{Name: "store", Func: func(context.Context) error { return nil }}
	down := health.Check{Name: "component", Func: func(context.Context) error { return errors.New("not connected to the XMPP server") }}
	hangs := health.Check{Name: "slow", Func: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
	ignoresCtx := health.Check{Name: "stuck", Func: func(context.Context) error { time.Sleep(time.Hour); return nil }}
	tests := []struct {
		name       string
		checks     []health.Check
		wantStatus int
		wantBody   string // exact, or each line in order when it starts with "~"
	}{
		{"no checks", nil, http.StatusOK, "ready\n"},
		{"all pass", []health.Check{ok}, http.StatusOK, "ready\nstore: ok\n"},
		{"one fails", []health.Check{ok, down}, http.StatusServiceUnavailable, "not ready\nstore: ok\ncomponent: not connected to the XMPP server\n"},
		{"one hangs until the timeout", []health.Check{hangs, ok}, http.StatusServiceUnavailable, "~not ready\nslow: \ncontext deadline exceeded\nstore: ok\n"},
		{"one ignores the timeout", []health.Check{ignoresCtx}, http.StatusServiceUnavailable, "not ready\nstuck: no answer within the probe's timeout: context deadline exceeded\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(health.Ready(50*time.Millisecond, tc.checks...))
			t.Cleanup(srv.Close)
			status, body := get(t, http.MethodGet, srv.URL)
			if status != tc.wantStatus || !matches(body, tc.wantBody) {
				t.Errorf("GET = %d %q, want %d %q", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

// matches compares body with want, exactly, or when want starts with "~",
// by finding its lines in order: a check that hangs may be reported with
// its own error or with the probe's, whichever comes first.
func matches(body, want string) bool {
	rest, ok := strings.CutPrefix(want, "~")
	if !ok {
		return body == want
	}
	for part := range strings.SplitSeq(rest, "\n") {
		i := strings.Index(body, part)
		if i < 0 {
			return false
		}
		body = body[i+len(part):]
	}
	return true
}

func TestReadyRefusesPost(t *testing.T) {
	srv := httptest.NewServer(health.Ready(0))
	t.Cleanup(srv.Close)
	if status, body := get(t, http.MethodPost, srv.URL); status != http.StatusMethodNotAllowed || !strings.Contains(body, "method not allowed") {
		t.Errorf("POST = %d %q, want 405", status, body)
	}
}
