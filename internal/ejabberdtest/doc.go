// Package ejabberdtest starts a throwaway ejabberd XMPP server (Debian 12
// ships 23.01) for integration tests: one virtual host with SASL PLAIN and
// X-OAUTH2 over unencrypted c2s on loopback, one XEP-0114 external component
// listener (ejabberd_service) with a shared secret, and optionally ejabberd's
// REST token backend pointed at xmppoauth ([WithOAuthREST]) and a
// mod_http_api listener that accepts Bearer tokens ([WithHTTPAPI]).
//
// Each [Start] gets its own directory from t.TempDir() holding the generated
// ejabberd.yml and ejabberdctl.cfg, the Mnesia spool, the logs and the Erlang
// cookie, and its own ports picked by listening on 127.0.0.1:0. Accounts are
// created with "ejabberdctl register" once the node runs.
//
// What it takes to run several ejabberd nodes beside each other (and beside
// a system one), learnt from Debian's /usr/sbin/ejabberdctl:
//
//   - The node gets a unique name, ejabberd_test_<random>@localhost, and
//     ejabberdctl is pointed at the test's own files with --config-dir,
//     --config, --ctl-config, --spool and --logs, so nothing is read from
//     /etc/ejabberd or written to /var/lib/ejabberd.
//   - No epmd: ERL_DIST_PORT in ejabberdctl.cfg makes the node listen for
//     Erlang distribution on one fixed (free) port on 127.0.0.1
//     (-erl_epmd_port, -start_epmd false, inet_dist_use_interface), and the
//     ejabberdctl commands find it there. No epmd daemon is started, so none
//     is left behind; if one runs already, the node merely registers with it.
//   - HOME is the test directory, so the Erlang cookie is the test's own.
//   - Run as root, ejabberdctl would switch to the "ejabberd" user, who
//     cannot enter t.TempDir(); ejabberdctl.cfg is a shell fragment sourced
//     after that choice, and sets EXEC_CMD=as_current_user. ejabberdctl
//     refuses other users than root and ejabberd.
//   - The server runs with "ejabberdctl foreground" in its own process
//     group; SIGTERM makes the Erlang VM stop cleanly, and the group is
//     killed if it does not.
//
// What ejabberd 23.01 needs for tokens from xmppoauth:
//
//   - X-OAUTH2 is offered unless the host's only auth method is anonymous,
//     and unless disable_sasl_mechanisms lists it, as Debian's default
//     ejabberd.yml does; a login needs the token's scopes to include
//     sasl_auth and its user to be the one logging in.
//   - oauth_db_type: rest with ext_api_url and ext_api_headers sends every
//     token check to xmppoauth (POST {ext_api_url}/oauth/lookup), and
//     oauth_use_cache: false makes each login ask again, so a revocation
//     takes effect at once.
//   - Debian packages ejabberd's OAuth scope library separately:
//     erlang-p1-oauth2 (only "Suggested" by the ejabberd package). Without
//     it every token check crashes (oauth2_priv_set undefined), so
//     [WithOAuthREST] fails early when it is missing.
//
// Tests that use this package live in files tagged
//
//	//go:build integration
//
// and have names starting with TestIntegration. A run that asked for those
// tests fails, rather than skips, when ejabberd is missing: ejabberdctl is
// taken from $EJABBERDCTL if set, otherwise from $PATH or /usr/sbin.
package ejabberdtest
