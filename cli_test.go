package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// cliResult is what one run of the command line did.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cli runs the command line with args.
func cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return cliResult{code, stdout.String(), stderr.String()}
}

// must runs the command line and fails the test unless it exits 0.
func must(t *testing.T, args ...string) string {
	t.Helper()
	r := cli(t, args...)
	if r.code != 0 {
		t.Fatalf("%s = %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// decode parses a command's -json output.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("output is not the JSON expected: %v\n%s", err, out)
	}
	return v
}

// cliConfig writes a configuration whose data directory is dataDir (a new
// one in t.TempDir() when empty) and returns its path.
func cliConfig(t *testing.T, dataDir, extra string) string {
	t.Helper()
	clearEnv(t)
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "data")
	}
	return writeConfig(t, `
issuer: http://127.0.0.1:8080
component: {secret: s, address: "127.0.0.1:1"}
data_dir: `+dataDir+`
xmpp: {user_domains: [example.org]}
registration: {open: true}
resource_servers: [{id: api, secret: aaaaaaaa-api-secret-0123456789abcdef}]
`+extra)
}

// withCore runs f on the core on the store of the configuration at path,
// opened and built as the commands do, and closes the store.
func withCore(t *testing.T, path string, f func(p *oauth.Provider)) {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := newCore(t.Context(), cfg, db, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f(p)
}

const apiSecret = "aaaaaaaa-api-secret-0123456789abcdef"

var api = oauth.ClientCredentials{ID: "api", Secret: apiSecret, Method: oauth.AuthClientSecretBasic}

func TestCLIUsage(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout when 0, in stderr otherwise
	}{
		{"help lists the commands", []string{"help"}, 0, "tokens issue"},
		{"help of a command", []string{"help", "grants", "revoke"}, 0, "usage: xmppoauth grants revoke -user JID [-all] [GRANT_ID...]"},
		{"help of a group", []string{"help", "clients"}, 0, "xmppoauth clients delete ID"},
		{"-h of a command", []string{"clients", "show", "-h"}, 0, "Example:\n  xmppoauth clients show"},
		{"-h of a group", []string{"keys", "-h"}, 0, "xmppoauth keys rotate"},
		{"-h of serve", []string{"serve", "-h"}, 0, "usage: xmppoauth serve"},
		{"version", []string{"version"}, 0, "xmppoauth " + version},
		{"version as JSON", []string{"version", "-json"}, 0, `"version": "` + version + `"`},
		{"unknown command", []string{"frob"}, 2, `unknown command "frob"`},
		{"help of an unknown command", []string{"help", "frob"}, 2, `unknown command "frob"`},
		{"group without a command", []string{"clients"}, 2, "which one?"},
		{"unknown command in a group", []string{"grants", "frob"}, 2, `unknown command "frob"`},
		{"missing argument", []string{"clients", "show"}, 2, "missing ID"},
		{"extra argument", []string{"clients", "show", "a", "b"}, 2, `unexpected argument "b"`},
		{"unknown flag", []string{"clients", "list", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{"missing user", []string{"grants", "list"}, 2, "-user JID is required"},
		{"revoke neither IDs nor -all", []string{"grants", "revoke", "-user", "a@example.org"}, 2, "either GRANT_IDs or -all"},
		{"revoke both IDs and -all", []string{"grants", "revoke", "-user", "a@example.org", "-all", "x"}, 2, "either GRANT_IDs or -all"},
		{"issue without a scope", []string{"tokens", "issue", "-user", "a@example.org"}, 2, "-scope SCOPES is required"},
		{"bad ttl", []string{"tokens", "issue", "-ttl", "5x"}, 2, `"5x" is not a duration`},
		{"backup without a file", []string{"backup"}, 2, "missing FILE"},
		{"missing configuration", []string{"clients", "list", "-config", filepath.Join(t.TempDir(), "none.yaml")}, 1, "none.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, tc.args...)
			out := r.stdout
			if tc.wantCode != 0 {
				out = r.stderr
			}
			if r.code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Errorf("%q = %d, stdout %q, stderr %q; want %d and %q", tc.args, r.code, r.stdout, r.stderr, tc.wantCode, tc.want)
			}
		})
	}
}

