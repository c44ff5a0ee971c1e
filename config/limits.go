package config

import (
	"net"
	"strconv"
	"time"
)

// Bounds of limits.max_body_bytes, the same as oauthhttp.MinBodyBytes and
// oauthhttp.MaxBodyBytes (this package does not import oauthhttp).
const (
	minBodyBytes = 4 << 10
	maxBodyBytes = 1 << 20
)

// maxAdhocSessions bounds limits.adhoc_sessions_total: each session holds
// its forms in memory.
const maxAdhocSessions = 1000000

// defaultLimits are the limits of Default: the core's, oauthhttp's and
// adhoc's defaults, written out so that config.yaml and check-config show
// the values in force. They are generous enough for the end-to-end tests,
// which sign in many times from 127.0.0.1.
func defaultLimits() Limits {
	return Limits{
		UserCodeAttempts:      Rate{Count: 5, Window: time.Minute},
		UserCodeAttemptsTotal: Rate{Count: 100, Window: time.Minute},
		SignInPushes:          Rate{Count: 5, Window: time.Minute},
		ClientAuthFailures:    Rate{Count: 10, Window: time.Minute},
		RegistrationPerIP:     Rate{Count: 20, Window: time.Hour},
		AuthorizePerIP:        Rate{Count: 120, Window: time.Minute},
		MaxBodyBytes:          64 << 10,
		AdhocSessionsPerJID:   10,
		AdhocSessionsTotal:    10000,
	}
}

// validateLimits checks the limits section: every rate allows at least one
// event in a window of 1s to 24h, and the bounds are within reason.
func (v *validator) validateLimits(l Limits) {
	for _, r := range []struct {
		key  string
		rate Rate
	}{
		{"limits.user_code_attempts", l.UserCodeAttempts},
		{"limits.user_code_attempts_total", l.UserCodeAttemptsTotal},
		{"limits.sign_in_pushes", l.SignInPushes},
		{"limits.client_auth_failures", l.ClientAuthFailures},
		{"limits.registration_per_ip", l.RegistrationPerIP},
		{"limits.authorize_per_ip", l.AuthorizePerIP},
	} {
		if r.rate.Count < 1 {
			v.add(r.key, "count must be at least 1, got %d", r.rate.Count)
		}
		if r.rate.Window < time.Second || r.rate.Window > 24*time.Hour {
			v.add(r.key, "window must be between 1s and 24h, got %v", r.rate.Window)
		}
	}
	if l.UserCodeAttemptsTotal.Count >= 1 && l.UserCodeAttempts.Count > l.UserCodeAttemptsTotal.Count {
		v.add("limits.user_code_attempts_total", "allows fewer wrong codes (%d) than limits.user_code_attempts allows one user (%d)",
			l.UserCodeAttemptsTotal.Count, l.UserCodeAttempts.Count)
	}
	if l.MaxBodyBytes < minBodyBytes || l.MaxBodyBytes > maxBodyBytes {
		v.add("limits.max_body_bytes", "must be between %d (4 KiB) and %d (1 MiB), got %d", minBodyBytes, maxBodyBytes, l.MaxBodyBytes)
	}
	if l.AdhocSessionsPerJID < 1 {
		v.add("limits.adhoc_sessions_per_jid", "must be at least 1, got %d", l.AdhocSessionsPerJID)
	}
	switch {
	case l.AdhocSessionsTotal < 1 || l.AdhocSessionsTotal > maxAdhocSessions:
		v.add("limits.adhoc_sessions_total", "must be between 1 and %d, got %d", maxAdhocSessions, l.AdhocSessionsTotal)
	case l.AdhocSessionsPerJID > l.AdhocSessionsTotal:
		v.add("limits.adhoc_sessions_per_jid", "is more than limits.adhoc_sessions_total (%d)", l.AdhocSessionsTotal)
	}
}

// validateProxies checks http.trusted_proxies: each an IP address or a CIDR
// prefix.
func (v *validator) validateProxies(proxies []string) {
	for i, p := range proxies {
		if net.ParseIP(p) != nil {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil {
			v.add("http.trusted_proxies["+strconv.Itoa(i)+"]", "%q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", p)
		}
	}
}
