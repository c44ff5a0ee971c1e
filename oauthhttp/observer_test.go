package oauthhttp_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// observed is one call of the Observer.
type observed struct {
	route, method string
	status        int
}

// recordingObserver records what the handler reports.
type recordingObserver struct {
	mu    sync.Mutex
	calls []observed
}

func (o *recordingObserver) HTTPRequest(route, method string, status int, elapsed time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if elapsed < 0 {
		status = -1 // shows as a mismatch
	}
	o.calls = append(o.calls, observed{route, method, status})
}

func (o *recordingObserver) all() []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.calls)
}

// TestObserverSeesRouteTemplates checks that the observer is told of each
// request with its route's template rather than its path, so that client
// ids and unknown paths cannot blow up the number of label values.
func TestObserverSeesRouteTemplates(t *testing.T) {
	obs := &recordingObserver{}
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) { o.Observer = obs })
	requests := []struct {
		method, path, body string
		want               observed
	}{
		{"GET", "/.well-known/openid-configuration", "", observed{"/.well-known/openid-configuration", "GET", http.StatusOK}},
		{"GET", "/register/some-client-id", "", observed{"/register/:client_id", "GET", http.StatusUnauthorized}},
		{"POST", "/token", "grant_type=password", observed{"/token", "POST", http.StatusBadRequest}},
		{"GET", "/no/such/path/abc123", "", observed{oauthhttp.UnmatchedRoute, "GET", http.StatusNotFound}},
	}
	var want []observed
	for _, r := range requests {
		req, err := http.NewRequestWithContext(t.Context(), r.method, ts.URL+r.path, strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		resp.Body.Close()
		want = append(want, r.want)
	}
	// The handler reports a request after writing its response, which a
	// large response may have sent already: wait for the last report.
	deadline := time.Now().Add(10 * time.Second)
	for len(obs.all()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := obs.all(); !slices.Equal(got, want) {
		t.Errorf("observed %v, want %v", got, want)
	}
}
