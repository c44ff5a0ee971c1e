// Package metrics keeps xmppoauth's Prometheus metrics and serves them in
// the Prometheus text exposition format (and OpenMetrics, when a scraper
// asks for it) through github.com/prometheus/client_golang.
//
// A [Metrics] holds its collectors on a registry of its own, never the
// global default one, so that two instances (as in tests) do not share
// counts. It implements the observer interfaces that the other packages
// declare, so that none of them imports this one: oauth.Observer (tokens
// issued), oauthhttp.Observer (HTTP requests), adhoc.Observer (commands run)
// and component.Observer (the XEP-0114 stream). [Metrics.WatchStats] adds
// the stored counts of the core, read in the background because Prometheus
// scrapes, at most every few minutes.
//
// Every metric is named xmppoauth_…:
//
//	xmppoauth_http_requests_total{route,method,code}          requests answered, by route template
//	xmppoauth_http_request_duration_seconds{route,method}     time to answer them (histogram)
//	xmppoauth_tokens_issued_total{grant_type}                 token responses, by grant type
//	xmppoauth_adhoc_commands_total{node,outcome}              ad-hoc command sessions ended (XEP-0050)
//	xmppoauth_component_connected                             1 while the XEP-0114 stream is up, else 0
//	xmppoauth_component_reconnects_total                      streams established after the first
//	xmppoauth_clients, xmppoauth_grants                       registered clients, active grants
//	xmppoauth_tokens_active                                   unexpired access and refresh tokens
//	xmppoauth_device_codes_pending                            device codes waiting for the user (RFC 8628)
//	xmppoauth_sign_ins_pending                                web sign-ins waiting for the user's answer
//	xmppoauth_stats_age_seconds                               age of the reading the stored counts come from
//	xmppoauth_stats_scrape_errors_total                       failed readings of the stored counts
//
// with the Go runtime's and the process's standard go_… and process_…
// metrics.
package metrics
