package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Endpoint names in the report.
const (
	epIntrospect   = "POST /introspect"
	epRefresh      = "POST /token refresh_token"
	epDeviceAuth   = "POST /device_authorization"
	epDevicePoll   = "POST /token device_code (pending)"
	epClientCreds  = "POST /token client_credentials"
	maxPhaseLength = time.Hour
)

// bound says when a phase ends: after duration, or after requests
// iterations (all workers together), whichever comes first; zero means no
// bound of that kind, but one of them must be set.
type bound struct {
	duration time.Duration
	requests int64
}

func (b bound) validate() error {
	switch {
	case b.duration < 0 || b.requests < 0:
		return fmt.Errorf("-duration and -requests must not be negative")
	case b.duration == 0 && b.requests == 0:
		return fmt.Errorf("give -duration or -requests (or both): the load must end by itself")
	case b.duration > maxPhaseLength:
		return fmt.Errorf("-duration %v is longer than %v", b.duration, maxPhaseLength)
	}
	return nil
}

// iteration is one unit of a worker's work, timing its requests into rec.
// It returns false when the worker cannot go on (for example its refresh
// chain broke).
type iteration func(ctx context.Context, worker int, rec recorder) bool

// runPhase runs iter from workers goroutines until the bound is reached or
// ctx ends. Requests in flight when the time is up are finished and
// counted, not cancelled, so no error is recorded for the cut-off.
func runPhase(ctx context.Context, name string, workers int, b bound, iter iteration) result {
	var stop atomic.Bool
	if b.duration > 0 {
		t := time.AfterFunc(b.duration, func() { stop.Store(true) })
		defer t.Stop()
	}
	var started atomic.Int64
	recs := make([]recorder, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		recs[w] = recorder{}
		wg.Go(func() {
			for !stop.Load() && ctx.Err() == nil {
				if b.requests > 0 && started.Add(1) > b.requests {
					return
				}
				if !iter(ctx, w, recs[w]) {
					return
				}
			}
		})
	}
	wg.Wait()
	res := result{name: name, elapsed: time.Since(start), series: recorder{}, rss: readMemStatus()}
	for _, r := range recs {
		for ep, s := range r {
			if _, ok := res.series[ep]; !ok {
				res.series[ep] = newSeries()
			}
			res.series[ep].merge(s)
		}
	}
	return res
}

// timed runs one request and records its latency and outcome.
func timed(rec recorder, endpoint string, fn func() error) error {
	start := time.Now()
	err := fn()
	rec.observe(endpoint, time.Since(start), err)
	return err
}

// introspectLoad introspects the access tokens round-robin, each of the
// workers starting at its own offset. Worker w only touches next[w].
func introspectLoad(s *server, access []string, workers int) iteration {
	next := make([]int, workers)
	for w := range next {
		next[w] = w * len(access) / workers
	}
	return func(ctx context.Context, w int, rec recorder) bool {
		i := next[w]
		next[w] = (i + 1) % len(access)
		_ = timed(rec, epIntrospect, func() error { return s.introspect(ctx, access[i]) })
		return true
	}
}

// refreshLoad rotates one refresh token chain per worker (RFC 6749 §6 with
// rotation): worker w owns chains[w]. A failed refresh ends the worker,
// since its chain may be spent.
func refreshLoad(s *server, chains []string) iteration {
	return func(ctx context.Context, w int, rec recorder) bool {
		var next string
		err := timed(rec, epRefresh, func() error {
			var err error
			next, err = s.refresh(ctx, chains[w])
			return err
		})
		if err != nil {
			return false
		}
		chains[w] = next
		return true
	}
}

// deviceLoad starts a device flow and polls it once, as a device does
// before its user has approved: the answer is authorization_pending.
func deviceLoad(s *server) iteration {
	return func(ctx context.Context, _ int, rec recorder) bool {
		var code string
		err := timed(rec, epDeviceAuth, func() error {
			var err error
			code, err = s.deviceAuthorize(ctx, "xmpp")
			return err
		})
		if err == nil {
			_ = timed(rec, epDevicePoll, func() error { return s.pollDevice(ctx, code) })
		}
		return true
	}
}

// clientCredentialsLoad issues client_credentials access tokens.
func clientCredentialsLoad(s *server) iteration {
	return func(ctx context.Context, _ int, rec recorder) bool {
		_ = timed(rec, epClientCreds, func() error {
			_, err := s.clientCredentials(ctx, "xmpp")
			return err
		})
		return true
	}
}
