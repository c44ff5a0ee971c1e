#!/usr/bin/env bash
# scripts/demo.sh runs xmppoauth on this machine against a throwaway Prosody,
# everything on loopback:
#
#   - installs prosody (and curl, for trying it out) when missing;
#   - writes a Prosody configuration into ./demo/prosody (wiped on each run):
#     VirtualHost "localhost" with the user alice@localhost and a random
#     password, and Component "auth.localhost" with a random secret;
#   - starts that Prosody (c2s on 127.0.0.1:5222, or the next free port;
#     component port 127.0.0.1:5347);
#   - builds xmppoauth and runs it with config.yaml, the component secret in
#     XMPPOAUTH_COMPONENT_SECRET;
#   - prints how to try a device flow, then runs until Ctrl-C, when it stops
#     both.
#
# If port 5347 or 8080 is taken, it writes ./demo/config.yaml, a copy of
# config.yaml with free ports, and uses that instead. xmppoauth keeps its data
# in data_dir (./data with config.yaml), which outlives the demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

root=$PWD
demo=$root/demo
pdir=$demo/prosody
config=$root/config.yaml
domain=localhost
component=auth.localhost

command -v go >/dev/null 2>&1 || fail "go is not installed; install Go $(sed -n 's/^go //p' go.mod) or newer"
ensure_packages prosody:prosody prosodyctl:prosody curl:curl

step "Building xmppoauth"
mkdir -p "$demo"
go build -o "$demo/xmppoauth" . || fail "go build"

step "Choosing ports"
c2s_port=$(free_port 5222)
comp_port=5347
http_port=8080
if ! port_free "$comp_port" || ! port_free "$http_port"; then
	port_free "$comp_port" || comp_port=$(free_port 15347)
	port_free "$http_port" || http_port=$(free_port 18080)
	sed -e "s/127\.0\.0\.1:5347/127.0.0.1:$comp_port/g" \
		-e "s/127\.0\.0\.1:8080/127.0.0.1:$http_port/g" "$config" >"$demo/config.yaml"
	config=$demo/config.yaml
	echo "Port 5347 or 8080 is taken; using $config (component port $comp_port, HTTP port $http_port)"
fi
issuer=http://127.0.0.1:$http_port
echo "c2s 127.0.0.1:$c2s_port, component 127.0.0.1:$comp_port, HTTP 127.0.0.1:$http_port"

step "Configuring a throwaway Prosody in $pdir"
rm -rf "$pdir"
mkdir -p "$pdir/data" "$pdir/certs"
chmod 700 "$pdir"
secret=$(random_hex 24)
password=$(random_hex 8)
cat >"$pdir/prosody.cfg.lua" <<LUA
-- Written by scripts/demo.sh; removed on its next run.
-- The demo may run as root (a fresh CI machine); Prosody refuses that
-- unless told, and then does not switch to the prosody user.
run_as_root = true
pidfile = "$pdir/prosody.pid"
data_path = "$pdir/data"
certificates = "$pdir/certs"
log = { { levels = { min = "info" }, to = "file", filename = "$pdir/prosody.log" } }

modules_enabled = {
	"disco"; "roster"; "saslauth"; "ping"; "carbons"; "pep"; "private";
	"vcard4"; "vcard_legacy"; "version"; "uptime"; "time";
}
modules_disabled = { "s2s" }

-- Everything on loopback only.
c2s_ports = { $c2s_port }
c2s_interfaces = { "127.0.0.1" }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
component_ports = { $comp_port }
component_interfaces = { "127.0.0.1" }

-- No TLS certificate here: allow passwords over plain TCP, which is
-- acceptable only because nothing leaves 127.0.0.1.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"
plugin_paths = { "$root/contrib/prosody" }

VirtualHost "$domain"
	-- Apps log in with xmppoauth's tokens (SASL OAUTHBEARER) beside the
	-- passwords: contrib/prosody/mod_xmppoauth.lua, docs/prosody.md.
	modules_enabled = { "xmppoauth" }
	xmppoauth_issuer = "$issuer"

-- xmppoauth attaches here (XEP-0114).
Component "$component"
	component_secret = "$secret"
LUA
prosodyctl --config "$pdir/prosody.cfg.lua" register alice "$domain" "$password" >/dev/null 2>&1 ||
	fail "prosodyctl register alice@$domain"

pids=()
# cleanup stops what this script started, by process id.
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	trap - EXIT INT TERM
	local pid
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	[ ${#pids[@]} -gt 0 ] && echo "Stopped xmppoauth and Prosody."
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port waits until 127.0.0.1:$1 accepts connections, failing if process
# $2 ($3, logging to $4) exits first.
wait_port() {
	local _
	for _ in $(seq 1 300); do
		port_free "$1" || return 0
		if ! kill -0 "$2" 2>/dev/null; then
			[ -f "$4" ] && tail -n 20 "$4" >&2
			fail "$3 exited during start-up (log: $4)"
		fi
		sleep 0.1
	done
	fail "$3 did not listen on 127.0.0.1:$1 within 30s (log: $4)"
}

step "Starting Prosody"
prosody --config "$pdir/prosody.cfg.lua" -F >"$pdir/stdout.log" 2>&1 &
pids+=($!)
wait_port "$comp_port" "${pids[0]}" Prosody "$pdir/prosody.log"
echo "Prosody is up (log: $pdir/prosody.log)"

step "Starting xmppoauth ($demo/xmppoauth -config $config)"
XMPPOAUTH_COMPONENT_SECRET=$secret "$demo/xmppoauth" -config "$config" &
pids+=($!)
wait_port "$http_port" "${pids[1]}" xmppoauth "(its output above)"

cat <<EOF

--------------------------------------------------------------------------
xmppoauth is running.

  Issuer      $issuer
  Discovery   $issuer/.well-known/openid-configuration
  Prosody     c2s 127.0.0.1:$c2s_port (plain passwords allowed, loopback only)
              component $component on 127.0.0.1:$comp_port
  Demo user   alice@$domain   password: $password

Try the device flow (RFC 8628):

1. Register a public client for a device:

   curl -s $issuer/register -H 'Content-Type: application/json' \\
     -d '{"client_name":"Demo TV","application_type":"native","token_endpoint_auth_method":"none","grant_types":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"]}'

2. Start a device authorization with the client_id it returned:

   curl -s $issuer/device_authorization -d client_id=CLIENT_ID -d 'scope=openid offline_access'

3. As alice, sign in with a chat client (Gajim, Dino, Profanity, ...) to
   server 127.0.0.1 port $c2s_port as alice@$domain, allowing an unencrypted
   connection. Open verification_uri_complete from step 2 in a browser and
   enter alice@$domain: $component sends alice an approval request in chat,
   and she approves it there.

4. Meanwhile the device polls for its tokens (every "interval" seconds):

   curl -s $issuer/token -d grant_type=urn:ietf:params:oauth:grant-type:device_code \\
     -d client_id=CLIENT_ID -d device_code=DEVICE_CODE

   With 'scope=xmpp offline_access' in step 2, the access token logs in to
   alice's account on 127.0.0.1:$c2s_port with SASL OAUTHBEARER
   (docs/clients.md) until she revokes the app in chat.

Press Ctrl-C to stop xmppoauth and Prosody.
--------------------------------------------------------------------------
EOF

# Run until either process ends (or Ctrl-C); the EXIT trap stops the other.
status=0
wait -n "${pids[@]}" || status=$?
echo "A process exited (status $status); stopping the demo." >&2
exit "$status"
