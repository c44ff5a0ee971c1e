package oauthhttp_test

import (
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// TestTermsAndPolicy checks that the configured terms of service and privacy
// policy are advertised in the metadata (RFC 8414 §2, OIDC Discovery §3) and
// linked from the footer of the pages, and that neither appears when unset.
func TestTermsAndPolicy(t *testing.T) {
	const (
		tos    = "https://example.org/terms?lang=en&v=2"
		policy = "https://example.org/legal#privacy"
	)
	tests := []struct {
		name        string
		tos, policy string
	}{
		{"both", tos, policy},
		{"terms only", tos, ""},
		{"policy only", "", policy},
		{"neither", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil, func(o *oauthhttp.Options) { o.TOSURI, o.PolicyURI = tc.tos, tc.policy })

			for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
				m := ts.get(path).json(t)
				for key, want := range map[string]string{"op_tos_uri": tc.tos, "op_policy_uri": tc.policy} {
					got, present := m[key]
					switch {
					case want == "" && present:
						t.Errorf("%s: %s = %v, want it left out", path, key, got)
					case want != "" && got != want:
						t.Errorf("%s: %s = %v, want %q", path, key, got, want)
					}
				}
			}

			for _, path := range []string{"/device", "/signout", "/authorize"} {
				r := ts.get(path)
				checkPageHeaders(t, r)
				footer := strings.Contains(r.body, `<footer class="site-footer">`)
				if footer != (tc.tos != "" || tc.policy != "") {
					t.Errorf("GET %s: footer present = %v, want %v:\n%s", path, footer, !footer, r.body)
				}
				if footer && !strings.Contains(r.body, `<nav aria-label="About this service">`) {
					t.Errorf("GET %s: footer links are not a labelled navigation landmark:\n%s", path, r.body)
				}
				for _, l := range []struct{ url, label string }{{tc.tos, "Terms of service"}, {tc.policy, "Privacy policy"}} {
					link := `<a href="` + strings.ReplaceAll(l.url, "&", "&amp;") + `" rel="noopener">` + l.label + `</a>`
					if has := strings.Contains(r.body, link); has != (l.url != "") {
						t.Errorf("GET %s: link %s present = %v, want %v:\n%s", path, link, has, !has, r.body)
					}
				}
			}
		})
	}
}

func TestTermsAndPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		opts oauthhttp.Options
		want string
	}{
		{"https", oauthhttp.Options{TOSURI: "https://example.org/tos", PolicyURI: "https://example.org/privacy"}, ""},
		{"loopback http", oauthhttp.Options{TOSURI: "http://127.0.0.1:8080/tos"}, ""},
		{"script URL", oauthhttp.Options{TOSURI: "javascript:alert(1)"}, `terms of service URL: "javascript:alert(1)" must be an absolute http(s) URL`},
		{"path", oauthhttp.Options{PolicyURI: "/privacy"}, `privacy policy URL: "/privacy" must be an absolute http(s) URL`},
		{"credentials", oauthhttp.Options{PolicyURI: "https://u:p@example.org/"}, "must not contain a user name or password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
