package oauth_test

import (
	"errors"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
)

// fuzzProvider is a provider on the memory store with a few clients of every
// kind, for the fuzz targets.
func fuzzProvider(f *testing.F) (*oauth.Provider, []oauth.Client) {
	f.Helper()
	p, err := oauth.New(f.Context(), oauth.Config{
		Issuer:           issuer,
		UserDomains:      []string{"example.test", "xn--caf-dma.example"},
		OpenRegistration: true,
		GrantTypes:       []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode, oauth.GrantClientCredentials},
		ExtraScopes:      map[string]string{"calendar:read": "Read your calendar"},
		Logger:           slog.New(slog.DiscardHandler),
	}, storetest.Memory())
	if err != nil {
		f.Fatalf("New() = %v", err)
	}
	var clients []oauth.Client
	for _, m := range []oauth.ClientMetadata{
		webMeta(),
		{
			ClientName: "Native", ApplicationType: oauth.AppNative, TokenEndpointAuthMethod: oauth.AuthNone,
			RedirectURIs: []string{"http://127.0.0.1/cb", "http://[::1]/cb?x=1", "com.example.app:/cb", "urn:ietf:wg:oauth:2.0:oob"},
			GrantTypes:   []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken, oauth.GrantDeviceCode},
			Scope:        "openid xmpp offline_access",
		},
		{ClientName: "Backend", GrantTypes: []string{oauth.GrantClientCredentials, oauth.GrantDeviceCode}},
	} {
		reg, err := p.Register(f.Context(), m, "")
		if err != nil {
			f.Fatalf("Register(%s) = %v", m.ClientName, err)
		}
		clients = append(clients, reg.Client)
	}
	return p, clients
}

