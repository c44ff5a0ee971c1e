package health

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds every check of one readiness probe when
// [Ready] is given none.
const DefaultTimeout = 2 * time.Second

// Check is one condition of readiness.
type Check struct {
	// Name says what is checked, such as "store" or "component"; it is
	// shown in the probe's answer.
	Name string
	// Func returns nil when ready, else why not. It must return when ctx
	// is done.
	Func func(ctx context.Context) error
}

// Live returns the liveness handler: 200 "ok" to GET and HEAD for as long
// as the process answers HTTP at all.
func Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(w, r) {
			return
		}
		write(w, r, http.StatusOK, "ok\n")
	})
}

// Ready returns the readiness handler. Each probe runs every check at
// once, each bounded by timeout (DefaultTimeout when 0), and answers 200
// with "ready" and one "name: ok" line per check when all pass, else 503
// with one line per check saying which failed and why.
func Ready(timeout time.Duration, checks ...Check) http.Handler {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed(w, r) {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		errs := run(ctx, checks)
		status, head := http.StatusOK, "ready\n"
		var b strings.Builder
		for i, c := range checks {
			if errs[i] != nil {
				status, head = http.StatusServiceUnavailable, "not ready\n"
				fmt.Fprintf(&b, "%s: %v\n", c.Name, errs[i])
				continue
			}
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
		}
		write(w, r, status, head+b.String())
	})
}

// run runs the checks concurrently and returns their errors in order. A
// check still running when ctx ends counts as failed with ctx's error.
func run(ctx context.Context, checks []Check) []error {
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		done := make(chan error, 1)
		go func() { done <- c.Func(ctx) }()
		wg.Go(func() {
			select {
			case errs[i] = <-done:
			case <-ctx.Done():
				errs[i] = fmt.Errorf("no answer within the probe's timeout: %w", ctx.Err())
			}
		})
	}
	wg.Wait()
	return errs
}

// allowed answers 405 to methods other than GET and HEAD.
func allowed(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// write sends a plain-text answer that no cache keeps.
func write(w http.ResponseWriter, r *http.Request, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}
