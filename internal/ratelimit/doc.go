// Package ratelimit counts events per key in fixed windows, in memory, with a
// bounded number of keys. It serves the rate limits of the OAuth core (wrong
// device user codes, RFC 8628 §5.1; failed client authentication, RFC 6749
// §2.3) and of the HTTP side (requests per client IP, answered with HTTP 429
// and Retry-After, RFC 6585 §4).
//
// Counters live in memory: a restart resets them, which is acceptable for
// limits that guard against guessing and floods from one process's point of
// view. The map of keys is bounded (see [Limiter]), so a flood of distinct
// keys (many IP addresses, many made-up user addresses) cannot grow memory
// without bound.
package ratelimit
