package config

import "net"

// Ops configures the operations endpoints: Prometheus metrics and the
// health probes.
//
// /healthz and /readyz are always served on http.listen, where load
// balancers and orchestrators look for them; they say no more than whether
// the store and the XMPP component work. /metrics is served only on a
// listener of its own (Listen), never on the public one: it tells anyone
// who can read it how busy the service is, which apps are used and how the
// XMPP link fares, and scraping it costs a read of the whole store.
type Ops struct {
	// Listen is the host:port of a listener of its own that serves
	// /metrics (when Metrics is true), /healthz and /readyz, reachable by
	// Prometheus and the probes only (such as a loopback or internal
	// address). None when empty, and then no metrics are kept.
	Listen string `yaml:"listen"`
	// Metrics serves Prometheus metrics at /metrics on Listen.
	Metrics bool `yaml:"metrics"`
}

// defaultOps is the ops section of [Default]: no listener of its own;
// metrics on it once one is set.
func defaultOps() Ops {
	return Ops{Metrics: true}
}

// validateOps checks the ops section: a host:port that no other listener
// of this configuration uses.
func (v *validator) validateOps(c *Config) {
	o := c.Ops
	if o.Listen == "" {
		return
	}
	v.hostPort("ops.listen", o.Listen, false)
	for _, other := range []struct{ key, addr string }{
		{"http.listen", c.HTTP.Listen},
		{"ejabberd.listen", c.Ejabberd.Listen},
	} {
		if other.addr == o.Listen && !anyPort(o.Listen) {
			v.add("ops.listen", "%q is also %s; the operations listener needs an address of its own, such as 127.0.0.1:8090", o.Listen, other.key)
		}
	}
}

// anyPort reports whether addr asks for a port the system picks (port 0),
// which two listeners may both ask for.
func anyPort(addr string) bool {
	_, port, _ := net.SplitHostPort(addr)
	return port == "0"
}
