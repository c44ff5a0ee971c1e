// Package prosodytest starts a throwaway Prosody XMPP server for integration
// tests: one VirtualHost with plain-text SASL PLAIN over unencrypted c2s on
// loopback (RFC 6120 without TLS, which Prosody allows only when told to) and
// one XEP-0114 external component listener with a shared secret.
//
// Each [Start] gets its own directory holding the generated
// prosody.cfg.lua, the data store, the pid file and the log, and its own
// ports picked by listening on 127.0.0.1:0. The server runs in the
// foreground (prosody -F) in its own process group, which is killed when
// the test ends.
//
// Two versions run: Debian 12's Prosody 0.12 from the system, and Prosody 13
// ([Prosody13]) from a Debian trixie root that scripts/prosody13-root.sh
// makes with debootstrap, into which Prosody and prosodyctl are chrooted
// ([WithRoot]). The server's directory is then under the root's /tmp, and
// the configuration names its paths as Prosody sees them. chroot shares the
// host's network, so the ports are on the host's loopback like 0.12's.
// What differs in the configuration: 13 deprecates mod_posix, which 0.12
// needs for a clean stop on SIGTERM.
//
// The options add what a test of Prosody modules needs: the authentication
// provider ([WithAuthentication]; internal_hashed gives SCRAM), more
// modules ([WithModules]), a directory of modules of our own
// ([WithPlugins], e.g. contrib/prosody) and VirtualHost settings
// ([WithHostOption]). [Server.Ctl] runs prosodyctl against the server's
// configuration.
//
// Tests that use this package live in files tagged
//
//	//go:build integration
//
// and have names starting with TestIntegration. A run that asked for those
// tests fails, rather than skips, when the prosody binary is missing: the
// binary is taken from $PROSODY if set, otherwise from $PATH. Prosody 13
// skips, saying why, only where its root cannot be made (see [Prosody13]).
package prosodytest
