package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
)

func TestAllow(t *testing.T) {
	type step struct {
		advance time.Duration
		key     string
		ok      bool
		wait    time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"within the limit", []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0},
		}},
		{"the count plus one is refused with the rest of the window", []step{
			{0, "a", true, 0}, {10 * time.Second, "a", true, 0}, {10 * time.Second, "a", true, 0},
			{5 * time.Second, "a", false, 35 * time.Second},
		}},
		{"another key is unaffected", []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Minute},
			{0, "b", true, 0},
		}},
		{"a new window starts once the old one has passed", []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Minute},
			{time.Minute, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0}, {0, "a", false, time.Minute},
		}},
		{"refused events are not counted", []step{
			{0, "a", true, 0}, {0, "a", true, 0}, {0, "a", true, 0},
			{30 * time.Second, "a", false, 30 * time.Second}, {30 * time.Second, "a", true, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			l := New(3, time.Minute, 0, clk.Now)
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				ok, wait := l.Allow(s.key)
				if ok != s.ok || wait != s.wait {
					t.Fatalf("step %d: Allow(%q) = %v, %v; want %v, %v", i, s.key, ok, wait, s.ok, s.wait)
				}
			}
		})
	}
}

func TestPeek(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	l := New(2, time.Minute, 0, clk.Now)
	if ok, _ := l.Peek("a"); !ok {
		t.Fatal("Peek of an unknown key = false, want true")
	}
	l.Allow("a")
	if ok, _ := l.Peek("a"); !ok {
		t.Fatal("Peek below the limit = false, want true")
	}
	l.Allow("a")
	clk.Advance(20 * time.Second)
	if ok, wait := l.Peek("a"); ok || wait != 40*time.Second {
		t.Fatalf("Peek at the limit = %v, %v; want false, 40s", ok, wait)
	}
	if ok, _ := l.Peek("a"); ok {
		t.Fatal("Peek counted an event")
	}
	clk.Advance(40 * time.Second)
	if ok, _ := l.Peek("a"); !ok {
		t.Fatal("Peek after the window = false, want true")
	}
}

func TestExpiredWindowsAreSwept(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	l := New(5, time.Minute, 0, clk.Now)
	for i := range 1000 {
		l.Allow(fmt.Sprint("ip-", i))
	}
	if n := l.Len(); n != 1000 {
		t.Fatalf("Len = %d, want 1000", n)
	}
	clk.Advance(time.Minute)
	l.Allow("late")
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after a window = %d, want 1 (ended windows swept)", n)
	}
}

func TestFullMapRefusesNewKeys(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	l := New(2, time.Minute, 100, clk.Now)
	for i := range 100 {
		if ok, _ := l.Allow(fmt.Sprint("flood-", i)); !ok {
			t.Fatalf("key %d refused before the map was full", i)
		}
		clk.Advance(100 * time.Millisecond)
	}
	// 10s into the window of the first key.

	// A flood of new keys is refused and does not grow the map.
	for i := range 10000 {
		ok, wait := l.Allow(fmt.Sprint("more-", i))
		if ok {
			t.Fatalf("new key %d allowed in a full map", i)
		}
		if want := 50 * time.Second; wait != want {
			t.Fatalf("new key %d: wait = %v, want %v (until the oldest window ends)", i, wait, want)
		}
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("Len = %d, want 100", n)
	}
	// Keys already tracked are still counted as before: flooding did not
	// reset them.
	if ok, _ := l.Allow("flood-0"); !ok {
		t.Fatal("tracked key refused below its limit")
	}
	if ok, _ := l.Allow("flood-0"); ok {
		t.Fatal("tracked key allowed over its limit: the flood reset it")
	}
	// Once the oldest windows end, new keys fit again.
	clk.Advance(50 * time.Second)
	if ok, _ := l.Allow("after"); !ok {
		t.Fatal("new key refused after the oldest window ended")
	}
	if n := l.Len(); n > 100 {
		t.Fatalf("Len = %d, want at most 100", n)
	}
}

func TestZeroCountAllowsNothing(t *testing.T) {
	l := New(0, time.Minute, 0, nil)
	if ok, wait := l.Allow("a"); ok || wait <= 0 {
		t.Fatalf("Allow = %v, %v; want false and a wait", ok, wait)
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New(1000, time.Hour, 0, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := range 8 {
		wg.Go(func() {
			for range 500 {
				if ok, _ := l.Allow("shared"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
				l.Peek(fmt.Sprint("g", g))
			}
		})
	}
	wg.Wait()
	if allowed != 1000 {
		t.Fatalf("allowed %d events, want exactly 1000", allowed)
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want int
	}{
		{time.Nanosecond, 1},
		{time.Second, 1},
		{1001 * time.Millisecond, 2},
		{59*time.Second + time.Millisecond, 60},
		{time.Minute, 60},
	}
	for _, tt := range tests {
		if got := Seconds(tt.wait); got != tt.want {
			t.Errorf("Seconds(%v) = %d, want %d", tt.wait, got, tt.want)
		}
	}
}

func TestWaitText(t *testing.T) {
	for secs, want := range map[int]string{
		0: "a second", 1: "a second", 2: "2 seconds", 42: "42 seconds", 119: "119 seconds",
		120: "2 minutes", 121: "3 minutes", 300: "5 minutes",
	} {
		if got := WaitText(secs); got != want {
			t.Errorf("WaitText(%d) = %q, want %q", secs, got, want)
		}
	}
}
