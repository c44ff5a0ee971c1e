package oauth_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

func TestClaimSignIn(t *testing.T) {
	tests := []struct {
		name      string
		decide    func(e *env, s oauth.SignIn)
		wantState string
		wantErr   string
	}{
		{"approved", func(e *env, s oauth.SignIn) { e.decide(t, s, true) }, oauth.SignInApproved, ""},
		{"denied", func(e *env, s oauth.SignIn) { e.decide(t, s, false) }, oauth.SignInDenied, ""},
		{"expired unanswered", func(e *env, s oauth.SignIn) { e.clock.Advance(6 * time.Minute) }, oauth.SignInPending, ""},
		{"still pending", func(*env, oauth.SignIn) {}, "", oauth.AuthorizationPending},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c, _ := e.register(t, webMeta())
			req := e.parse(t, authParams(c, "openid"))
			s, err := e.p.StartSignIn(t.Context(), req, alice)
			if err != nil {
				t.Fatalf("StartSignIn() = %v", err)
			}
			tc.decide(e, s)
			got, err := e.p.ClaimSignIn(t.Context(), s.ID)
			if errCode(err) != tc.wantErr {
				t.Fatalf("ClaimSignIn() = %v, want %q", err, tc.wantErr)
			}
			if tc.wantErr != "" {
				return
			}
			if got.State != tc.wantState || got.JID != alice || got.Request.ClientID != c.ID {
				t.Errorf("ClaimSignIn() = %+v, want state %s for %s", got, tc.wantState, alice)
			}
			// A sign-in is claimed once, and then cannot be finished either.
			if _, err := e.p.ClaimSignIn(t.Context(), s.ID); errCode(err) != oauth.InvalidRequest {
				t.Errorf("second ClaimSignIn() = %v, want invalid_request", err)
			}
			if _, err := e.p.FinishSignIn(t.Context(), s.ID); errCode(err) != oauth.InvalidRequest {
				t.Errorf("FinishSignIn() after ClaimSignIn() = %v, want invalid_request", err)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.p.ClaimSignIn(t.Context(), "nope"); errCode(err) != oauth.InvalidRequest {
			t.Errorf("ClaimSignIn(unknown) = %v, want invalid_request", err)
		}
	})
}

func (e *env) parse(t *testing.T, params url.Values) oauth.AuthorizeRequest {
	t.Helper()
	req, _, err := e.p.ParseAuthorize(t.Context(), params)
	if err != nil {
		t.Fatalf("ParseAuthorize() = %v", err)
	}
	return req
}

func (e *env) decide(t *testing.T, s oauth.SignIn, approve bool) {
	t.Helper()
	if _, err := e.p.DecideSignIn(t.Context(), alice, s.Code, approve); err != nil {
		t.Fatalf("DecideSignIn() = %v", err)
	}
}

func TestIssueCodeAndConsent(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c, cred := e.register(t, webMeta())
	req := e.parse(t, authParams(c, "openid profile"))

	if ok, err := e.p.HasConsent(ctx, alice, c.ID, req.Scopes); err != nil || ok {
		t.Fatalf("HasConsent() before any grant = %v, %v; want false", ok, err)
	}
	authTime := e.clock.Now().Add(-time.Hour)
	to, err := e.p.IssueCode(ctx, req, "Alice@Example.test", authTime)
	if err != nil {
		t.Fatalf("IssueCode() = %v", err)
	}
	u, _ := url.Parse(to)
	q := u.Query()
	if u.Host != "app.example.com" || q.Get("code") == "" || q.Get("state") != "xyz" || q.Get("iss") != issuer {
		t.Fatalf("IssueCode() = %s, want the redirect URI with code, state and iss", to)
	}
	resp, err := e.p.Token(ctx, cred, oauth.TokenRequest{
		GrantType: oauth.GrantAuthorizationCode, Code: q.Get("code"), RedirectURI: req.RedirectURI, CodeVerifier: verifier,
	})
	if err != nil || resp.IDToken == "" {
		t.Fatalf("Token() = %+v, %v; want tokens with an ID token", resp, err)
	}

	consent := []struct {
		name   string
		jid    string
		client string
		scopes []string
		want   bool
	}{
		{"same scopes", alice, c.ID, []string{"openid", "profile"}, true},
		{"fewer scopes", alice, c.ID, []string{"openid"}, true},
		{"more scopes", alice, c.ID, []string{"openid", "xmpp"}, false},
		{"other user", "bob@example.test", c.ID, []string{"openid"}, false},
		{"other client", alice, "other", []string{"openid"}, false},
		{"JID in other case", "ALICE@example.test", c.ID, []string{"openid"}, true},
	}
	for _, tc := range consent {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := e.p.HasConsent(ctx, tc.jid, tc.client, tc.scopes)
			if err != nil || ok != tc.want {
				t.Errorf("HasConsent(%s, %s, %v) = %v, %v; want %v", tc.jid, tc.client, tc.scopes, ok, err, tc.want)
			}
		})
	}

	refused := []struct {
		name string
		jid  string
		edit func(*oauth.AuthorizeRequest)
		want string
	}{
		{"user of another domain", "mallory@evil.test", func(*oauth.AuthorizeRequest) {}, oauth.AccessDenied},
		{"unknown client", alice, func(r *oauth.AuthorizeRequest) { r.ClientID = "nobody" }, oauth.InvalidClient},
		{"unregistered redirect URI", alice, func(r *oauth.AuthorizeRequest) { r.RedirectURI = "https://evil.example/cb" }, oauth.InvalidRequest},
		{"no PKCE", alice, func(r *oauth.AuthorizeRequest) { r.CodeChallenge = "" }, oauth.InvalidRequest},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := req
			tc.edit(&r)
			if _, err := e.p.IssueCode(ctx, r, tc.jid, authTime); errCode(err) != tc.want {
				t.Errorf("IssueCode() = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestDeniedURL(t *testing.T) {
	e := newEnv(t)
	c, _ := e.register(t, webMeta())
	req := e.parse(t, authParams(c, "openid"))
	u, err := url.Parse(e.p.DeniedURL(req, "the user said no"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("error") != oauth.AccessDenied || q.Get("error_description") != "the user said no" || q.Get("state") != "xyz" || q.Get("iss") != issuer {
		t.Errorf("DeniedURL() = %s", u)
	}
}

func TestApp(t *testing.T) {
	e := newEnv(t)
	m := webMeta()
	m.TOSURI, m.PolicyURI = "https://app.example.com/tos", "https://app.example.com/privacy"
	c, _ := e.register(t, m)
	a, err := e.p.App(t.Context(), c.ID)
	if err != nil || a.Name != "Example App" || a.URI != m.ClientURI || a.TOSURI != m.TOSURI || a.PolicyURI != m.PolicyURI || a.ClientID != c.ID {
		t.Errorf("App() = %+v, %v", a, err)
	}
	if _, err := e.p.App(t.Context(), "nobody"); errCode(err) != oauth.InvalidClient {
		t.Errorf("App(unknown) = %v, want invalid_client", err)
	}
}
