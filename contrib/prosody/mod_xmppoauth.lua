-- mod_xmppoauth: log in to XMPP with xmppoauth's access tokens.
--
-- Adds SASL OAUTHBEARER (RFC 7628; XEP-0493 names the scopes) to the
-- VirtualHost it is loaded on, beside whatever the host's authentication
-- provider offers: with internal_hashed, PLAIN and SCRAM keep working, and
-- so does prosodyctl register. Each token an OAUTHBEARER login presents is
-- checked with xmppoauth at <issuer>/xmpp/userinfo?domain=<this host>,
-- which accepts only a live access token of a user of this host that
-- carries the xmpp or xmpp:client:normal scope. Nothing is cached: a token
-- the user revoked in chat fails at its next login.
--
-- Works on Prosody 0.12 and 13:
--   * 0.12's util.sasl has no OAUTHBEARER; this module registers the
--     mechanism there (RFC 7628 §3.1 client response, §3.2.2 error
--     challenge, §3.2.3 dummy response).
--   * 13's util.sasl has it, and internal_hashed offers it for Prosody's
--     own tokens (mod_tokenauth, "secret-token:…"). This module keeps that
--     mechanism and puts its check in front of Prosody's: tokens of
--     Prosody's own format go to Prosody's check as before, and are never
--     sent to xmppoauth; every other token is checked with xmppoauth.
--
-- Configuration (docs/prosody.md in the xmppoauth repository):
--
--   VirtualHost "example.org"
--       modules_enabled = { "xmppoauth" }
--       xmppoauth_issuer = "https://auth.example.org"  -- xmppoauth's issuer
--       -- optional:
--       xmppoauth_check_url = "http://127.0.0.1:8080/xmpp/userinfo"
--       xmppoauth_timeout = 10  -- seconds
--
-- https is required for both URLs, except on loopback.

local async = require "util.async";
local http = require "net.http";
local json = require "util.json";
local jid_util = require "util.jid";
local sasl = require "util.sasl";
local timer = require "util.timer";
local urlencode = require "util.http".urlencode;
local url = require "socket.url";
local usermanager = require "core.usermanager";

local host = module.host;

if module:get_host_type() ~= "local" then
	error("mod_xmppoauth belongs in a VirtualHost section, not on " .. host);
end

-- is_loopback tells whether a URL's host is this machine.
local function is_loopback(name)
	name = name and name:lower():gsub("^%[(.*)%]$", "%1");
	return name == "localhost" or name == "::1" or (name and name:match("^127%.%d+%.%d+%.%d+$") ~= nil);
end

-- checked_url returns u if it is an absolute https URL, or http on
-- loopback, without credentials or fragment; else it raises an error
-- naming the option.
local function checked_url(option, u)
	local parsed = type(u) == "string" and url.parse(u);
	if not (parsed and parsed.scheme and parsed.host) then
		error(("%s = %q is not an absolute URL"):format(option, tostring(u)));
	end
	if parsed.userinfo or parsed.fragment then
		error(("%s must not hold credentials or a fragment"):format(option));
	end
	local scheme = parsed.scheme:lower();
	if not (scheme == "https" or (scheme == "http" and is_loopback(parsed.host))) then
		error(("%s must be an https URL (plain http only to 127.0.0.1, ::1 or localhost), not %s"):format(option, u));
	end
	return u, parsed;
end

local issuer = module:get_option_string("xmppoauth_issuer");
if not issuer then
	error("xmppoauth_issuer is not set: give xmppoauth's issuer URL, e.g. xmppoauth_issuer = \"https://auth.example.org\"");
end
issuer = checked_url("xmppoauth_issuer", (issuer:gsub("/+$", "")));

local check_url, check_parsed = checked_url("xmppoauth_check_url",
	module:get_option_string("xmppoauth_check_url", issuer .. "/xmpp/userinfo"));
if check_parsed.query and ("&" .. check_parsed.query):find("&domain=", 1, true) then
	error("xmppoauth_check_url must not set domain=: the module adds this host's name");
