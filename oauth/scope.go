package oauth

import (
	"slices"
	"strings"
)

// parseScope splits and checks a requested scope (RFC 6749 §3.3) against the
// known scopes and the client's registered scope. An empty request gets the
// client's registered scope, or "openid".
func (p *Provider) parseScope(c Client, raw string) ([]string, error) {
	var req []string
	if strings.TrimSpace(raw) == "" {
		if c.Scope != "" {
			raw = c.Scope
		} else {
			raw = ScopeOpenID
		}
	}
	for _, s := range strings.Split(raw, " ") {
		if s == "" {
			continue
		}
		if !ValidScopeToken(s) {
			return nil, Errorf(InvalidScope, "scope %q is malformed", s)
		}
		if _, ok := p.scopes[s]; !ok {
			return nil, Errorf(InvalidScope, "scope %q is not known to this server", s)
		}
		if !slices.Contains(req, s) {
			req = append(req, s)
		}
	}
	if len(req) == 0 {
		return nil, Errorf(InvalidScope, "no scope requested")
	}
	if c.Scope != "" {
		allowed := strings.Fields(c.Scope)
		for _, s := range req {
			if !slices.Contains(allowed, s) {
				return nil, Errorf(InvalidScope, "scope %q is beyond what this client was registered for", s)
			}
		}
	}
	return req, nil
}

// subsetOf reports whether every scope of a is in b.
func subsetOf(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// union returns a with the scopes of b it lacks appended.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
