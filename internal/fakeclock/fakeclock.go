// Package fakeclock is a clock for tests: it stands still until the test
// moves it, so that expiry, rate-limit windows and timestamps can be tested
// without sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a clock that moves only by Advance. It is safe for concurrent
// use; its Now method fits the Now fields of the packages' configurations.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that reads t.
func New(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward if d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
