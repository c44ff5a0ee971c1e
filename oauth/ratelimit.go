package oauth

import (
	"sync"
	"time"
)

// limiter counts events per key in a fixed window. It lives in memory: limits
// guard against guessing and spam from one process's point of view, and a
// restart only resets the counters.
type limiter struct {
	rate Rate
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, m: make(map[string]*window)}
}

// allow records one event for key and reports whether it is within the limit;
// if not, it returns how long until the window ends.
func (l *limiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) > 10000 {
		for k, w := range l.m {
			if now.Sub(w.start) >= l.rate.Window {
				delete(l.m, k)
			}
		}
	}
	w, ok := l.m[key]
	if !ok || now.Sub(w.start) >= l.rate.Window {
		w = &window{start: now}
		l.m[key] = w
	}
	if w.n >= l.rate.Count {
		return false, w.start.Add(l.rate.Window).Sub(now)
	}
	w.n++
	return true, 0
}

// peek reports whether key is over the limit without counting an event.
func (l *limiter) peek(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.m[key]
	if !ok || now.Sub(w.start) >= l.rate.Window || w.n < l.rate.Count {
		return true, 0
	}
	return false, w.start.Add(l.rate.Window).Sub(now)
}

func tooMany(what string, wait time.Duration) *Error {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &Error{Code: TooManyRequests, Description: what + "; try again later", RetryAfter: secs}
}