end
-- The domain query parameter makes xmppoauth accept only tokens of users of
-- this host: Prosody logs in the localpart on this host.
local endpoint = check_url .. (check_parsed.query and "&" or "?") .. "domain=" .. urlencode(host);

local timeout = module:get_option_number("xmppoauth_timeout", 10);
if not (timeout > 0 and timeout <= 300) then
	error("xmppoauth_timeout must be between 0 and 300 seconds");
end

-- The OpenID Provider Configuration (OIDC Discovery §4) that refusals name,
-- so that clients learn where to get a token (RFC 7628 §3.2.2).
local discovery = issuer .. "/.well-known/openid-configuration";

-- The scope refusals tell clients to ask for (XEP-0493).
local login_scope = "xmpp";

-- Longest token sent to xmppoauth; its JWTs are about a kilobyte.
local max_token = 8192;

local fault_text = "The token could not be checked now; try again later";

-- refusal is the error of RFC 7628 §3.2.2 in the shape util.sasl's
-- OAUTHBEARER (Prosody 13's and ours) turns into the JSON challenge.
local function refusal(status, scope)
	return { status = status; scope = scope or login_scope; oidc_discovery_url = discovery };
end

-- The statuses xmppoauth may answer (RFC 6750 §3.1), relayed as they are.
local known_status = { invalid_token = true; insufficient_scope = true; invalid_request = true };

-- ask sends token to xmppoauth and waits, without blocking Prosody, for
-- the answer or the timeout. It returns the HTTP status and body, or nil
-- and what went wrong.
local function ask(token)
	if not async.ready() then
		return nil, "not called from an async runner";
	end
	local wait, done = async.waiter();
	local finished, code, body, err = false, nil, nil, nil;
	local request;
	local function finish(c, b, e)
		if finished then return; end
		finished, code, body, err = true, c, b, e;
		done();
	end
	local timed_out = false;
	local timer_id = timer.add_task(timeout, function ()
		timed_out = true;
		if not finished then
			finish(nil, nil, ("no answer within %g s"):format(timeout));
			if request and request.conn then request.conn:close(); end
		end
	end);
	request = http.request(endpoint, {
		method = "GET";
		headers = { ["Authorization"] = "Bearer " .. token; ["Accept"] = "application/json" };
	}, function (response_body, response_code)
		if response_code == 0 then
			finish(nil, nil, tostring(response_body));
		else
			finish(response_code, response_body);
		end
	end);
	wait();
	if not timed_out then timer.stop(timer_id); end
	return code, body or err;
end

-- check asks xmppoauth about token. It returns the localpart the token
-- logs in as; or nil and the refusal; or nil, nil and the fault.
local function check(token)
	local code, body = ask(token);
	if not code then
		return nil, nil, "xmppoauth did not answer: " .. tostring(body);
	end
	local answer = json.decode(body or "");
	if type(answer) ~= "table" then answer = nil; end
	if code == 200 then
		local node, domain, resource;
		if answer and type(answer.jid) == "string" then
			node, domain, resource = jid_util.prepped_split(answer.jid);
		end
		if not node or domain ~= host or resource then
			return nil, nil, ("xmppoauth's answer names %q, not an account of %s"):format(tostring(answer and answer.jid), host);
		end
		return node;
	elseif code == 401 or code == 403 then
		local status = answer and answer.status;
		if not known_status[status] then status = "invalid_token"; end
		local scope = answer and answer.scope;
		if type(scope) ~= "string" or #scope > 256 or not scope:find("^[%w%-%._:/ ]+$") then scope = nil; end
		return nil, refusal(status, scope);
	end
	return nil, nil, ("xmppoauth answered HTTP %d%s"):format(code, answer and answer.error and (" " .. tostring(answer.error)) or "");
end

-- names_user tells whether the authorization identity of the GS2 header
-- (RFC 7628 §3.1; "=2C" and "=3D" escape "," and "=") names username's
-- account here, as a bare JID. An empty one names the token's own user.
local function names_user(authzid, username)
	if authzid == nil or authzid == "" then return true; end
	authzid = authzid:gsub("=2[Cc]", ","):gsub("=3[Dd]", "=");
	local node, domain, resource = jid_util.prepped_split(authzid);
	return node == username and domain == host and resource == nil;
end

-- printable makes client-chosen text safe for one log line.
local function printable(text)
	return (tostring(text):sub(1, 100):gsub("%c", "?"));
end

-- Backends of ours, so that a handler is never extended twice.
local our_backends = setmetatable({}, { __mode = "k" });

-- new_backend returns the "oauthbearer" SASL backend (the profile function
-- util.sasl's OAUTHBEARER calls with the token, the realm and the authzid:
-- username, true on success; nil, nil, refusal; nil, false for a disabled
-- account), in front of the provider's own, prosody_backend, if any.
local function new_backend(prosody_backend)
	local function backend(sasl_handler, token, realm, authzid)
		if type(token) == "string" and token:find("^secret%-token:") then
			-- Prosody's own token (mod_tokenauth): Prosody checks it.
			if not prosody_backend then
				return nil, nil, refusal("invalid_token");
			end
			local username, state, info = prosody_backend(sasl_handler, token, realm, authzid);
			if type(username) == "string" and state and not names_user(authzid, username) then
				module:log("debug", "OAUTHBEARER: a Prosody token of %s with the authzid %s refused", username, printable(authzid));
				-- Not xmppoauth's scope and discovery: the token is Prosody's.
				return nil, nil, { status = "invalid_token" };
			end
			return username, state, info;
		end
		-- RFC 6750 §2.1 b64token; anything else would also be unsafe in the
		-- HTTP header it goes into.
		if type(token) ~= "string" or #token > max_token or not token:find("^[%w%-%._~%+/]+=*$") then
			return nil, nil, refusal("invalid_request");
		end
		local username, refused, fault = check(token);
		if fault then
			module:log("warn", "OAUTHBEARER login not checked: %s", fault);
			sasl_handler.xmppoauth_fault = fault;
			return nil, false;
		end
		if not username then
			module:log("debug", "OAUTHBEARER: xmppoauth refused the token: %s", refused.status);
			return nil, nil, refused;
		end
		if not names_user(authzid, username) then
			module:log("debug", "OAUTHBEARER: a token of %s with the authzid %s refused", username, printable(authzid));
			return nil, nil, refusal("invalid_token");
		end
		if not usermanager.user_exists(username, host) then
			module:log("debug", "OAUTHBEARER: a token of %s, who has no account here, refused", username);
			return nil, nil, refusal("invalid_token");
		end
		if usermanager.user_is_enabled and not usermanager.user_is_enabled(username, host) then
			return nil, false;
		end
		module:log("debug", "OAUTHBEARER: xmppoauth accepted a token of %s", username);
		return username, true;
	end
	our_backends[backend] = true;
	return backend;
end

-- oauthbearer is the OAUTHBEARER mechanism (RFC 7628) for Prosody 0.12,
-- whose util.sasl lacks it; it keeps the backend contract of Prosody 13's.
local function oauthbearer(self, message)
	if not message then
		return "failure", "malformed-request";
	end
	if message == "\001" then
		-- The client's dummy response to the error challenge (§3.2.3).
		return "failure", "not-authorized";
	end
	-- gs2-header kvsep *kvpair kvsep (§3.1); no channel binding.
	local authzid_field, pairs_field = message:match("^[ny],([^,]*),\001(.*)$");
	if not authzid_field or pairs_field:sub(-1) ~= "\001" then
		return "failure", "malformed-request";
	end
	local authzid;
	if authzid_field ~= "" then
		authzid = authzid_field:match("^a=(.+)$");
		if not authzid then
			return "failure", "malformed-request";
		end
	end
	local token;
	local kvpairs = pairs_field:sub(1, -2);
	if kvpairs ~= "" and kvpairs:sub(-1) ~= "\001" then
		return "failure", "malformed-request";
	end
	for pair in kvpairs:gmatch("([^\001]*)\001") do
		local key, value = pair:match("^(%a+)=(.*)$");
		if not key then
			return "failure", "malformed-request";
		end
		if key == "auth" then
			token = value:match("^[Bb][Ee][Aa][Rr][Ee][Rr] +(.+)$");
		end
	end
	local username, state, info = self.profile.oauthbearer(self, token, self.realm, authzid);
	if self.xmppoauth_fault then
		return "failure", "temporary-auth-failure", fault_text;
	elseif state == false then
		return "failure", "account-disabled";
	elseif not (state and username) then
		info = info or refusal("invalid_token");
		return "challenge", json.encode({
			status = info.status or "invalid_token";
			scope = info.scope;
			["openid-configuration"] = info.oidc_discovery_url;
		});
	end
	self.username = username;
	return "success";
end

-- Prosody 0.12: register the mechanism, once per process (util.sasl keeps
-- it); 13 has its own, which is kept.
if not sasl.new(host, { oauthbearer = function () end }):mechanisms().OAUTHBEARER then
	sasl.registerMechanism("OAUTHBEARER", { "oauthbearer" }, oauthbearer);
	module:log("debug", "Registered SASL OAUTHBEARER, which this Prosody lacks");
end

-- extend adds OAUTHBEARER, checked by a backend of ours, to a SASL handler
-- the auth provider made. It works on copies of the profile and the
-- mechanism set, which may be the provider's own.
local function extend(handler)
	if type(handler) ~= "table" or type(handler.profile) ~= "table" or our_backends[handler.profile.oauthbearer] then
		return handler;
	end
	local profile, mechanisms = {}, {};
	for k, v in pairs(handler.profile) do profile[k] = v; end
	for name in pairs(handler.mechs or {}) do mechanisms[name] = true; end
	profile.oauthbearer = new_backend(handler.profile.oauthbearer);
	mechanisms.OAUTHBEARER = true;
	profile.mechanisms = mechanisms;
	handler.profile, handler.mechs = profile, mechanisms;
	return handler;
end

-- The providers whose get_sasl_handler is wrapped, with the original.
local wrapped = {};

-- wrap makes the host's auth provider's SASL handlers offer OAUTHBEARER.
-- Every SASL negotiation (mod_saslauth, and modules that ask the
-- usermanager for a handler) gets its handler there.
local function wrap(provider)
	if type(provider) ~= "table" or wrapped[provider] or provider.name == "null" then return; end
	if provider.name == "anonymous" then
		module:log("warn", "Not adding OAUTHBEARER to the anonymous host %s", host);
		return;
	end
	local original = provider.get_sasl_handler;
	if type(original) ~= "function" then return; end
	wrapped[provider] = original;
	provider.get_sasl_handler = function (...)
		return extend(original(...));
	end
	module:log("info", "OAUTHBEARER logins with xmppoauth's tokens (checked at %s) beside the %s provider", check_url, tostring(provider.name));
end

wrap(prosody.hosts[host].users);
-- A provider loaded (or reloaded) later; the usermanager installs it first.
module:hook("item-added/auth-provider", function ()
	wrap(prosody.hosts[host].users);
end, -10);

-- A check that could not be made is a temporary failure (RFC 6120
-- §6.5.13), not a refused token. Prosody 13's mechanism reports it as a
-- disabled account, and 13 lets this event change the condition; 0.12 gets
-- it from the mechanism above.
module:hook("authentication-failure", function (event)
	local handler = event.session and event.session.sasl_handler;
	if handler and handler.xmppoauth_fault then
		event.condition, event.text = "temporary-auth-failure", fault_text;
	end
end);

function module.unload()
	for provider, original in pairs(wrapped) do
		provider.get_sasl_handler = original;
		wrapped[provider] = nil;
	end
end
