package oauth

import (
	"time"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
)

// newLimiter returns an in-memory limiter of r per key: limits guard against
// guessing and spam from one process's point of view, and a restart only
// resets the counters. The number of keys is bounded (see ratelimit.Limiter).
func newLimiter(r Rate, now func() time.Time) *ratelimit.Limiter {
	return ratelimit.New(r.Count, r.Window, 0, now)
}

// tooMany is the error of a rate limit: what was limited, and how long to
// wait in RetryAfter.
func tooMany(what string, wait time.Duration) *Error {
	return &Error{Code: TooManyRequests, Description: what + "; try again later", RetryAfter: ratelimit.Seconds(wait)}
}
