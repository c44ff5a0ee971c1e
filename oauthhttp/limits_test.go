package oauthhttp_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// behindProxy trusts the test client's loopback address as a reverse proxy,
// so that X-Forwarded-For names the client address.
func behindProxy(o *oauthhttp.Options) { o.TrustedProxies = []string{"127.0.0.1"} }

// from sets the client address a trusted proxy reports.
func from(req *http.Request, ip string) *http.Request {
	req.Header.Set("X-Forwarded-For", ip)
	return req
}

const nativeMetadataJSON = `{"client_name":"App","application_type":"native","redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`

func TestRegistrationLimitedPerIP(t *testing.T) {
	ts := newTestServer(t, nil, behindProxy, func(o *oauthhttp.Options) {
		o.Limits.RegistrationPerIP = oauth.Rate{Count: 2, Window: time.Hour}
	})
	register := func(ip string) response {
		return ts.do(nil, from(ts.newRequest(http.MethodPost, "/register", "application/json", nativeMetadataJSON), ip))
	}
	for i := range 2 {
		if r := register("192.0.2.1"); r.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d = %d %s, want 201", i, r.StatusCode, r.body)
		}
	}
	ts.clock.Advance(10 * time.Minute)
	r := register("192.0.2.1")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "3000" {
		t.Fatalf("third registration = %d, Retry-After %q; want 429, 3000", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if got := r.errorCode(t); got != oauth.TooManyRequests {
		t.Errorf("error = %q, want %q", got, oauth.TooManyRequests)
	}
	if d, _ := r.json(t)["error_description"].(string); !strings.Contains(d, "too many registrations") {
		t.Errorf("error_description = %q", d)
	}
	if r := register("192.0.2.2"); r.StatusCode != http.StatusCreated {
		t.Fatalf("registration from another address = %d, want 201", r.StatusCode)
	}
	// One IPv6 host holds a whole /64: its addresses share a count.
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2"} {
		if r := register(ip); r.StatusCode != http.StatusCreated {
			t.Fatalf("IPv6 registration %d = %d, want 201", i, r.StatusCode)
		}
	}
	if r := register("2001:db8:1:2:ffff::3"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third registration from the same /64 = %d, want 429", r.StatusCode)
	}
	if r := register("2001:db8:1:3::1"); r.StatusCode != http.StatusCreated {
		t.Fatalf("registration from another /64 = %d, want 201", r.StatusCode)
	}
	ts.clock.Advance(50 * time.Minute)
	if r := register("192.0.2.1"); r.StatusCode != http.StatusCreated {
		t.Fatalf("registration after the window = %d, want 201", r.StatusCode)
	}
}

func TestForwardedForNeedsATrustedProxy(t *testing.T) {
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) {
		o.Limits.RegistrationPerIP = oauth.Rate{Count: 1, Window: time.Hour}
	})
	register := func(ip string) response {
		return ts.do(nil, from(ts.newRequest(http.MethodPost, "/register", "application/json", nativeMetadataJSON), ip))
	}
	if r := register("192.0.2.1"); r.StatusCode != http.StatusCreated {
		t.Fatalf("first registration = %d, want 201", r.StatusCode)
	}
	// Without a trusted proxy the header is the client's own say-so: the
	// connection's address counts.
	if r := register("192.0.2.2"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second registration with another X-Forwarded-For = %d, want 429", r.StatusCode)
	}
}

