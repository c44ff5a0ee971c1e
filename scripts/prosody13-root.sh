#!/usr/bin/env bash
# scripts/prosody13-root.sh makes the Debian trixie root in which the
# integration tests run Prosody 13 (Debian 12 ships Prosody 0.12; the tests
# run both). internal/prosodytest starts Prosody in it with chroot, on
# 127.0.0.1, with its configuration and data in a temporary directory under
# the root's /tmp. Nothing is mounted into the root and nothing runs in it
# between tests.
#
# The root is "debootstrap --variant=minbase trixie" plus the prosody
# package (without its recommends but lua-unbound), about 230 MB, made
# once in about two minutes and kept for later runs:
#
#   $XMPPOAUTH_PROSODY13_ROOT            when set (the tests read it too), else
#   ${XDG_CACHE_HOME:-$HOME/.cache}/xmppoauth/prosody13-trixie
#
# It prints the root's path on standard output (progress goes to standard
# error) and exits 0 when the root is ready. Where it cannot be made here
# (chroot needs root, so does debootstrap) it prints why on standard output
# and exits 3: the tests then skip Prosody 13 with that message. Any other
# failure (the mirror unreachable, say) exits 1. The Debian mirror is
# $XMPPOAUTH_DEBIAN_MIRROR, by default http://deb.debian.org/debian
# (debootstrap checks the release's signature with the archive keyring).
#
# Delete the directory to have it made again (e.g. for a newer trixie
# Prosody); builds by concurrent runs wait for each other on a lock file
# beside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# ready is the file that marks a finished root; it holds Prosody's version.
ready=.xmppoauth-prosody13

skip() {
	echo "$*"
	exit 3
}

if [ -n "${XMPPOAUTH_PROSODY13_ROOT:-}" ]; then
	root=$XMPPOAUTH_PROSODY13_ROOT
else
	cache=${XDG_CACHE_HOME:-}
	if [ -z "$cache" ]; then
		[ -n "${HOME:-}" ] || fail "neither XDG_CACHE_HOME nor HOME is set: set XMPPOAUTH_PROSODY13_ROOT to where the root should go"
		cache=$HOME/.cache
	fi
	root=$cache/xmppoauth/prosody13-trixie
fi

if [ -f "$root/$ready" ] && [ -x "$root/usr/bin/prosody" ]; then
	echo "Prosody $(cat "$root/$ready") in the Debian trixie root $root (kept from an earlier run)" >&2
	echo "$root"
	exit 0
fi

# The tests run Prosody with chroot(2), which needs root (CAP_SYS_CHROOT);
# so does debootstrap.
[ "$(id -u)" -eq 0 ] || skip "running Prosody 13 in a Debian trixie root needs root (chroot), and this runs as $(id -un)"
chroot / true 2>/dev/null || skip "chroot does not work here (no CAP_SYS_CHROOT?)"
ensure_packages debootstrap:debootstrap >&2

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9
if [ -f "$root/$ready" ] && [ -x "$root/usr/bin/prosody" ]; then
	# Another run made it while this one waited.
	echo "$root"
	exit 0
fi

mirror=${XMPPOAUTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tmp=$root.tmp.$$
log=$root.log
if [ -e "$root" ]; then
	# Not a finished root (that was checked above under the lock): a
	# directory of someone else's is never removed, an empty one is.
	rmdir "$root" 2>/dev/null || fail "$root exists but is not a root this script finished; remove it or choose another XMPPOAUTH_PROSODY13_ROOT"
fi
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
step "Making a Debian trixie root with Prosody 13 in $root (debootstrap from $mirror; log: $log)" >&2
if ! debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	fail "debootstrap trixie failed; see $log"
fi
# Installing packages must not start their services in the root.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 0755 "$tmp/usr/sbin/policy-rc.d"
# apt-get, not debootstrap --include: debootstrap does not resolve the
# virtual packages prosody depends on (lua5.4-sec, lua5.4-socket). Of the
# recommends, lua-unbound (Prosody's DNS resolver, which prosodyctl asks
# for) and nothing else.
if ! chroot "$tmp" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \
	apt-get install -y -q --no-install-recommends prosody lua-unbound </dev/null >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	fail "installing prosody in the trixie root failed; see $log"
fi
chroot "$tmp" apt-get clean >>"$log" 2>&1
version=$(cat "$tmp/usr/lib/prosody/prosody.version")
echo "$version" >"$tmp/$ready"
mv "$tmp" "$root"
trap - EXIT
echo "Prosody $version in $root: made in $((SECONDS - start)) s, $(du -sh "$root" | cut -f1)" >&2
echo "$root"
