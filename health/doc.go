// Package health serves the liveness and readiness probes of xmppoauth, in
// the form orchestrators (Kubernetes' httpGet probes, systemd or load
// balancer health checks) expect: /healthz answers 200 while the process
// serves HTTP, and /readyz answers 200 only when every readiness check
// passes, else 503 Service Unavailable with a plain-text body naming what
// is not ready. A check is a function of the caller's choosing, such as a
// cheap read of the store or "is the XMPP component connected".
package health
