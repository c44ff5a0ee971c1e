package main

import (
	"log/slog"
	"testing"

	"github.com/xmppoauth/xmppoauth/config"
)

// TestWebOptionsTermsAndPolicy checks that web.tos_uri and web.policy_uri
// reach the web side, which advertises and links them.
func TestWebOptionsTermsAndPolicy(t *testing.T) {
	clearEnv(t)
	cfg, err := config.Parse([]byte("component: {secret: s}\nweb: {tos_uri: \"https://example.org/terms\", policy_uri: \"https://example.org/privacy\"}\n"))
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	o := webOptions(cfg, slog.New(slog.DiscardHandler))
	if o.TOSURI != "https://example.org/terms" || o.PolicyURI != "https://example.org/privacy" {
		t.Errorf("webOptions = TOSURI %q, PolicyURI %q; want the configured URLs", o.TOSURI, o.PolicyURI)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("webOptions(...).Validate() = %v", err)
	}
}
