package component_test

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
)

const (
	camAlice = "alice@example.test"
	camBob   = "bob@example.test"
)

var (
	camList   = xml.Name{Space: component.NSCAM, Local: "list"}
	camRevoke = xml.Name{Space: component.NSCAM, Local: "revoke"}
	// api is a resource server configured on the provider, which may
	// introspect any token.
	api = oauth.ClientCredentials{ID: "api", Secret: "api-secret", Method: oauth.AuthClientSecretBasic}
)

type camEnv struct {
	p     *oauth.Provider
	clock *fakeclock.Clock
	h     map[xml.Name]component.IQHandler
}

// newCAMEnv builds the real core on the memory store, with the clock pinned
// at the real start time (the store's TTLs use the real clock).
func newCAMEnv(t *testing.T) *camEnv {
	t.Helper()
	e := &camEnv{clock: fakeclock.New(time.Now().UTC().Truncate(time.Second))}
	p, err := oauth.New(t.Context(), oauth.Config{
		Issuer:           "https://auth.example.test",
		UserDomains:      []string{"example.test"},
		OpenRegistration: true,
		GrantTypes:       []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken},
		Now:              e.clock.Now,
		Logger:           slog.New(slog.NewTextHandler(t.Output(), nil)),
		ResourceServers:  []oauth.ResourceServer{{ID: api.ID, Secret: api.Secret}},
	}, storetest.Memory())
	if err != nil {
		t.Fatalf("oauth.New() = %v", err)
	}
	e.p = p
	e.h = component.CAMHandlers(p)
	return e
}

// authorized is an app a user approved through the device flow.
type authorized struct {
	grantID string
	tokens  oauth.TokenResponse
	created time.Time // when the user approved
	used    time.Time // when the device got its tokens
}

// approveDevice registers a device app, has jid approve it for scope and
// lets the device poll for its tokens 10 s later (RFC 8628).
func (e *camEnv) approveDevice(t *testing.T, jid, name, uri, scope string) authorized {
	t.Helper()
	ctx := t.Context()
	reg, err := e.p.Register(ctx, oauth.ClientMetadata{
		ClientName:              name,
		ClientURI:               uri,
		TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes:              []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken},
	}, "")
	if err != nil {
		t.Fatalf("Register(%q) = %v", name, err)
	}
	cred := oauth.ClientCredentials{ID: reg.Client.ID, Method: oauth.AuthNone}
	da, err := e.p.DeviceAuthorize(ctx, cred, scope)
	if err != nil {
		t.Fatalf("DeviceAuthorize(%q) = %v", scope, err)
	}
	a := authorized{created: e.clock.Now()}
	if err := e.p.DecideDevice(ctx, jid, da.UserCode, true); err != nil {
		t.Fatalf("DecideDevice() = %v", err)
	}
	e.clock.Advance(10 * time.Second)
	a.used = e.clock.Now()
	a.tokens, err = e.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode})
	if err != nil {
		t.Fatalf("Token(device_code) = %v", err)
	}
	grants, err := e.p.Grants(ctx, jid)
	if err != nil {
		t.Fatalf("Grants() = %v", err)
	}
	for _, g := range grants {
		if g.ClientID == reg.Client.ID {
			a.grantID = g.ID
		}
	}
	if a.grantID == "" {
		t.Fatalf("Grants(%s) = %+v, lacks the grant of %s", jid, grants, reg.Client.ID)
	}
	return a
}

// active reports whether a token still works, as a resource server sees it.
func (e *camEnv) active(t *testing.T, token string) bool {
	t.Helper()
	in, err := e.p.Introspect(t.Context(), api, token, "")
	if err != nil {
		t.Fatalf("Introspect() = %v", err)
	}
	return in.Active
}

// camIQ builds the request the component would hand on: payload goes
// through ParseRawElement, as stanzas read from the stream do.
func camIQ(t *testing.T, typ, user, payload string) component.IQ {
	t.Helper()
	raw, err := component.ParseRawElement([]byte(payload))
	if err != nil {
		t.Fatalf("ParseRawElement(%s) = %v", payload, err)
	}
	return component.IQ{ID: "q1", Type: typ, From: user + "/phone", User: user, To: "auth.example.test", Payload: raw}
}

