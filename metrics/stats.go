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
	// DefaultStatsMaxAge is how long the stored counts are reused. The
	// Badger store counts by reading every token, device code and sign-in
	// (store.DB.Stats), which on a store of a million grants takes a
	// noticeable part of a second: repeated scrapes (several Prometheus
	// servers, a dashboard reloading) within it cost nothing.
	DefaultStatsMaxAge = 15 * time.Second
	// DefaultStatsTimeout bounds one reading of the counts.
	DefaultStatsTimeout = 10 * time.Second
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
// tokens, pending device codes and pending sign-ins. They are read when
// Prometheus scrapes, never in between, so they are never staler than
// opts.MaxAge and cost nothing while nobody scrapes. A reading that fails
// is logged, counted in xmppoauth_stats_scrape_errors_total, and the gauges
// are left out of that scrape rather than reporting old values as new.
func (m *Metrics) WatchStats(src StatsSource, opts StatsOptions) {
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
		src:     src,
		opts:    opts,
		m:       m,
		clients: gauge("clients", "Registered OAuth clients."),
		grants:  gauge("grants", "Active grants: one per user and app the user authorized, or per client acting for itself."),
		tokens:  gauge("tokens_active", "Unexpired access and refresh tokens."),
		devices: gauge("device_codes_pending", "Device codes (RFC 8628) waiting for the user's decision."),
		signIns: gauge("sign_ins_pending", "Web sign-ins waiting for the user's answer in chat."),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "stats_scrape_errors_total",
			Help: "Failed readings of the stored counts (xmppoauth_clients and the others are then left out).",
		}),
	}
	m.reg.MustRegister(c)
}

// statsCollector reads the stored counts at scrape time. Its mutex makes
// concurrent scrapes share one reading.
type statsCollector struct {
	src  StatsSource
	opts StatsOptions
	m    *Metrics

	clients, grants, tokens, devices, signIns *prometheus.Desc
	failures                                  prometheus.Counter

	mu   sync.Mutex
	last oauth.Stats
	at   time.Time // when last was read; zero before the first reading
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.clients, c.grants, c.tokens, c.devices, c.signIns} {
		ch <- d
	}
	c.failures.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	if st, ok := c.read(); ok {
		for _, g := range []struct {
			d *prometheus.Desc
			v int
		}{
			{c.clients, st.Clients}, {c.grants, st.Grants}, {c.tokens, st.ActiveTokens},
			{c.devices, st.PendingCodes}, {c.signIns, st.PendingSignIn},
		} {
			ch <- prometheus.MustNewConstMetric(g.d, prometheus.GaugeValue, float64(g.v))
		}
	}
	c.failures.Collect(ch)
}

// read returns the counts, reading them again if the last reading is older
// than MaxAge.
func (c *statsCollector) read() (oauth.Stats, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	if !c.at.IsZero() && now.Sub(c.at) < c.opts.MaxAge {
		return c.last, true
	}
	// Collect has no context: the scrape's own timeout (promhttp's
	// Timeout) does not reach here, so bound the reading ourselves.
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	st, err := c.src.Stats(ctx)
	if err != nil {
		c.failures.Inc()
		c.m.log.Error("read stored counts for metrics", "err", err)
		return oauth.Stats{}, false
	}
	c.last, c.at = st, now
	return st, true
}
