package oauth

// Observer is told of events an operator counts, such as tokens issued.
// Package metrics implements it for Prometheus; the core knows nothing of
// how the counts are kept or shown. Its methods are called on the request's
// goroutine, so they must be quick and must not block; they must be safe for
// concurrent use.
type Observer interface {
	// TokenIssued is called once for each successful token response
	// (RFC 6749 §5.1), with its grant type, such as "authorization_code"
	// or "urn:ietf:params:oauth:grant-type:device_code". A device poll
	// answered authorization_pending issues nothing and is not counted.
	// A token an administrator issued ([Provider.IssueToken]) is counted
	// as ViaAdmin.
	TokenIssued(grantType string)
}

// tokenIssued tells the observer, if there is one, that a token response
// for grantType was issued.
func (p *Provider) tokenIssued(grantType string) {
	if p.cfg.Observer != nil {
		p.cfg.Observer.TokenIssued(grantType)
	}
}
