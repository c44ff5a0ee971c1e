package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/health"
	"github.com/xmppoauth/xmppoauth/metrics"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// Paths of the operations endpoints, at the root of every listener that
// serves them whatever the issuer's path.
const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
	metricsPath = "/metrics"
)

// ops wires the operations endpoints: the metrics, when the configuration
// keeps them (ops.listen and ops.metrics), and the readiness checks.
type ops struct {
	metrics *metrics.Metrics // nil when no metrics are kept
	ready   []health.Check
}

// newOps returns the operations side for cfg. The readiness checks are
// added with [ops.watch] once the store and the component exist.
func newOps(cfg *config.Config, log *slog.Logger) *ops {
	o := &ops{}
	if cfg.Ops.Listen != "" && cfg.Ops.Metrics {
		o.metrics = metrics.New(log.With("subsystem", "metrics"))
	}
	return o
}

// The observers of each package, nil when no metrics are kept: a nil
// *metrics.Metrics in an interface would not be nil.

func (o *ops) coreObserver() oauth.Observer {
	if o == nil || o.metrics == nil {
		return nil
	}
	return o.metrics
}

func (o *ops) httpObserver() oauthhttp.Observer {
	if o == nil || o.metrics == nil {
		return nil
	}
	return o.metrics
}

func (o *ops) adhocObserver() adhoc.Observer {
	if o == nil || o.metrics == nil {
		return nil
	}
	return o.metrics
}

func (o *ops) componentObserver() component.Observer {
	if o == nil || o.metrics == nil {
		return nil
	}
	return o.metrics
}

// instrument counts the requests of h, a handler outside oauthhttp's
// router, under route, when metrics are kept.
func (o *ops) instrument(route string, h http.Handler) http.Handler {
	if o == nil || o.metrics == nil {
		return h
	}
	return o.metrics.Instrument(route, h)
}

// keyLister is the store's cheapest read: the few signing keys.
type keyLister interface {
	ListKeys(ctx context.Context) ([]oauth.Key, error)
}

// watch adds the readiness checks (the store answers a read, the component
// is connected) and the stored counts to the metrics.
// The counts are read until ctx ends; [ops.wait] waits for a reading that
// runs.
func (o *ops) watch(ctx context.Context, p *oauth.Provider, db keyLister, comp *component.Component, address string) {
	o.ready = []health.Check{
		{Name: "store", Func: func(ctx context.Context) error {
			if _, err := db.ListKeys(ctx); err != nil {
				return fmt.Errorf("cannot read: %w", err)
			}
			return nil
		}},
		{Name: "component", Func: func(context.Context) error {
			if !comp.Connected() {
				return errors.New("not connected to the XMPP server at " + address)
			}
			return nil
		}},
	}
	if o.metrics != nil {
		o.metrics.WatchStats(ctx, p, metrics.StatsOptions{})
	}
}

// wait waits for a reading of the stored counts that runs, so that the
// store can be closed.
func (o *ops) wait() {
	if o.metrics != nil {
		o.metrics.Wait()
	}
}

// mount serves /healthz and /readyz on mux, and /metrics too when
// withMetrics is set and metrics are kept.
func (o *ops) mount(mux *http.ServeMux, withMetrics bool) {
	if o == nil {
		return
	}
	mux.Handle(healthzPath, health.Live())
	mux.Handle(readyzPath, health.Ready(0, o.ready...))
	if withMetrics && o.metrics != nil {
		mux.Handle(metricsPath, o.metrics.Handler())
	}
}

// handler is the operations listener's handler (ops.listen).
func (o *ops) handler() http.Handler {
	mux := http.NewServeMux()
	o.mount(mux, true)
	return mux
}