func TestParseTTL(t *testing.T) {
	tests := []struct {
		in   string
		want string // the duration, or "" for an error
	}{
		{"90m", "1h30m0s"}, {"12h", "12h0m0s"}, {"30d", "720h0m0s"},
		{"0", ""}, {"-1h", ""}, {"d", ""}, {"1.5d", ""}, {"x", ""},
	}
	for _, tc := range tests {
		d, err := parseTTL(tc.in)
		if got := d.String(); (err == nil) != (tc.want != "") || (err == nil && got != tc.want) {
			t.Errorf("parseTTL(%q) = %s, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestCLIOffline runs the commands on a stopped service's store.
func TestCLIOffline(t *testing.T) {
	cfgPath := cliConfig(t, "", "")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if r := cli(t, "clients", "list", "-config", cfgPath); r.code != 1 || !strings.Contains(r.stderr, "has the service run with this configuration?") {
		t.Fatalf("clients list without a data directory = %+v, want 1 naming the data directory", r)
	}
	var client oauth.Client
	withCore(t, cfgPath, func(p *oauth.Provider) {
		reg, err := p.Register(t.Context(), oauth.ClientMetadata{ClientName: "Chat Bridge", GrantTypes: []string{oauth.GrantDeviceCode}}, "")
		if err != nil {
			t.Fatal(err)
		}
		client = reg.Client
	})
	c := func(args ...string) []string { return append(args, "-config", cfgPath) }

	t.Run("clients", func(t *testing.T) {
		if out := must(t, c("clients", "list")...); !strings.Contains(out, client.ID) || !strings.Contains(out, "Chat Bridge") {
			t.Errorf("clients list = %q, want the client", out)
		}
		list := decode[[]clientOut](t, must(t, c("clients", "list", "-json")...))
		if len(list) != 1 || list[0].ID != client.ID || list[0].Name != "Chat Bridge" {
			t.Errorf("clients list -json = %+v", list)
		}
		if out := must(t, c("clients", "show", client.ID)...); !strings.Contains(out, "grant_types:") || !strings.Contains(out, oauth.GrantDeviceCode) {
			t.Errorf("clients show = %q", out)
		}
		raw := must(t, c("clients", "show", client.ID, "-json")...)
		if v := decode[clientOut](t, raw); v.ID != client.ID || v.Grants == nil || *v.Grants != 0 || strings.Contains(raw, "hash") {
			t.Errorf("clients show -json = %s, want the client with 0 grants and no hashes", raw)
		}
		if r := cli(t, c("clients", "show", "nope")...); r.code != 1 || !strings.Contains(r.stderr, `there is no client with id "nope"`) {
			t.Errorf("clients show nope = %+v, want 1 naming the id", r)
		}
	})

	t.Run("tokens and grants", func(t *testing.T) {
		tok := decode[oauth.IssuedToken](t, must(t, c("tokens", "issue", "-user", "bot@example.org", "-scope", "xmpp,openid", "-ttl", "2h", "-json")...))
		if tok.AccessToken == "" || tok.ExpiresIn != 7200 || tok.ClientID != oauth.AdminClientID {
			t.Fatalf("tokens issue -json = %+v", tok)
		}
		active := func() bool {
			var in oauth.Introspection
			withCore(t, cfgPath, func(p *oauth.Provider) {
				if in, err = p.Introspect(t.Context(), api, tok.AccessToken, ""); err != nil {
					t.Fatal(err)
				}
			})
			return in.Active
		}
		if !active() {
			t.Fatal("the issued token is not active")
		}
		if out := must(t, c("grants", "list", "-user", "Bot@example.org")...); !strings.Contains(out, oauth.AdminClientName) || !strings.Contains(out, tok.GrantID) {
			t.Errorf("grants list = %q, want the admin's grant", out)
		}
		grants := decode[[]grantOut](t, must(t, c("grants", "list", "-user", "bot@example.org", "-json")...))
		if len(grants) != 1 || grants[0].ID != tok.GrantID || grants[0].ActiveTokens != 1 || grants[0].Via != "admin" {
			t.Errorf("grants list -json = %+v", grants)
		}
		if out := must(t, c("grants", "revoke", "-user", "bot@example.org", tok.GrantID)...); !strings.Contains(out, "Revoked 1 grant of bot@example.org") {
			t.Errorf("grants revoke = %q", out)
		}
		if active() {
			t.Error("the token is still active after grants revoke")
		}
		if r := cli(t, c("grants", "revoke", "-user", "bot@example.org", tok.GrantID)...); r.code != 1 || !strings.Contains(r.stderr, tok.GrantID) {
			t.Errorf("revoking it again = %+v, want 1 naming the grant", r)
		}
		must(t, c("tokens", "issue", "-user", "bot@example.org", "-scope", "xmpp")...)
		if out := must(t, c("grants", "revoke", "-user", "bot@example.org", "-all", "-json")...); decode[map[string]any](t, out)["revoked"] != 1.0 {
			t.Errorf("grants revoke -all -json = %s", out)
		}
		if out := must(t, c("grants", "list", "-user", "bot@example.org")...); !strings.Contains(out, "has authorized no apps") {
			t.Errorf("grants list after revoking all = %q", out)
		}
	})

	t.Run("tokens issue refusals", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"other domain", []string{"-user", "bot@elsewhere.org", "-scope", "xmpp"}, "accounts of elsewhere.org cannot sign in here"},
			{"unknown scope", []string{"-user", "bot@example.org", "-scope", "root"}, `scope "root" is not known`},
			{"too long", []string{"-user", "bot@example.org", "-scope", "xmpp", "-ttl", "31d"}, "longer than the longest allowed, 720h0m0s"},
			{"unknown client", []string{"-user", "bot@example.org", "-scope", "xmpp", "-client", "nope"}, `there is no client with id "nope"`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if r := cli(t, c(append([]string{"tokens", "issue"}, tc.args...)...)...); r.code != 1 || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("tokens issue = %+v, want 1 and %q", r, tc.want)
				}
			})
		}
	})

	t.Run("keys rotate", func(t *testing.T) {
		var before oauth.JWKS
		withCore(t, cfgPath, func(p *oauth.Provider) { before, _ = p.JWKS(t.Context()) })
		out := decode[struct {
			Keys []oauth.JWK `json:"keys"`
		}](t, must(t, c("keys", "rotate", "-json")...))
		if len(before.Keys) != 2 || len(out.Keys) != 4 {
			t.Fatalf("keys rotate -json lists %d keys, before %d; want 4 and 2", len(out.Keys), len(before.Keys))
		}
		var after oauth.JWKS
		withCore(t, cfgPath, func(p *oauth.Provider) { after, _ = p.JWKS(t.Context()) })
		kids := func(s oauth.JWKS) (k []string) {
			for _, j := range s.Keys {
				k = append(k, j.Kid)
			}
			return k
		}
		for _, j := range out.Keys {
			if !slices.Contains(kids(after), j.Kid) {
				t.Errorf("the JWKS lacks the rotated key %s", j.Kid)
			}
		}
		for _, kid := range kids(before) {
			if !slices.Contains(kids(after), kid) {
				t.Errorf("the old key %s left the JWKS at once", kid)
			}
		}
	})

	t.Run("backup and restore", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "xmppoauth.bak")
		if out := must(t, c("backup", file)...); !strings.Contains(out, "Wrote a backup of "+cfg.DataDir+" to "+file) {
			t.Errorf("backup = %q", out)
		}
		if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
			t.Fatalf("backup file: %v, %v; want a non-empty file of mode 0600", fi, err)
		}
		other := cliConfig(t, filepath.Join(t.TempDir(), "restored"), "")
		if out := decode[map[string]any](t, must(t, "restore", file, "-json", "-config", other)); out["file"] != file {
			t.Errorf("restore -json = %v", out)
		}
		want := must(t, c("clients", "list", "-json")...)
		if got := must(t, "clients", "list", "-json", "-config", other); got != want {
			t.Errorf("clients after restore = %s, want %s", got, want)
		}
		if r := cli(t, "restore", file, "-config", other); r.code != 1 || !strings.Contains(r.stderr, "already holds data; -force replaces it") {
			t.Errorf("restore into a store with data = %+v, want 1 and a word on -force", r)
		}
		must(t, "restore", "-force", file, "-config", other)
		if got := must(t, "clients", "list", "-json", "-config", other); got != want {
			t.Errorf("clients after a forced restore = %s, want %s", got, want)
		}
	})

	t.Run("clients delete", func(t *testing.T) {
		if out := must(t, c("clients", "delete", client.ID)...); !strings.Contains(out, "Deleted client "+client.ID) {
			t.Errorf("clients delete = %q", out)
		}
		if r := cli(t, c("clients", "show", client.ID)...); r.code != 1 {
			t.Errorf("clients show after delete = %+v, want 1", r)
		}
	})
}