func TestSignInRequestsLimitedPerIP(t *testing.T) {
	tests := []struct {
		name string
		req  func(ts *testServer, c oauth.ClientRegistration) *http.Request
	}{
		{"GET /authorize", func(ts *testServer, c oauth.ClientRegistration) *http.Request {
			return ts.newRequest(http.MethodGet, "/authorize?"+authorizeQuery(c.Client.ID).Encode(), "", "")
		}},
		{"POST /authorize", func(ts *testServer, c oauth.ClientRegistration) *http.Request {
			return ts.newRequest(http.MethodPost, "/authorize", formType, authorizeQuery(c.Client.ID).Encode())
		}},
		{"POST /authorize/signin", func(ts *testServer, _ oauth.ClientRegistration) *http.Request {
			return ts.newRequest(http.MethodPost, "/authorize/signin", formType, "jid="+url.QueryEscape(alice))
		}},
		{"POST /authorize/consent", func(ts *testServer, _ oauth.ClientRegistration) *http.Request {
			return ts.newRequest(http.MethodPost, "/authorize/consent", formType, "")
		}},
		{"POST /device", func(ts *testServer, _ oauth.ClientRegistration) *http.Request {
			return ts.newRequest(http.MethodPost, "/device", formType, "user_code=BBBB-BBBB&jid="+url.QueryEscape(alice))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, nil, behindProxy, func(o *oauthhttp.Options) {
				o.Limits.AuthorizePerIP = oauth.Rate{Count: 3, Window: time.Minute}
			})
			c := ts.nativeClient()
			for i := range 3 {
				if r := ts.do(nil, from(tt.req(ts, c), "198.51.100.7")); r.StatusCode == http.StatusTooManyRequests {
					t.Fatalf("request %d = 429 within the limit: %s", i, r.body)
				}
			}
			ts.clock.Advance(20 * time.Second)
			r := ts.do(nil, from(tt.req(ts, c), "198.51.100.7"))
			if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "40" {
				t.Fatalf("fourth request = %d, Retry-After %q; want 429, 40", r.StatusCode, r.Header.Get("Retry-After"))
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want an error page", ct)
			}
			if !strings.Contains(r.body, "Too many attempts") || !strings.Contains(r.body, "40 seconds") {
				t.Errorf("page does not say what happened and how long to wait:\n%s", r.body)
			}
			if r := ts.do(nil, from(tt.req(ts, c), "198.51.100.8")); r.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("request from another address = 429")
			}
			ts.clock.Advance(40 * time.Second)
			if r := ts.do(nil, from(tt.req(ts, c), "198.51.100.7")); r.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("request after the window = 429")
			}
		})
	}
}

// authorizeQuery is a valid authorization request of a native client.
func authorizeQuery(clientID string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {"http://127.0.0.1/callback"},
		"scope":                 {"openid"},
		"state":                 {"s"},
		"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"},
	}
}

func TestWaitPagePollsAreNotLimited(t *testing.T) {
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) {
		o.Limits.AuthorizePerIP = oauth.Rate{Count: 1, Window: time.Minute}
	})
	for i := range 5 {
		if r := ts.get("/authorize/wait/nope/status"); r.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("status poll %d = 429", i)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	big := func(n int) string { return "grant_type=client_credentials&pad=" + strings.Repeat("a", n) }
	tests := []struct {
		name        string
		limit       int64
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantPage    bool
	}{
		{"token over the default", 0, http.MethodPost, "/token", formType, big(70 << 10), http.StatusRequestEntityTooLarge, false},
		{"token over a small limit", 4 << 10, http.MethodPost, "/token", formType, big(5 << 10), http.StatusRequestEntityTooLarge, false},
		{"token under a raised limit", 128 << 10, http.MethodPost, "/token", formType, big(70 << 10), http.StatusUnauthorized, false},
		{"registration over a small limit", 4 << 10, http.MethodPost, "/register", "application/json",
			`{"client_name":"` + strings.Repeat("a", 5<<10) + `"}`, http.StatusRequestEntityTooLarge, false},
		{"introspection over the limit", 4 << 10, http.MethodPost, "/introspect", formType, "token=" + strings.Repeat("a", 5<<10), http.StatusRequestEntityTooLarge, false},
		{"device page over the limit", 4 << 10, http.MethodPost, "/device", formType, "user_code=" + strings.Repeat("a", 5<<10), http.StatusRequestEntityTooLarge, true},
		{"sign-in form over the limit", 4 << 10, http.MethodPost, "/authorize/signin", formType, "jid=" + strings.Repeat("a", 5<<10), http.StatusRequestEntityTooLarge, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, nil, func(o *oauthhttp.Options) { o.Limits.MaxBodyBytes = tt.limit })
			r := ts.do(nil, ts.newRequest(tt.method, tt.path, tt.contentType, tt.body))
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("%s %s = %d %.200s, want %d", tt.method, tt.path, r.StatusCode, r.body, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusRequestEntityTooLarge {
				return
			}
			if tt.wantPage {
				if !strings.Contains(r.body, "larger than") {
					t.Errorf("page does not say the request was too large:\n%s", r.body)
				}
				return
			}
			if got := r.errorCode(t); got != oauth.InvalidRequest {
				t.Errorf("error = %q, want invalid_request", got)
			}
			limit := tt.limit
			if limit == 0 {
				limit = oauthhttp.DefaultMaxBodyBytes
			}
			if d, _ := r.json(t)["error_description"].(string); d != fmt.Sprintf("the request body is larger than %d bytes", limit) {
				t.Errorf("error_description = %q", d)
			}
		})
	}
}

