package ratelimit

import (
	"strconv"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of keys a [Limiter] tracks when New is given
// zero: about 10 MB at worst, for keys such as IP addresses or XMPP addresses.
const DefaultMaxKeys = 65536

// Limiter allows at most Count events per Window for each key. Windows are
// fixed: the first event of a key starts its window, and the count starts
// again once the window has passed. It is safe for concurrent use.
//
// At most maxKeys keys are tracked. Windows that have ended are swept away
// as time passes. When the map is full of windows that have not ended, a
// key that is not tracked yet is refused until the oldest window ends,
// rather than evicting a tracked key: eviction would let whoever floods
// distinct keys reset the count of the key they actually care about (their
// own address, or the victim's). Refusing new keys errs on the side of the
// limit; a map that full means a flood from more sources than a per-key
// limit can tell apart anyway.
type Limiter struct {
	count   int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu sync.Mutex
	m  map[string]*window
	// lastSweep is when ended windows were last forgotten; oldest is the
	// earliest start among the windows that sweep kept.
	lastSweep, oldest time.Time
}

type window struct {
	start time.Time
	n     int
}

// sweepEvery is the least time between two sweeps of a full map, so that a
// flood of new keys does not make every event scan the map.
const sweepEvery = time.Second

// New returns a Limiter that allows count events per key in each window of
// length per, tracking at most maxKeys keys (DefaultMaxKeys when maxKeys is
// zero or less). now is the clock (time.Now when nil). A count below 1
// allows nothing; a window of zero or less is one second.
func New(count int, per time.Duration, maxKeys int, now func() time.Time) *Limiter {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if per <= 0 {
		per = time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{count: count, window: per, maxKeys: maxKeys, now: now, m: make(map[string]*window)}
}

// Allow records one event for key and reports whether it is within the
// limit; if it is not, the event is not counted and wait says how long until
// the key's window ends (at least one nanosecond), or, for a new key refused
// because the map is full, how long until there may be room.
func (l *Limiter) Allow(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= l.window {
		l.sweep(now)
	}
	w, tracked := l.m[key]
	if !tracked || l.ended(w, now) {
		if !tracked && len(l.m) >= l.maxKeys {
			if now.Sub(l.lastSweep) >= min(sweepEvery, l.window) {
				l.sweep(now)
			}
			if len(l.m) >= l.maxKeys {
				return false, l.untilRoom(now)
			}
		}
		w = &window{start: now}
		l.m[key] = w
	}
	if w.n >= l.count {
		return false, l.remaining(w, now)
	}
	w.n++
	return true, 0
}

// Peek reports whether an event for key would be allowed now, without
// counting one; if not, wait says how long until it would be. A key that is
// not tracked is allowed even when the map is full: Peek only guards, and
// the Allow that counts a failure is the one that refuses.
func (l *Limiter) Peek(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, tracked := l.m[key]
	if !tracked || l.ended(w, now) || w.n < l.count {
		return true, 0
	}
	return false, l.remaining(w, now)
}

// Len returns the number of keys tracked, ended windows not yet swept
// included.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

func (l *Limiter) ended(w *window, now time.Time) bool {
	return now.Sub(w.start) >= l.window
}

func (l *Limiter) remaining(w *window, now time.Time) time.Duration {
	return max(w.start.Add(l.window).Sub(now), time.Nanosecond)
}

// sweep forgets the windows that have ended. Allow runs it once a window
// has passed since the last sweep, so that keys seen once do not stay
// forever, and, when the map is full, at most once per sweepEvery, so that a
// flood of new keys does not make every event scan the map. Callers hold mu.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep, l.oldest = now, now
	for k, w := range l.m {
		switch {
		case l.ended(w, now):
			delete(l.m, k)
		case w.start.Before(l.oldest):
			l.oldest = w.start
		}
	}
}

// untilRoom is how long until a full map may take a new key: when the
// oldest window the last sweep kept ends, and not before the next sweep may
// run. Callers hold mu.
func (l *Limiter) untilRoom(now time.Time) time.Duration {
	room := l.oldest.Add(l.window)
	if next := l.lastSweep.Add(min(sweepEvery, l.window)); next.After(room) {
		room = next
	}
	return max(room.Sub(now), time.Nanosecond)
}

// WaitText says how long a wait of secs seconds is, in words for the
// people who are told to wait: "a second", "42 seconds", "5 minutes"
// (from two minutes on, rounded up to whole minutes).
func WaitText(secs int) string {
	switch {
	case secs <= 1:
		return "a second"
	case secs < 120:
		return strconv.Itoa(secs) + " seconds"
	default:
		return strconv.Itoa((secs+59)/60) + " minutes"
	}
}

// Seconds turns a wait into the whole seconds of an HTTP Retry-After header
// (RFC 9110 §10.2.3), rounded up and at least 1, so that a client that waits
// as told is not refused again for a fraction of a second.
func Seconds(wait time.Duration) int {
	return max(int((wait+time.Second-1)/time.Second), 1)
}