// TestCLIThroughSocket runs the commands while serve runs: they go through
// the admin socket, since the store is locked.
func TestCLIThroughSocket(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	component := refused.Addr().String()
	refused.Close() // nothing listens there now: the component cannot connect
	cfgPath := cliConfig(t, "", `http: {listen: "127.0.0.1:0"}
`)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Component.Address = component
	h := addrs{slog.NewTextHandler(t.Output(), nil), make(chan map[string]string, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(h)) }()
	var got map[string]string
	select {
	case got = <-h.c:
	case err := <-done:
		t.Fatalf("serve = %v before serving", err)
	}
	sock := filepath.Join(cfg.DataDir, adminSocketName)
	if got["admin"] != sock {
		t.Fatalf("serving on %v, want the admin socket %s", got, sock)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v, %v; want mode 0600", fi, err)
	}
	c := func(args ...string) []string { return append(args, "-config", cfgPath) }
	introspect := func(tok string) bool {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+got["http"]+"/introspect",
			strings.NewReader(url.Values{"token": {tok}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("api", apiSecret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var in oauth.Introspection
		if err := json.NewDecoder(resp.Body).Decode(&in); err != nil {
			t.Fatalf("introspection: %d: %v", resp.StatusCode, err)
		}
		return in.Active
	}

	tok := decode[oauth.IssuedToken](t, must(t, c("tokens", "issue", "-user", "bot@example.org", "-scope", "xmpp", "-ttl", "1h", "-json")...))
	if !introspect(tok.AccessToken) {
		t.Fatal("the token issued through the socket is not active at the introspection endpoint")
	}
	if out := must(t, c("clients", "list")...); !strings.Contains(out, oauth.AdminClientName) {
		t.Errorf("clients list = %q, want the admin client", out)
	}
	if v := decode[clientOut](t, must(t, c("clients", "show", oauth.AdminClientID, "-json")...)); v.Grants == nil || *v.Grants != 1 {
		t.Errorf("clients show -json = %+v, want 1 grant", v)
	}
	if r := cli(t, c("clients", "show", "nope")...); r.code != 1 || !strings.Contains(r.stderr, `there is no client with id "nope"`) {
		t.Errorf("clients show nope = %+v, want 1 naming the id", r)
	}
	if r := cli(t, c("tokens", "issue", "-user", "bot@elsewhere.org", "-scope", "xmpp")...); r.code != 1 || !strings.Contains(r.stderr, "cannot sign in here") {
		t.Errorf("tokens issue for another domain = %+v, want 1 saying why", r)
	}
	if out := must(t, c("grants", "list", "-user", "bot@example.org")...); !strings.Contains(out, tok.GrantID) {
		t.Errorf("grants list = %q, want the admin's grant", out)
	}
	rotated := decode[struct {
		Keys []oauth.JWK `json:"keys"`
	}](t, must(t, c("keys", "rotate", "-json")...))
	if len(rotated.Keys) != 4 {
		t.Errorf("keys rotate through the socket lists %d keys, want 4", len(rotated.Keys))
	}
	file := filepath.Join(t.TempDir(), "online.bak")
	must(t, c("backup", file)...)
	if r := cli(t, c("restore", file)...); r.code != 1 || !strings.Contains(r.stderr, "stop it before restoring") {
		t.Errorf("restore while serving = %+v, want 1 asking to stop the service", r)
	}
	must(t, c("grants", "revoke", "-user", "bot@example.org", "-all")...)
	if introspect(tok.AccessToken) {
		t.Error("the token is still active after grants revoke through the socket")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve = %v after shutdown", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("admin socket after shutdown: %v, want it removed", err)
	}
	// The online backup restores into an empty store, with the admin's
	// client and the rotated keys.
	other := cliConfig(t, filepath.Join(t.TempDir(), "restored"), "")
	must(t, "restore", file, "-config", other)
	if out := must(t, "clients", "list", "-config", other); !strings.Contains(out, oauth.AdminClientID) {
		t.Errorf("clients after restoring the online backup = %q", out)
	}
	withCore(t, other, func(p *oauth.Provider) {
		if set, err := p.JWKS(t.Context()); err != nil || len(set.Keys) != 4 {
			t.Errorf("JWKS of the restored store = %d keys, %v; want 4", len(set.Keys), err)
		}
	})
}
