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

-- Optional, Prosody 0.12 and 13: log in to XMPP with xmppoauth's access
-- tokens (SASL OAUTHBEARER) beside the passwords, with the module next to
-- this file: install -D -m 0644 mod_xmppoauth.lua
-- /usr/local/lib/prosody/modules/mod_xmppoauth.lua (Debian's plugin_paths).
-- Move these lines into your existing VirtualHost "example.org" block;
-- keep its authentication as it is. See docs/prosody.md.
--
-- VirtualHost "example.org"
-- 	modules_enabled = { "xmppoauth" }
-- 	xmppoauth_issuer = "https://auth.example.org"
-- 	-- Optional: where Prosody reaches xmppoauth, if not at the issuer.
-- 	-- xmppoauth_check_url = "http://127.0.0.1:8080/xmpp/userinfo"
