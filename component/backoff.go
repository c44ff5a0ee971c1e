package component

import (
	"context"
	"math/rand/v2"
	"time"
)

// fastRetries is how many connection attempts in a row are made about
// MinBackoff apart before the delay starts doubling: a server restart
// (Prosody in a second or two, ejabberd in several) is then noticed within
// about MinBackoff of the server listening again, while a server that stays
// away is tried less and less often, up to MaxBackoff.
const fastRetries = 10

// backoff computes reconnection delays: fastRetries attempts at min, then
// doubling up to max, each with "equal jitter" (half the delay fixed, half
// random) so that many components restarted together do not reconnect in
// lockstep, while the delay never drops below half its nominal value.
type backoff struct {
	min, max time.Duration
	failures int // attempts failed since the last reset
}

// next returns the delay before the next attempt, counting one more
// failure.
func (b *backoff) next() time.Duration {
	b.failures++
	d := b.min
	for n := b.failures - fastRetries; n > 0 && d < b.max; n-- {
		d *= 2
	}
	return jitter(min(d, b.max))
}

// longest returns a delay around max, for failures that retrying sooner
// would not fix.
func (b *backoff) longest() time.Duration { return jitter(b.max) }

// reset starts over: the next delay is about min again.
func (b *backoff) reset() { b.failures = 0 }

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