// handle runs the handler registered for the payload's name.
func handle(t *testing.T, h map[xml.Name]component.IQHandler, iq component.IQ) ([]byte, error) {
	t.Helper()
	handler, ok := h[iq.Payload.Name]
	if !ok {
		t.Fatalf("no handler for {%s}%s", iq.Payload.Name.Space, iq.Payload.Name.Local)
	}
	return handler.HandleIQ(t.Context(), iq)
}

// The result as a XEP-0494 client reads it, with names spelled as in the
// XEP's schema (§9).
type (
	gotClients struct {
		XMLName xml.Name    `xml:"urn:xmpp:cam:0 clients"`
		Clients []gotClient `xml:"urn:xmpp:cam:0 client"`
	}
	gotClient struct {
		ID        string `xml:"id,attr"`
		Connected string `xml:"connected,attr"`
		Type      string `xml:"type,attr"`
		FirstSeen string `xml:"urn:xmpp:cam:0 first-seen"`
		LastSeen  string `xml:"urn:xmpp:cam:0 last-seen"`
		Auth      struct {
			Methods []struct {
				XMLName xml.Name
			} `xml:",any"`
		} `xml:"urn:xmpp:cam:0 auth"`
		Permission *struct {
			Status string `xml:"status,attr"`
		} `xml:"urn:xmpp:cam:0 permission"`
		UserAgent struct {
			Software *string `xml:"urn:xmpp:cam:0 software"`
			URI      *string `xml:"urn:xmpp:cam:0 uri"`
		} `xml:"urn:xmpp:cam:0 user-agent"`
	}
)

// list asks for user's clients and parses the answer back.
func (e *camEnv) list(t *testing.T, user string) map[string]gotClient {
	t.Helper()
	out, err := handle(t, e.h, camIQ(t, "get", user, `<list xmlns='urn:xmpp:cam:0'/>`))
	if err != nil {
		t.Fatalf("list = %v", err)
	}
	// The component sends only what ParseRawElement accepts.
	raw, err := component.ParseRawElement(out)
	if err != nil {
		t.Fatalf("list result %s is not one element: %v", out, err)
	}
	var got gotClients
	if err := xml.Unmarshal(raw.XML, &got); err != nil {
		t.Fatalf("list result %s: %v", raw.XML, err)
	}
	m := map[string]gotClient{}
	for _, c := range got.Clients {
		if _, dup := m[c.ID]; dup {
			t.Fatalf("list result %s: client %s twice", raw.XML, c.ID)
		}
		m[c.ID] = c
	}
	return m
}

func xep82(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func TestCAMList(t *testing.T) {
	e := newCAMEnv(t)
	full := e.approveDevice(t, camAlice, "TV", "https://tv.example.com", "openid xmpp")
	e.clock.Advance(time.Hour)
	chat := e.approveDevice(t, camAlice, "Chat", "", "openid xmpp:client:normal")
	e.clock.Advance(time.Hour)
	signIn := e.approveDevice(t, camAlice, "Sign-in only", "https://signin.example.com", "openid profile")
	bobs := e.approveDevice(t, camBob, "Bob's TV", "", "xmpp")

	got := e.list(t, camAlice)
	if len(got) != 3 {
		t.Fatalf("list for alice has %d clients, want 3: %+v", len(got), got)
	}
	if _, ok := got[bobs.grantID]; ok {
		t.Fatal("alice's list shows bob's grant")
	}
	tests := []struct {
		name       string
		a          authorized
		software   string
		uri        string // "" means no <uri/>
		permission string
	}{
		{"full account access is unrestricted", full, "TV", "https://tv.example.com", "unrestricted"},
		{"xmpp:client:normal is normal", chat, "Chat", "", "normal"},
		{"sign-in scopes are restricted", signIn, "Sign-in only", "https://signin.example.com", "restricted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := got[tt.a.grantID]
			if !ok {
				t.Fatalf("no client with id %s (the grant id)", tt.a.grantID)
			}
			if c.Connected != "false" || c.Type != "access" {
				t.Errorf("connected, type = %q, %q, want \"false\", \"access\"", c.Connected, c.Type)
			}
			if want := xep82(tt.a.created); c.FirstSeen != want {
				t.Errorf("first-seen = %q, want %q", c.FirstSeen, want)
			}
			if want := xep82(tt.a.used); c.LastSeen != want {
				t.Errorf("last-seen = %q, want %q", c.LastSeen, want)
			}
			if len(c.Auth.Methods) != 1 || c.Auth.Methods[0].XMLName != (xml.Name{Space: component.NSCAM, Local: "grant"}) {
				t.Errorf("auth = %+v, want only <grant/>", c.Auth.Methods)
			}
			if c.Permission == nil || c.Permission.Status != tt.permission {
				t.Errorf("permission = %+v, want status %q", c.Permission, tt.permission)
			}
			if c.UserAgent.Software == nil || *c.UserAgent.Software != tt.software {
				t.Errorf("software = %v, want %q", c.UserAgent.Software, tt.software)
			}
			switch {
			case tt.uri == "" && c.UserAgent.URI != nil:
				t.Errorf("uri = %q, want none", *c.UserAgent.URI)
			case tt.uri != "" && (c.UserAgent.URI == nil || *c.UserAgent.URI != tt.uri):
				t.Errorf("uri = %v, want %q", c.UserAgent.URI, tt.uri)
			}
		})
	}

	t.Run("no grants is an empty list", func(t *testing.T) {
		out, err := handle(t, e.h, camIQ(t, "get", "carol@example.test", `<list xmlns='urn:xmpp:cam:0'/>`))
		if err != nil {
			t.Fatalf("list = %v", err)
		}
		raw, err := component.ParseRawElement(out)
		if err != nil || raw.Name != (xml.Name{Space: component.NSCAM, Local: "clients"}) || string(raw.XML) != "<clients xmlns='urn:xmpp:cam:0'/>" {
			t.Fatalf("list = %s (%v), want an empty <clients/>", out, err)
		}
	})
}

