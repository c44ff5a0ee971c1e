package component

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff computes reconnection delays: exponential from min up to max,
// with "equal jitter" (half the delay fixed, half random) so that many
// components restarted together do not reconnect in lockstep, while the
// delay never drops below half its nominal value.
type backoff struct {
	min, max time.Duration
	cur      time.Duration // the nominal delay of the next attempt; 0 before the first
}

// next returns the delay before the next attempt and doubles the nominal
// delay for the one after.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	}
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	return jitter(d)
}

// longest returns a delay around max, for failures that retrying sooner
// would not fix.
func (b *backoff) longest() time.Duration { return jitter(b.max) }

// reset starts over from min.
func (b *backoff) reset() { b.cur = 0 }

func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits for d or until ctx is done, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
