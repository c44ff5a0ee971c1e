package config

import (
	"maps"
	"slices"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// OAuthConfig maps the configuration onto the core's. The clock, logger and
// notifier are left for main to set. Slices and maps are copied, so the
// result shares nothing with c.
func (c *Config) OAuthConfig() oauth.Config {
	tokens := make([]string, len(c.Registration.InitialAccessTokens))
	for i, t := range c.Registration.InitialAccessTokens {
		tokens[i] = t.Reveal()
	}
	servers := make([]oauth.ResourceServer, len(c.ResourceServers))
	for i, rs := range c.ResourceServers {
		servers[i] = oauth.ResourceServer{ID: rs.ID, Secret: rs.Secret.Reveal()}
	}
	return oauth.Config{
		Issuer:                c.Issuer,
		UserDomains:           slices.Clone(c.XMPP.UserDomains),
		AccessTokenTTL:        time.Duration(c.Tokens.AccessTokenTTL),
		RefreshTokenTTL:       time.Duration(c.Tokens.RefreshTokenTTL),
		IDTokenTTL:            time.Duration(c.Tokens.IDTokenTTL),
		AuthCodeTTL:           time.Duration(c.Tokens.AuthCodeTTL),
		DeviceCodeTTL:         time.Duration(c.Device.CodeTTL),
		DevicePollInterval:    time.Duration(c.Device.PollInterval),
		SignInTTL:             time.Duration(c.Tokens.SignInTTL),
		GrantTypes:            slices.Clone(c.GrantTypes),
		OpenRegistration:      c.Registration.Open,
		InitialAccessTokens:   tokens,
		ExtraScopes:           maps.Clone(c.Scopes),
		ResourceServers:       servers,
		DeviceVerificationURI: c.Device.VerificationURI,
		KeyPublishDelay:       time.Duration(c.Keys.PublishDelay),
		Limits: oauth.Limits{
			UserCodeAttempts:      oauth.Rate(c.Limits.UserCodeAttempts),
			UserCodeAttemptsTotal: oauth.Rate(c.Limits.UserCodeAttemptsTotal),
			ClientAuthFailures:    oauth.Rate(c.Limits.ClientAuthFailures),
			SignInPushes:          oauth.Rate(c.Limits.SignInPushes),
		},
	}
}