// redirectRegistered reports whether uri is one of c's redirect URIs, or one
// of its loopback http ones on another port (RFC 8252 §7.3).
func redirectRegistered(c oauth.Client, uri string) bool {
	if slices.Contains(c.RedirectURIs, uri) {
		return true
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, r := range c.RedirectURIs {
		ru, err := url.Parse(r)
		if err == nil && ru.Scheme == "http" && ru.Hostname() == u.Hostname() && ru.Path == u.Path && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}

// FuzzParseAuthorize feeds arbitrary authorization requests (RFC 6749
// §4.1.1) to the core. Whatever comes in:
//   - an accepted request names a registered redirect URI, S256 PKCE, and
//     scopes that are known, distinct, well-formed (RFC 6749 §3.3) and within
//     the client's registered scope;
//   - an error that may go to the client (*RedirectError) only goes to a
//     registered redirect URI, and the URL built for it carries the error,
//     the state and iss (RFC 9207), and no fragment;
//   - any other error is a plain *oauth.Error, shown to the user.
func FuzzParseAuthorize(f *testing.F) {
	p, clients := fuzzProvider(f)
	known := map[string]bool{}
	for _, s := range p.Scopes() {
		known[s.Name] = true
	}
	ch := challenge(verifier)
	base := "response_type=code&code_challenge_method=S256&code_challenge=" + ch + "&state=xyz"
	for _, sd := range []struct {
		client uint8
		query  string
	}{
		{0, base + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid+xmpp&nonce=n"},
		{0, base + "&scope=openid"},
		{0, base + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%23frag"},
		{0, base + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fother"},
		{1, base + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcb&scope=xmpp"},
		{1, base + "&redirect_uri=http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fcb%3Fx%3D1"},
		{1, base + "&redirect_uri=http%3A%2F%2Flocalhost%2Fcb"},
		// Loopback URIs matched on another port once let a fragment or user
		// information through (RFC 6749 §3.1.2).
		{1, base + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcb%23x"},
		{1, base + "&redirect_uri=http%3A%2F%2Fu%40127.0.0.1%2Fcb"},
		{1, base + "&redirect_uri=com.example.app%3A%2Fcb&scope=calendar%3Aread"},
		{1, base + "&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&prompt=consent+login"},
		{1, base + "&redirect_uri=com.example.app%3A%2Fcb&prompt=none"},
		{1, base + "&redirect_uri=com.example.app%3A%2Fcb&scope=%22bad%22"},
		{1, base + "&redirect_uri=com.example.app%3A%2Fcb&scope=openid&scope=xmpp"},
		{2, base},
		{0, "client_id=nope&" + base},
		{0, "response_type=token&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb"},
		{0, "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&code_challenge=" + ch + "&code_challenge_method=plain&response_type=code"},
		{0, "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&request=eyJ9&response_type=code"},
		{0, "state=a&state=b&" + base},
		{0, "%zz&" + base},
		{0, ""},
	} {
		f.Add(sd.client, sd.query)
	}
	f.Fuzz(func(t *testing.T, client uint8, query string) {
		params, _ := url.ParseQuery(query) // what parsed; the HTTP side does the same
		if _, ok := params["client_id"]; !ok {
			params["client_id"] = []string{clients[int(client)%len(clients)].ID}
		}
		req, c, err := p.ParseAuthorize(t.Context(), params)
		if err == nil {
			if req.ClientID != c.ID || !slices.Contains(params["client_id"], c.ID) {
				t.Fatalf("ParseAuthorize(%q) = client %q, asked for %q", query, c.ID, params["client_id"])
			}
			if strings.Contains(req.RedirectURI, "#") || strings.Contains(req.RedirectURI, "@") {
				t.Fatalf("ParseAuthorize(%q) accepted redirect_uri %q, with a fragment or user information", query, req.RedirectURI)
			}
			if !redirectRegistered(c, req.RedirectURI) {
				t.Fatalf("ParseAuthorize(%q) accepted redirect_uri %q, which %s did not register (%q)", query, req.RedirectURI, c.Name, c.RedirectURIs)
			}
			if req.CodeChallengeMethod != "S256" || len(req.CodeChallenge) != 43 {
				t.Fatalf("ParseAuthorize(%q) accepted PKCE %q %q", query, req.CodeChallengeMethod, req.CodeChallenge)
			}
			if len(req.Scopes) == 0 {
				t.Fatalf("ParseAuthorize(%q) accepted no scope", query)
			}
			for i, s := range req.Scopes {
				if !known[s] || slices.Index(req.Scopes, s) != i || strings.ContainsAny(s, " \"\\") {
					t.Fatalf("ParseAuthorize(%q) scopes %q: %q is unknown, repeated or malformed", query, req.Scopes, s)
				}
				if c.Scope != "" && !slices.Contains(strings.Fields(c.Scope), s) {
					t.Fatalf("ParseAuthorize(%q) granted scope %q beyond the client's %q", query, s, c.Scope)
				}
			}
			if want := params.Get("state"); req.State != want {
				t.Fatalf("ParseAuthorize(%q) state = %q, want %q", query, req.State, want)
			}
			return
		}
		if re, ok := errors.AsType[*oauth.RedirectError](err); ok {
			var owner oauth.Client
			for _, cl := range clients {
				if slices.Contains(params["client_id"], cl.ID) {
					owner = cl
				}
			}
			if owner.ID == "" || !redirectRegistered(owner, re.RedirectURI) {
				t.Fatalf("ParseAuthorize(%q) would redirect an error to %q, which no client asked for registered", query, re.RedirectURI)
			}
			if re.Err == nil || re.Err.Code == "" {
				t.Fatalf("ParseAuthorize(%q) = RedirectError without an error code", query)
			}
			target := p.RedirectURL(re)
			if strings.Contains(target, "#") {
				t.Fatalf("RedirectURL = %q, with a fragment", target)
			}
			if re.RedirectURI == "urn:ietf:wg:oauth:2.0:oob" {
				return
			}
			u, err := url.Parse(target)
			if err != nil {
				t.Fatalf("RedirectURL = %q, which does not parse: %v", target, err)
			}
			q := u.Query()
			if q.Get("error") != re.Err.Code || q.Get("iss") != issuer || q.Get("state") != re.State {
				t.Fatalf("RedirectURL = %q, want error %q, iss %q and state %q", target, re.Err.Code, issuer, re.State)
			}
			return
		}
		if _, ok := oauth.AsError(err); !ok {
			t.Fatalf("ParseAuthorize(%q) error = %v, want an *oauth.Error", query, err)
		}
	})
}

// FuzzRegister feeds arbitrary client metadata to the core's registration
// (RFC 7591 §2, RFC 8252): a client it accepts has a name, only redirect
// URIs that are absolute, without a fragment and of no dangerous scheme
// (RFC 6749 §3.1.2), https ones only on the client_uri's host, http ones
// only on a loopback IP, and can be authorized at each of them; every
// refusal is invalid_client_metadata or invalid_redirect_uri.
func FuzzRegister(f *testing.F) {
	p, _ := fuzzProvider(f)
	for _, sd := range []struct {
		name, appType, clientURI, redirects, grants, method, scope string
	}{
		{"Web", "", "https://app.example.com", "https://app.example.com/cb", "authorization_code refresh_token", "", "openid"},
		{"Web", "web", "https://app.example.com", "https://app.example.com/cb#x", "authorization_code", "", ""},
		{"Web", "web", "https://app.example.com", "https://evil.example/cb", "authorization_code", "", ""},
		{"Web", "web", "https://app.example.com", "http://127.0.0.1/cb", "authorization_code", "", ""},
		{"Native", "native", "", "http://127.0.0.1/cb\ncom.example.app:/cb\nurn:ietf:wg:oauth:2.0:oob", "authorization_code", "none", "xmpp"},
		{"Native", "native", "", "http://localhost/cb", "authorization_code", "none", ""},
		{"Native", "native", "", "javascript:alert(1)", "authorization_code", "none", ""},
		{"Native", "native", "", "JavaScript://%0aalert(1)", "authorization_code", "none", ""},
		{"Native", "native", "", "com.example.app://host/cb", "authorization_code", "none", ""},
		{"Native", "native", "", "myapp:/cb", "authorization_code", "none", ""},
		{"Native", "native", "", "http://user@127.0.0.1/cb", "authorization_code", "none", ""},
		{"Bot", "", "", "", "client_credentials", "client_secret_post", "xmpp calendar:read"},
		{"Bot", "", "", "", "client_credentials", "none", ""},
		{"TV", "native", "", "", "urn:ietf:params:oauth:grant-type:device_code", "none", "unknown"},
		{" ", "", "", "", "", "", ""},
	} {
		f.Add(sd.name, sd.appType, sd.clientURI, sd.redirects, sd.grants, sd.method, sd.scope)
	}
	f.Fuzz(func(t *testing.T, name, appType, clientURI, redirects, grants, method, scope string) {
		m := oauth.ClientMetadata{
			ClientName: name, ApplicationType: appType, ClientURI: clientURI,
			GrantTypes: strings.Fields(grants), TokenEndpointAuthMethod: method, Scope: scope,
		}
		if redirects != "" {
			m.RedirectURIs = strings.Split(redirects, "\n")
		}
		if slices.Contains(m.GrantTypes, oauth.GrantAuthorizationCode) {
			m.ResponseTypes = []string{"code"}
		}
		reg, err := p.Register(t.Context(), m, "")
		if err != nil {
			e, ok := oauth.AsError(err)
			if !ok || (e.Code != oauth.InvalidClientMetadata && e.Code != oauth.InvalidRedirectURI) {
				t.Fatalf("Register(%+v) error = %v, want invalid_client_metadata or invalid_redirect_uri", m, err)
			}
			return
		}
		c := reg.Client
		if strings.TrimSpace(c.Name) == "" || c.ID == "" {
			t.Fatalf("Register(%+v) = client %q named %q", m, c.ID, c.Name)
		}
		if c.Public() != (reg.Secret == "") {
			t.Fatalf("Register(%+v): public %v, secret given %v", m, c.Public(), reg.Secret != "")
		}
		var clientHost string
		if u, err := url.Parse(c.ClientURI); err == nil {
			clientHost = strings.ToLower(u.Hostname())
		}
		for _, r := range c.RedirectURIs {
			if r == "urn:ietf:wg:oauth:2.0:oob" {
				continue
			}
			u, err := url.Parse(r)
			if err != nil || u.Scheme == "" || strings.Contains(r, "#") || u.User != nil {
				t.Fatalf("Register(%+v) accepted redirect URI %q", m, r)
			}
			switch scheme := strings.ToLower(u.Scheme); {
			case scheme == "javascript" || scheme == "data" || scheme == "vbscript" || scheme == "file":
				t.Fatalf("Register(%+v) accepted redirect URI %q of a dangerous scheme", m, r)
			case scheme == "https" && strings.ToLower(u.Hostname()) != clientHost:
				t.Fatalf("Register(%+v) accepted https redirect URI %q off the client_uri's host %q", m, r, clientHost)
			case scheme == "http":
				if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() || c.ApplicationType != oauth.AppNative {
					t.Fatalf("Register(%+v) accepted http redirect URI %q", m, r)
				}
			}
			if !slices.Contains(c.GrantTypes, oauth.GrantAuthorizationCode) {
				continue
			}
			_, _, err = p.ParseAuthorize(t.Context(), url.Values{
				"client_id": {c.ID}, "redirect_uri": {r}, "response_type": {"code"},
				"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"},
			})
			if _, redirectable := errors.AsType[*oauth.RedirectError](err); err != nil && !redirectable {
				t.Fatalf("ParseAuthorize with registered redirect URI %q = %v, want success or an error sent there", r, err)
			}
		}
	})
}

// FuzzCheckUser checks the test for a user's address (the device page and
// the chat commands take any text): an address CheckUser accepts is of the
// form user@domain of a user domain, and stays accepted, and the same,
// once normalized; normalizing is idempotent.
func FuzzCheckUser(f *testing.F) {
	p, _ := fuzzProvider(f)
	for _, s := range []string{
		alice, "Alice@Example.TEST", "alice@example.test/phone", " alice@example.test ", "alice@other.example",
		"a@b@example.test", "@example.test", "alice@", "example.test", "al ice@example.test", "alice@xn--caf-dma.example",
		"\"a\"@example.test", "a@example.test/", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, jid string) {
		n := oauth.NormalizeJID(jid)
		if again := oauth.NormalizeJID(n); again != n {
			t.Fatalf("NormalizeJID(%q) = %q, but NormalizeJID(%q) = %q", jid, n, n, again)
		}
		if err := p.CheckUser(jid); err != nil {
			if e, ok := oauth.AsError(err); !ok || e.Code != oauth.AccessDenied {
				t.Fatalf("CheckUser(%q) = %v, want access_denied", jid, err)
			}
			return
		}
		local, domain, ok := strings.Cut(n, "@")
		if !ok || local == "" || strings.ContainsAny(domain, "@/ ") {
			t.Fatalf("CheckUser(%q) accepted it, normalized to %q, which is not user@domain", jid, n)
		}
		if err := p.CheckUser(n); err != nil {
			t.Fatalf("CheckUser(%q) accepted it, but not its normal form %q: %v", jid, n, err)
		}
	})
}