func TestCAMRevoke(t *testing.T) {
	e := newCAMEnv(t)
	tv := e.approveDevice(t, camAlice, "TV", "", "openid xmpp offline_access")
	other := e.approveDevice(t, camAlice, "Radio", "", "openid xmpp")

	out, err := handle(t, e.h, camIQ(t, "set", camAlice, `<revoke xmlns='urn:xmpp:cam:0' id='`+tv.grantID+`'/>`))
	if err != nil || out != nil {
		t.Fatalf("revoke = %s, %v; want an empty result", out, err)
	}
	tests := []struct {
		name   string
		token  string
		active bool
	}{
		{"revoked grant's access token", tv.tokens.AccessToken, false},
		{"revoked grant's refresh token", tv.tokens.RefreshToken, false},
		{"other grant's access token", other.tokens.AccessToken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token == "" {
				t.Fatal("no token was issued")
			}
			if got := e.active(t, tt.token); got != tt.active {
				t.Errorf("Introspect().Active = %v, want %v", got, tt.active)
			}
		})
	}
	got := e.list(t, camAlice)
	if _, ok := got[tv.grantID]; ok || len(got) != 1 {
		t.Errorf("list after revoke = %+v, want only %s", got, other.grantID)
	}
}

func TestCAMErrors(t *testing.T) {
	e := newCAMEnv(t)
	alices := e.approveDevice(t, camAlice, "TV", "", "xmpp")
	bobs := e.approveDevice(t, camBob, "Bob's TV", "", "xmpp")
	gone := e.approveDevice(t, camAlice, "Old TV", "", "xmpp")
	if err := e.p.RevokeGrants(t.Context(), camAlice, gone.grantID); err != nil {
		t.Fatalf("RevokeGrants() = %v", err)
	}

	tests := []struct {
		name string
		iq   component.IQ
		want component.Condition
	}{
		{"list with IQ set", camIQ(t, "set", camAlice, `<list xmlns='urn:xmpp:cam:0'/>`), component.BadRequest},
		{"revoke with IQ get", camIQ(t, "get", camAlice, `<revoke xmlns='urn:xmpp:cam:0' id='`+alices.grantID+`'/>`), component.BadRequest},
		{"revoke without id", camIQ(t, "set", camAlice, `<revoke xmlns='urn:xmpp:cam:0'/>`), component.BadRequest},
		{"revoke with empty id", camIQ(t, "set", camAlice, `<revoke xmlns='urn:xmpp:cam:0' id=''/>`), component.BadRequest},
		{"unknown id", camIQ(t, "set", camAlice, `<revoke xmlns='urn:xmpp:cam:0' id='no-such-grant'/>`), component.ItemNotFound},
		{"another user's grant", camIQ(t, "set", camAlice, `<revoke xmlns='urn:xmpp:cam:0' id='`+bobs.grantID+`'/>`), component.ItemNotFound},
		{"grant revoked before", camIQ(t, "set", camAlice, `<revoke xmlns='urn:xmpp:cam:0' id='`+gone.grantID+`'/>`), component.ItemNotFound},
		{"malformed list payload", component.IQ{Type: "get", User: camAlice, Payload: component.RawElement{Name: camList, XML: []byte("<list xmlns='urn:xmpp:cam:0'")}}, component.BadRequest},
		{"malformed revoke payload", component.IQ{Type: "set", User: camAlice, Payload: component.RawElement{Name: camRevoke, XML: []byte("<revoke xmlns='urn:xmpp:cam:0' id='x'><")}}, component.BadRequest},
		{"list handler given another element", component.IQ{Type: "get", User: camAlice, Payload: component.RawElement{Name: camList, XML: []byte("<clients xmlns='urn:xmpp:cam:0'/>")}}, component.BadRequest},
		{"revoke in another namespace", component.IQ{Type: "set", User: camAlice, Payload: component.RawElement{Name: camRevoke, XML: []byte("<revoke xmlns='urn:example' id='" + alices.grantID + "'/>")}}, component.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := handle(t, e.h, tt.iq)
			var se *component.StanzaError
			if !errors.As(err, &se) || se.Condition != tt.want {
				t.Fatalf("HandleIQ() = %s, %v; want %s", out, err, tt.want)
			}
		})
	}
	// None of the refused requests took anything away.
	for _, a := range []authorized{alices, bobs} {
		if !e.active(t, a.tokens.AccessToken) {
			t.Errorf("grant %s lost its token to a refused request", a.grantID)
		}
	}
}

