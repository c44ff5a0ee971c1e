package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of this package.
const namespace = "xmppoauth"

// Metrics holds the collectors on a registry of its own. Create it with
// [New]; its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	tokens     *prometheus.CounterVec
	commands   *prometheus.CounterVec
	connected  prometheus.Gauge
	reconnects prometheus.Counter
	connects   atomic.Int64   // streams established so far
	readings   sync.WaitGroup // readings of the stored counts (stats.go)
}

// New returns Metrics with every collector registered, including the Go
// runtime and process collectors. log receives errors of scrapes; nil
// discards them.
func New(log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help: "Time taken to answer HTTP requests, by route template and method.",
			// From 1 ms (introspection, metadata) to 10 s (a sign-in
			// page waiting on the XMPP server).
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "tokens_issued_total",
			Help: "Successful token responses (RFC 6749 §5.1), by grant type.",
		}, []string{"grant_type"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "adhoc", Name: "commands_total",
			Help: "Ad-hoc command sessions (XEP-0050) that ended, by node and outcome.",
		}, []string{"node", "outcome"}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "component", Name: "connected",
			Help: "1 while the XEP-0114 component stream to the XMPP server is established, else 0.",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "component", Name: "reconnects_total",
			Help: "Component streams established again after the first one since start-up.",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.tokens, m.commands, m.connected, m.reconnects,
	)
	return m
}

// Registry returns the registry that holds the collectors, for tests and
// for registering more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text exposition format, or
// OpenMetrics when the scraper asks for it. A collector that fails is
// logged and left out; the others are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slogErrorLog{m.log},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
		// Scrapes are rare; more than a few at once is a misconfiguration
		// or abuse, and each may read the store.
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	})
}

// slogErrorLog passes promhttp's errors to slog.
type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) {
	l.log.Error("serving metrics", "err", fmt.Sprint(v...))
}

// HTTPRequest counts an answered request; it implements
// oauthhttp.Observer. route must be a route template (a bounded set of
// values), never a request path.
func (m *Metrics) HTTPRequest(route, method string, status int, elapsed time.Duration) {
	method = knownMethod(method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// knownMethod returns method if it is one of the standard HTTP methods,
// else "other", so that a client cannot add label values at will.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "other"
}

// TokenIssued counts a token response; it implements oauth.Observer.
func (m *Metrics) TokenIssued(grantType string) {
	m.tokens.WithLabelValues(grantType).Inc()
}

// CommandEnded counts an ad-hoc command session that ended; it implements
// adhoc.Observer.
func (m *Metrics) CommandEnded(node, outcome string) {
	m.commands.WithLabelValues(node, outcome).Inc()
}

// ComponentConnected records that the component's stream is up; it
// implements component.Observer. Every connection after the first counts
// as a reconnect.
func (m *Metrics) ComponentConnected() {
	m.connected.Set(1)
	if m.connects.Add(1) > 1 {
		m.reconnects.Inc()
	}
}

// ComponentDisconnected records that the component's stream is down; it
// implements component.Observer.
func (m *Metrics) ComponentDisconnected() {
	m.connected.Set(0)
}

// Instrument counts the requests of a handler that serves one route, such
// as a handler outside the gin router, under route.
func (m *Metrics) Instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.HTTPRequest(route, r.Method, sw.status, time.Since(start))
	})
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