func TestTooManyFormFields(t *testing.T) {
	ts := newTestServer(t, nil)
	form := url.Values{"grant_type": {"client_credentials"}}
	for i := range 100 {
		form.Set(fmt.Sprint("p", i), "x")
	}
	r := ts.postForm("/token", form, "")
	if r.StatusCode != http.StatusBadRequest || r.errorCode(t) != oauth.InvalidRequest || !strings.Contains(r.body, "more than 100 parameters") {
		t.Fatalf("POST /token with 101 parameters = %d %s, want 400 invalid_request", r.StatusCode, r.body)
	}
	q := url.Values{}
	for i := range 101 {
		q.Set(fmt.Sprint("p", i), "x")
	}
	if r := ts.get("/authorize?" + q.Encode()); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "more than 100 parameters") {
		t.Fatalf("GET /authorize with 101 parameters = %d, want 400 saying why", r.StatusCode)
	}
}

func TestClientAuthFailuresGet429(t *testing.T) {
	ts := newTestServer(t, func(c *oauth.Config) {
		c.Limits.ClientAuthFailures = oauth.Rate{Count: 2, Window: time.Minute}
	})
	c := ts.confidentialClient()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"xmpp"}}
	for i := range 2 {
		r := ts.postForm("/token", form, basic(c.Client.ID, "wrong"))
		if r.StatusCode != http.StatusUnauthorized || r.errorCode(t) != oauth.InvalidClient {
			t.Fatalf("failure %d = %d %s, want 401 invalid_client", i, r.StatusCode, r.body)
		}
	}
	r := ts.postForm("/token", form, basic(c.Client.ID, "wrong"))
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "60" || r.errorCode(t) != oauth.InvalidClient {
		t.Fatalf("third failure = %d, Retry-After %q, %s; want 429, 60, invalid_client", r.StatusCode, r.Header.Get("Retry-After"), r.body)
	}
	// The client itself still gets its tokens: the limit cannot lock it out.
	if r := ts.postForm("/token", form, basic(c.Client.ID, c.Secret.Reveal())); r.StatusCode != http.StatusOK {
		t.Fatalf("right secret over the limit = %d %s, want 200", r.StatusCode, r.body)
	}
}

func TestLimitOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts oauthhttp.Options
		want string
	}{
		{"defaults", oauthhttp.Options{}, ""},
		{"proxies", oauthhttp.Options{TrustedProxies: []string{"10.0.0.1", "10.1.0.0/16", "::1", "fd00::/8"}}, ""},
		{"bad proxy", oauthhttp.Options{TrustedProxies: []string{"proxy.example"}}, `trusted proxy "proxy.example"`},
		{"bad prefix", oauthhttp.Options{TrustedProxies: []string{"10.0.0.0/33"}}, `trusted proxy "10.0.0.0/33"`},
		{"body too small", oauthhttp.Options{Limits: oauthhttp.Limits{MaxBodyBytes: 100}}, "max body bytes: 100 is not between"},
		{"body too large", oauthhttp.Options{Limits: oauthhttp.Limits{MaxBodyBytes: 2 << 20}}, "max body bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