// fakeCAMCore fails as told.
type fakeCAMCore struct{ err error }

func (f fakeCAMCore) Grants(context.Context, string) ([]oauth.GrantView, error) { return nil, f.err }

func (f fakeCAMCore) RevokeGrants(context.Context, string, ...string) error { return f.err }

func TestCAMCoreErrors(t *testing.T) {
	internal := errors.New("disk on fire")
	tests := []struct {
		name     string
		err      error
		want     component.Condition // "" means a plain error
		wantType string              // "" means the usual type of want

	}{
		{"store failure stays internal", internal, "", ""},
		{"access_denied is forbidden", oauth.Errorf(oauth.AccessDenied, "not a user"), component.Forbidden, ""},
		{"too_many_requests is policy-violation", oauth.Errorf(oauth.TooManyRequests, "slow down"), component.PolicyViolation, component.ErrorTypeWait},
	}
	requests := []component.IQ{
		{Type: "get", User: camAlice, Payload: component.RawElement{Name: camList, XML: []byte("<list xmlns='urn:xmpp:cam:0'/>")}},
		{Type: "set", User: camAlice, Payload: component.RawElement{Name: camRevoke, XML: []byte("<revoke xmlns='urn:xmpp:cam:0' id='g1'/>")}},
	}
	for _, tt := range tests {
		h := component.CAMHandlers(fakeCAMCore{err: tt.err})
		for _, iq := range requests {
			t.Run(tt.name+"/"+iq.Payload.Name.Local, func(t *testing.T) {
				_, err := handle(t, h, iq)
				var se *component.StanzaError
				isStanza := errors.As(err, &se)
				switch {
				case tt.want == "" && (isStanza || !errors.Is(err, tt.err)):
					t.Fatalf("HandleIQ() = %v; want a plain error wrapping %v", err, tt.err)
				case tt.want != "" && (!isStanza || se.Condition != tt.want || se.Type != tt.wantType):
					t.Fatalf("HandleIQ() = %#v; want %s of type %s", err, tt.want, tt.wantType)
				}
			})
		}
	}
}

func TestCAMHandlersWiring(t *testing.T) {
	h := component.CAMHandlers(fakeCAMCore{})
	if len(h) != 2 || h[camList] == nil || h[camRevoke] == nil {
		t.Fatalf("CAMHandlers() keys = %v, want list and revoke in %s", h, component.NSCAM)
	}
	// The component accepts them (it panics on a bad key).
	component.New(component.Config{Domain: "auth.example.test"}, component.Handlers{IQ: h})

	defer func() {
		if recover() == nil {
			t.Error("CAMHandlers(nil) did not panic")
		}
	}()
	component.CAMHandlers(nil)
}
