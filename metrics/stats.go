package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// StatsSource gives the stored counts; [oauth.Provider] implements it.
type StatsSource interface {
	Stats(ctx context.Context) (oauth.Stats, error)
}

// Defaults of [StatsOptions].
const (
	// DefaultStatsMaxAge is how long one reading of the stored counts
	// serves. The Badger store counts by walking the keys of every client,
	// grant and token (store.DB.Stats): 1.2 to 1.5 seconds of one core for
	// a million grants with a million tokens on a 2-core machine. Once a
	// minute keeps that under 3% of a core on such a store.
	DefaultStatsMaxAge = time.Minute
	// DefaultStatsTimeout bounds one reading.
	DefaultStatsTimeout = 2 * time.Minute
)

// StatsOptions configure [Metrics.WatchStats]; zero fields take the
// defaults above.
type StatsOptions struct {
	// MaxAge is how long a reading is reused by later scrapes.
	MaxAge time.Duration
	// Timeout bounds one reading.
	Timeout time.Duration
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// WatchStats registers gauges of src's counts: clients, grants, active
// tokens, pending device codes and pending sign-ins, with the age of the
// reading they come from (xmppoauth_stats_age_seconds).
//
// The counts are read only because Prometheus scrapes, so they cost
// nothing while nobody does; but a scrape never waits for a reading, which
// on a large store takes longer than a scrape may. A scrape that finds the
// last reading older than opts.MaxAge (or none) starts a new one in the
// background and is answered with the last reading, or without the gauges
// before the first reading is done. A reading that fails is logged and
// counted in xmppoauth_stats_scrape_errors_total; the last good one stays,
// and its age shows that it is old.
//
// Readings stop when ctx ends; [Metrics.Wait] waits for one that runs, so
// that the store is not closed under it.
func (m *Metrics) WatchStats(ctx context.Context, src StatsSource, opts StatsOptions) {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultStatsMaxAge
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultStatsTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	gauge := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, nil, nil)
	}
	c := &statsCollector{
		ctx:     ctx,
		src:     src,
		opts:    opts,
		m:       m,
		clients: gauge("clients", "Registered OAuth clients."),
		grants:  gauge("grants", "Active grants: one per user and app the user authorized, or per client acting for itself."),
		tokens:  gauge("tokens_active", "Unexpired access and refresh tokens."),
		devices: gauge("device_codes_pending", "Device codes (RFC 8628) waiting for the user's decision."),
		signIns: gauge("sign_ins_pending", "Web sign-ins waiting for the user's answer in chat."),
		age:     gauge("stats_age_seconds", "Age of the reading of the stored counts that xmppoauth_clients and the others come from."),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "stats_scrape_errors_total",
			Help: "Failed readings of the stored counts (xmppoauth_clients and the others).",
		}),
	}
	m.reg.MustRegister(c)
}

// statsCollector reads the stored counts when scraped, in the background.
type statsCollector struct {
	ctx  context.Context // ends the readings
	src  StatsSource
	opts StatsOptions
	m    *Metrics

	clients, grants, tokens, devices, signIns, age *prometheus.Desc
	failures                                       prometheus.Counter

	mu      sync.Mutex
	last    oauth.Stats
	at      time.Time // when last was read; zero before the first reading
	reading bool      // a reading runs
	tried   time.Time // when the running or last reading started
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.clients, c.grants, c.tokens, c.devices, c.signIns, c.age} {
		ch <- d
	}
	c.failures.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	if st, at, ok := c.read(); ok {
		for _, g := range []struct {
			d *prometheus.Desc
			v float64
		}{
			{c.clients, float64(st.Clients)}, {c.grants, float64(st.Grants)}, {c.tokens, float64(st.ActiveTokens)},
			{c.devices, float64(st.PendingCodes)}, {c.signIns, float64(st.PendingSignIn)},
			{c.age, c.opts.Now().Sub(at).Seconds()},
		} {
			ch <- prometheus.MustNewConstMetric(g.d, prometheus.GaugeValue, g.v)
		}
	}
	c.failures.Collect(ch)
}

// read returns the last reading and when it was made, if there is one,
// and starts a new reading if it is older than MaxAge. After a failed
// reading, the next starts no sooner than MaxAge later either.
func (c *statsCollector) read() (oauth.Stats, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	if !c.reading && (c.tried.IsZero() || now.Sub(c.tried) >= c.opts.MaxAge) {
		if c.ctx.Err() != nil {
			return c.last, c.at, !c.at.IsZero() // shutting down
		}
		c.reading, c.tried = true, now
		c.m.readings.Add(1)
		go c.refresh(now)
	}
	return c.last, c.at, !c.at.IsZero()
}

// refresh reads the counts, started at now.
func (c *statsCollector) refresh(now time.Time) {
	defer c.m.readings.Done()
	// No scrape waits for this, so no scrape's context bounds it.
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.Timeout)
	defer cancel()
	st, err := c.src.Stats(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = false
	switch {
	case err != nil && c.ctx.Err() != nil:
		// Shutting down: not a failure of the store.
		return
	case err != nil:
		c.failures.Inc()
		c.m.log.Error("read stored counts for metrics", "err", err)
		return
	}
	c.last, c.at = st, now
}

// Wait waits for a reading of the stored counts that runs, if any; cancel
// the context given to [Metrics.WatchStats] first to end it early.
func (m *Metrics) Wait() { m.readings.Wait() }
