-- Prosody: attach xmppoauth as an external component (XEP-0114).
--
-- Put this file in /etc/prosody/conf.d/ (Debian's prosody.cfg.lua includes
-- conf.d/*.cfg.lua), or copy its parts into prosody.cfg.lua: the first part
-- belongs to the global section, before any VirtualHost. Replace
-- auth.example.org and example.org with your domains and the secret with
-- the one xmppoauth has (component.secret_file or
-- XMPPOAUTH_COMPONENT_SECRET; make one with: openssl rand -hex 32).
-- Then: prosodyctl check config && prosodyctl reload
-- See docs/prosody.md and contrib/README.md.

-- Global section: where components connect. Keep the component port on
-- loopback: the shared secret is all that stands between it and anyone who
-- can reach it. xmppoauth's component.address is then 127.0.0.1:5347.
component_ports = { 5347 }
component_interfaces = { "127.0.0.1" }

-- xmppoauth's domain: component.domain in its config.yaml. It must not be
-- one of the user domains (xmpp.user_domains), such as example.org.
Component "auth.example.org"
	component_secret = "THE COMPONENT SECRET"

-- Optional, Prosody 13 with mod_auth_oauth_external: log in to XMPP with
-- xmppoauth's access tokens (SASL OAUTHBEARER). Note that this replaces
-- password logins on the host; read docs/prosody.md first, then move these
-- lines into your existing VirtualHost "example.org" block.
--
-- VirtualHost "example.org"
-- 	authentication = "oauth_external"
-- 	oauth_external_issuer = "https://auth.example.org"
-- 	-- The token check; keep ?domain= equal to this VirtualHost.
-- 	oauth_external_validation_endpoint = "https://auth.example.org/xmpp/userinfo?domain=example.org"
-- 	oauth_external_username_field = "preferred_username"
-- 	oauth_external_scope = "xmpp"
-- 	-- xmppoauth has no password grant: no PLAIN fallback.
-- 	oauth_external_resource_owner_password = false
