#!/usr/bin/env bash
# scripts/test.sh runs every check and test of xmppoauth; it is what CI runs
# (.ci/run). On a fresh Debian 12 with Go it first installs what the tests
# need (Prosody and ejabberd, with ejabberd's OAuth library, for the XMPP
# integration tests; it does not leave the system services running; Chromium
# for the real-browser tests, which write screenshots of every page into
# $XMPPOAUTH_SCREENSHOTS when it is set), and makes the Debian trixie root
# in which the tests run Prosody 13 (scripts/prosody13-root.sh: once, about
# two minutes and 230 MB, kept under ~/.cache/xmppoauth; where it cannot be
# made, the Prosody 13 tests skip and say why). Then, in
# order, stopping at the first failure:
#
#   1. gofmt -l .                              must list nothing
#   2. go vet ./... (plain and with -tags integration)
#   3. go test -race -count=1 ./...            unit tests
#   4. go test -count=1 -tags integration ./...  adds the tests against a real
#                                              Prosody and ejabberd (files
#                                              tagged integration)
#
# It needs no input and may be run again at will.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

export DEBIAN_FRONTEND=noninteractive
start=$SECONDS

command -v go >/dev/null 2>&1 || fail "go is not installed; install Go $(sed -n 's/^go //p' go.mod) or newer"
ensure_packages prosody:prosody chromium:chromium
ensure_debs ejabberd erlang-p1-oauth2
echo "Using $(go version); prosody $(dpkg-query -W -f='${Version}' prosody 2>/dev/null || echo '(not from a package)') at $(command -v prosody); ejabberd $(dpkg-query -W -f='${Version}' ejabberd)"

step "Prosody 13 (a Debian trixie root for the tests)"
if [ -z "${XMPPOAUTH_PROSODY13_ROOT:-}${XDG_CACHE_HOME:-}${HOME:-}" ]; then
	# No cache directory to keep it in: make it for this run only.
	p13tmp=$(mktemp -d)
	trap 'rm -rf "$p13tmp"' EXIT
	export XMPPOAUTH_PROSODY13_ROOT=$p13tmp/prosody13-trixie
fi
p13rc=0
p13=$(bash scripts/prosody13-root.sh) || p13rc=$?
case $p13rc in
0) export XMPPOAUTH_PROSODY13_ROOT=$p13 ;;
3)
	echo "The Prosody 13 tests will be skipped: $p13"
	export XMPPOAUTH_PROSODY13_SKIP=$p13
	;;
*) fail "scripts/prosody13-root.sh could not make the Prosody 13 root" ;;
esac

step "gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	printf '%s\n' "$unformatted" >&2
	fail "gofmt: these files need gofmt -w"
fi
echo "ok"

step "go vet"
go vet ./... || fail "go vet"
go vet -tags integration ./... || fail "go vet -tags integration"
echo "ok"

step "go test -race (unit tests)"
go test -race -count=1 -timeout 20m ./... || fail "unit tests"

step "go test -tags integration (against a real Prosody and ejabberd)"
go test -count=1 -timeout 30m -tags integration ./... || fail "integration tests"

printf '\nAll checks passed (%ds).\n' $((SECONDS - start))
