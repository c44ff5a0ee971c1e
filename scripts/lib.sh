# shellcheck shell=bash
# Shared helpers of scripts/test.sh and scripts/demo.sh; sourced, not run.

# step prints a heading for what happens next.
step() { printf '\n==> %s\n' "$*"; }

# fail prints a message to stderr and exits non-zero.
fail() {
	printf '\nFAIL: %s\n' "$*" >&2
	exit 1
}

# as_root runs a command as root: directly when we are root, through sudo
# otherwise (installing packages needs it).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		fail "need root to run: $* (run as root or install sudo)"
	fi
}

# ensure_packages installs the Debian packages whose commands are missing.
# Arguments are command:package pairs, e.g. prosody:prosody curl:curl. It
# runs apt-get update once, and only when something is missing (apt_install).
ensure_packages() {
	local missing=() pair
	for pair in "$@"; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
	done
	apt_install "${missing[@]}"
}

# stop_system_prosody stops the Prosody service that the package may have
# started. It is left installed and enabled: only this run's copy is stopped.
stop_system_prosody() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		if systemctl is-active --quiet prosody 2>/dev/null; then
			echo "Stopping the system Prosody that the package started (systemctl stop prosody)"
			as_root systemctl stop prosody || true
		fi
	elif [ -x /etc/init.d/prosody ]; then
		if as_root /etc/init.d/prosody status >/dev/null 2>&1; then
			echo "Stopping the system Prosody that the package started (/etc/init.d/prosody stop)"
			as_root /etc/init.d/prosody stop || true
		fi
	fi
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port prints the first free port from $1 upwards.
free_port() {
	local p=$1
	while ! port_free "$p"; do
		p=$((p + 1))
		[ "$p" -gt $(($1 + 200)) ] && fail "no free port between $1 and $p"
	done
	echo "$p"
}

# random_hex prints $1 random bytes in hex.
random_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# ensure_debs installs the Debian packages among $@ that are not installed.
ensure_debs() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	apt_install "${missing[@]}"
}

# apt_install installs the Debian packages $@, if any, with one apt-get
# update. A system Prosody or ejabberd that a new package started is stopped
# again: tests and the demo run their own on loopback, and the system ones
# would hold the XMPP ports.
apt_install() {
	[ $# -eq 0 ] && return 0
	command -v apt-get >/dev/null 2>&1 || fail "missing $* and no apt-get to install it; install it by hand"
	step "Installing $* (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -q
	as_root apt-get install -y -q "$@" </dev/null
	case " $* " in *" prosody "*) stop_system_prosody ;; esac
	case " $* " in *" ejabberd "*) stop_system_ejabberd ;; esac
}

# stop_system_ejabberd stops the ejabberd the package may have started (it
# holds 5222, 5269, 5280, 5443). Not via "/etc/init.d/ejabberd status": that
# runs ejabberdctl, which leaves an epmd daemon on 0.0.0.0:4369.
stop_system_ejabberd() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		systemctl is-active --quiet ejabberd 2>/dev/null && { echo "Stopping the system ejabberd (systemctl stop ejabberd)"; as_root systemctl stop ejabberd || true; }
	elif [ -x /etc/init.d/ejabberd ] && pgrep -f 'sname ejabberd@localhost' >/dev/null 2>&1; then
		echo "Stopping the system ejabberd (/etc/init.d/ejabberd stop)"; as_root /etc/init.d/ejabberd stop || true
	fi
}
