package oauthhttp_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestMetadata(t *testing.T) {
	tests := []struct {
		name       string
		issuerPath string
		path       string // relative to the host
	}{
		{"RFC 8414", "", "/.well-known/oauth-authorization-server"},
		{"OIDC Discovery", "", "/.well-known/openid-configuration"},
		{"RFC 8414 with issuer path, inside", "/oauth", "/oauth/.well-known/oauth-authorization-server"},
		{"RFC 8414 with issuer path, section 3.1", "/oauth", "/.well-known/oauth-authorization-server/oauth"},
		{"OIDC Discovery with issuer path", "/oauth", "/oauth/.well-known/openid-configuration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *oauth.Config) { c.Issuer += tc.issuerPath })
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+tc.path, nil)
			r := ts.do(nil, req)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", tc.path, r.StatusCode)
			}
			if got := r.Header.Get("Cache-Control"); got != "public, max-age=300" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			m := r.json(t)
			iss := ts.URL + tc.issuerPath
			wantStrings := map[string]string{
				"issuer":                        iss,
				"authorization_endpoint":        iss + "/authorize",
				"token_endpoint":                iss + "/token",
				"jwks_uri":                      iss + "/jwks",
				"registration_endpoint":         iss + "/register",
				"device_authorization_endpoint": iss + "/device_authorization",
				"revocation_endpoint":           iss + "/revoke",
				"introspection_endpoint":        iss + "/introspect",
				"userinfo_endpoint":             iss + "/userinfo",
			}
			for k, v := range wantStrings {
				if m[k] != v {
					t.Errorf("%s = %v, want %q", k, m[k], v)
				}
			}
			wantLists := map[string][]string{
				"response_types_supported":                      {"code"},
				"response_modes_supported":                      {"query"},
				"code_challenge_methods_supported":              {"S256"},
				"subject_types_supported":                       {"public"},
				"token_endpoint_auth_methods_supported":         {"none", "client_secret_basic", "client_secret_post"},
				"grant_types_supported":                         ts.p.GrantTypes(),
				"id_token_signing_alg_values_supported":         ts.p.SigningAlgs(),
				"introspection_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post"},
			}
			for k, want := range wantLists {
				if got := strs(m[k]); !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			scopes := strs(m["scopes_supported"])
			for _, s := range []string{"openid", "offline_access", "xmpp"} {
				if !slices.Contains(scopes, s) {
					t.Errorf("scopes_supported %v lacks %s", scopes, s)
				}
			}
			if claims := strs(m["claims_supported"]); !slices.Contains(claims, "jid") || !slices.Contains(claims, "sub") {
				t.Errorf("claims_supported = %v", claims)
			}
			for k, want := range map[string]bool{
				"authorization_response_iss_parameter_supported": true,
				"claims_parameter_supported":                     false,
				"request_parameter_supported":                    false,
				"request_uri_parameter_supported":                false,
			} {
				if m[k] != want {
					t.Errorf("%s = %v, want %v", k, m[k], want)
				}
			}
		})
	}
}

func TestMetadataOmitsDisabledGrants(t *testing.T) {
	ts := newTestServer(t, func(c *oauth.Config) { c.GrantTypes = []string{oauth.GrantClientCredentials} })
	m := ts.get("/.well-known/openid-configuration").json(t)
	for _, k := range []string{"authorization_endpoint", "device_authorization_endpoint"} {
		if v, ok := m[k]; ok {
			t.Errorf("%s = %v with the grant disabled", k, v)
		}
	}
	for _, path := range []string{"/authorize", "/device"} {
		if r := ts.get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d with the grant disabled, want 404", path, r.StatusCode)
		}
	}
}

func TestJWKS(t *testing.T) {
	ts := newTestServer(t, nil)
	r := ts.get("/jwks")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /jwks = %d", r.StatusCode)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", got)
	}
	keys, _ := r.json(t)["keys"].([]any)
	if len(keys) == 0 {
		t.Fatalf("no keys in %s", r.body)
	}
	algs := map[string]bool{}
	for _, k := range keys {
		k := k.(map[string]any)
		if k["kid"] == "" || k["use"] != "sig" {
			t.Errorf("key %v lacks kid or use=sig", k)
		}
		if _, ok := k["d"]; ok {
			t.Errorf("key %v has private material", k)
		}
		algs[k["alg"].(string)] = true
	}
	for _, a := range ts.p.SigningAlgs() {
		if !algs[a] {
			t.Errorf("no %s key in the JWKS", a)
		}
	}
}

// strs turns a decoded JSON array into strings.
func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
