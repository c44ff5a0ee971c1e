// Package prosodytest starts a throwaway Prosody XMPP server for integration
// tests: one VirtualHost with plain-text SASL PLAIN over unencrypted c2s on
// loopback (RFC 6120 without TLS, which Prosody allows only when told to) and
// one XEP-0114 external component listener with a shared secret.
//
// Each [Start] gets its own directory from t.TempDir() holding the generated
// prosody.cfg.lua, the data store, the pid file and the log, and its own ports
// picked by listening on 127.0.0.1:0. The server runs in the foreground
// (prosody -F) in its own process group, which is killed when the test ends.
//
// Tests that use this package live in files tagged
//
//	//go:build integration
//
// and have names starting with TestIntegration. A run that asked for those
// tests fails, rather than skips, when the prosody binary is missing: the
// binary is taken from $PROSODY if set, otherwise from $PATH.
package prosodytest
