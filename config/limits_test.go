package config

import (
	"strings"
	"testing"
	"time"
)

func TestLimitsErrorsNameTheKey(t *testing.T) {
	tests := []parseCase{
		{"total count zero", "limits:\n  user_code_attempts_total: 0/1m\n", "line 3: limits.user_code_attempts_total: count must be at least 1, got 0"},
		{"total below per user", "limits: {user_code_attempts: 10/1m, user_code_attempts_total: 5/1m}\n", "limits.user_code_attempts_total: allows fewer wrong codes (5) than limits.user_code_attempts allows one user (10)"},
		{"client auth window too long", "limits: {client_auth_failures: 10/48h}\n", "limits.client_auth_failures: window must be between 1s and 24h, got 48h0m0s"},
		{"registration not a rate", "limits: {registration_per_ip: lots}\n", `limits.registration_per_ip: "lots" is not a rate such as "5/1m"`},
		{"authorize count negative", "limits: {authorize_per_ip: -1/1m}\n", "limits.authorize_per_ip: count must be at least 1, got -1"},
		{"body too small", "limits: {max_body_bytes: 100}\n", "limits.max_body_bytes: must be between 4096 (4 KiB) and 1048576 (1 MiB), got 100"},
		{"body too large", "limits: {max_body_bytes: 10485760}\n", "limits.max_body_bytes: must be between"},
		{"body not a number", "limits: {max_body_bytes: 64k}\n", "limits.max_body_bytes: want a whole number"},
		{"no adhoc sessions per user", "limits: {adhoc_sessions_per_jid: 0}\n", "limits.adhoc_sessions_per_jid: must be at least 1, got 0"},
		{"no adhoc sessions", "limits: {adhoc_sessions_total: 0}\n", "limits.adhoc_sessions_total: must be between 1 and 1000000, got 0"},
		{"per user above total", "limits: {adhoc_sessions_per_jid: 20, adhoc_sessions_total: 10}\n", "limits.adhoc_sessions_per_jid: is more than limits.adhoc_sessions_total (10)"},
		{"proxy not an address", "http:\n  trusted_proxies:\n    - 127.0.0.1\n    - proxy.example\n", `line 5: http.trusted_proxies[1]: "proxy.example" is neither an IP address nor a CIDR prefix`},
		{"proxy bad prefix", "http: {trusted_proxies: [\"10.0.0.0/40\"]}\n", `http.trusted_proxies[0]: "10.0.0.0/40" is neither`},
	}
	checkParse(t, tests)
}

func TestLimitsParsed(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte(`component: {secret: s}
http: {trusted_proxies: [127.0.0.1, "10.0.0.0/8", "::1", "fd00::/8"]}
limits:
  user_code_attempts_total: 300/5m
  client_auth_failures: 20/10m
  registration_per_ip: 5/1h
  authorize_per_ip: 600/1m
  max_body_bytes: 131072
  adhoc_sessions_per_jid: 3
  adhoc_sessions_total: 500
`))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	want := Limits{
		UserCodeAttempts:      Rate{Count: 5, Window: time.Minute},
		UserCodeAttemptsTotal: Rate{Count: 300, Window: 5 * time.Minute},
		SignInPushes:          Rate{Count: 5, Window: time.Minute},
		ClientAuthFailures:    Rate{Count: 20, Window: 10 * time.Minute},
		RegistrationPerIP:     Rate{Count: 5, Window: time.Hour},
		AuthorizePerIP:        Rate{Count: 600, Window: time.Minute},
		MaxBodyBytes:          128 << 10,
		AdhocSessionsPerJID:   3,
		AdhocSessionsTotal:    500,
	}
	if c.Limits != want {
		t.Errorf("Limits = %+v, want %+v", c.Limits, want)
	}
	if got := strings.Join(c.HTTP.TrustedProxies, " "); got != "127.0.0.1 10.0.0.0/8 ::1 fd00::/8" {
		t.Errorf("HTTP.TrustedProxies = %q", got)
	}
}

func TestDefaultLimitsValidate(t *testing.T) {
	clearEnv(t)
	c, err := Parse([]byte("component: {secret: s}\n"))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if c.Limits != defaultLimits() || len(c.HTTP.TrustedProxies) != 0 {
		t.Errorf("defaults = %+v, proxies %v", c.Limits, c.HTTP.TrustedProxies)
	}
}
