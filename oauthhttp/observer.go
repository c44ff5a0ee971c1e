package oauthhttp

import (
	"net/http"
	"time"
)

// Observer is told of every request the [Handler] answered, for metrics.
// Package metrics implements it for Prometheus. Its method is called on
// the request's goroutine after the response is written, so it must be quick
// and safe for concurrent use.
type Observer interface {
	// HTTPRequest reports one answered request. route is the route's
	// template, such as "/register/:client_id" (under the issuer's path),
	// never the request's path, so that it takes a bounded set of values;
	// it is [UnmatchedRoute] for a path no route serves. method is the
	// request method, status the response's status code and elapsed the
	// time taken to answer.
	HTTPRequest(route, method string, status int, elapsed time.Duration)
}

// UnmatchedRoute is the route reported to an [Observer] for a request that
// matched no route (404 page not found).
const UnmatchedRoute = "unmatched"

// observe reports a request to the observer, if there is one.
func (h *Handler) observe(route string, r *http.Request, status int, elapsed time.Duration) {
	if h.observer == nil {
		return
	}
	if route == "" {
		route = UnmatchedRoute
	}
	h.observer.HTTPRequest(route, r.Method, status, elapsed)
}
