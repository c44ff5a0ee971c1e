package adhoc_test

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/internal/fakeclock"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
)

// Requesters of the command tests. Only example.test is a user domain.
const (
	userAlice   = "alice@example.test/phone"
	userAlice2  = "alice@example.test/laptop"
	userBob     = "bob@example.test/home"
	userMallory = "mallory@other.example/pc"
	userAdmin   = "root@example.test/console"
	component   = "oauth.example.test"
	aliceBare   = "alice@example.test"
)

// epoch is the pinned start time of every command test. It lies in the
// future because storetest.Memory counts live records (Stats) by the real
// clock.
var epoch = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// cmdEnv is a real provider on the memory store behind a real engine running
// adhoc.Commands.
type cmdEnv struct {
	p     *oauth.Provider
	clock *fakeclock.Clock
	eng   *adhoc.Engine
}

func newCmdEnv(t *testing.T) *cmdEnv {
	t.Helper()
	e := &cmdEnv{clock: fakeclock.New(epoch)}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	p, err := oauth.New(t.Context(), oauth.Config{
		Issuer:           "https://auth.example.test",
		UserDomains:      []string{"example.test"},
		OpenRegistration: true,
		Now:              e.clock.Now,
		Logger:           log,
		ResourceServers:  []oauth.ResourceServer{{ID: "api", Secret: "api-secret"}},
	}, storetest.Memory())
	if err != nil {
		t.Fatalf("oauth.New() = %v", err)
	}
	e.p = p
	e.eng = adhoc.New(adhoc.Options{Now: e.clock.Now, Logger: log}, adhoc.Commands(p)...)
	return e
}

// resourceServer is the credential an API uses to introspect tokens.
var resourceServer = oauth.ClientCredentials{ID: "api", Secret: "api-secret", Method: oauth.AuthClientSecretBasic}

// active reports whether the resource server sees token as active.
func (e *cmdEnv) active(t *testing.T, token string) bool {
	t.Helper()
	in, err := e.p.Introspect(t.Context(), resourceServer, token, "")
	if err != nil {
		t.Fatalf("Introspect() = %v", err)
	}
	return in.Active
}

func (e *cmdEnv) register(t *testing.T, m oauth.ClientMetadata) (oauth.Client, oauth.ClientCredentials) {
	t.Helper()
	reg, err := e.p.Register(t.Context(), m, "")
	if err != nil {
		t.Fatalf("Register(%q) = %v", m.ClientName, err)
	}
	cred := oauth.ClientCredentials{ID: reg.Client.ID, Secret: reg.Secret.Reveal(), Method: reg.Client.TokenEndpointAuthMethod}
	return reg.Client, cred
}

// tvMeta is a public device-flow client.
func tvMeta() oauth.ClientMetadata {
	return oauth.ClientMetadata{ClientName: "TV", ClientURI: "https://tv.example.com", TokenEndpointAuthMethod: oauth.AuthNone,
		GrantTypes: []string{oauth.GrantDeviceCode, oauth.GrantRefreshToken}}
}

// radioMeta is another device-flow client.
func radioMeta() oauth.ClientMetadata {
	m := tvMeta()
	m.ClientName, m.ClientURI = "Radio", "https://radio.example.com"
	return m
}

// webMeta is a confidential web client of the code flow.
func webMeta(name string) oauth.ClientMetadata {
	return oauth.ClientMetadata{ClientName: name, ClientURI: "https://app.example.com",
		RedirectURIs: []string{"https://app.example.com/cb"},
		GrantTypes:   []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken}}
}

// device is a device flow started through the core.
type device struct {
	cred oauth.ClientCredentials
	auth oauth.DeviceAuthorization
}

func (e *cmdEnv) startDevice(t *testing.T, cred oauth.ClientCredentials, scope string) device {
	t.Helper()
	da, err := e.p.DeviceAuthorize(t.Context(), cred, scope)
	if err != nil {
		t.Fatalf("DeviceAuthorize() = %v", err)
	}
	return device{cred: cred, auth: da}
}

// poll is the device's token request (RFC 8628 §3.4).
func (e *cmdEnv) poll(t *testing.T, d device) (oauth.TokenResponse, error) {
	t.Helper()
	return e.p.Token(t.Context(), d.cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: d.auth.DeviceCode})
}

// grantDevice gives jid a grant for the client of cred through the core, and
// returns the device's tokens.
func (e *cmdEnv) grantDevice(t *testing.T, jid string, cred oauth.ClientCredentials) oauth.TokenResponse {
	t.Helper()
	d := e.startDevice(t, cred, "openid xmpp")
	if err := e.p.DecideDevice(t.Context(), jid, d.auth.UserCode, true); err != nil {
		t.Fatalf("DecideDevice() = %v", err)
	}
	resp, err := e.poll(t, d)
	if err != nil {
		t.Fatalf("device poll = %v", err)
	}
	return resp
}

// startSignIn starts a web sign-in of jid at client c through the core.
func (e *cmdEnv) startSignIn(t *testing.T, c oauth.Client, jid string) oauth.SignIn {
	t.Helper()
	params := url.Values{
		"client_id": {c.ID}, "redirect_uri": {c.RedirectURIs[0]}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"st"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	req, _, err := e.p.ParseAuthorize(t.Context(), params)
	if err != nil {
		t.Fatalf("ParseAuthorize() = %v", err)
	}
	s, err := e.p.StartSignIn(t.Context(), req, jid)
	if err != nil {
		t.Fatalf("StartSignIn() = %v", err)
	}
	return s
}

// execute starts the command node as from.
func (e *cmdEnv) execute(t *testing.T, from, node string, admin bool) (*adhoc.Command, error) {
	t.Helper()
	return e.eng.Handle(t.Context(), from, component, &adhoc.Command{Node: node, Action: adhoc.ActionExecute}, admin)
}

// send continues the session of prev with action and a submission.
func (e *cmdEnv) send(t *testing.T, from string, prev *adhoc.Command, action adhoc.Action, form *forms.Form, admin bool) (*adhoc.Command, error) {
	t.Helper()
	return e.eng.Handle(t.Context(), from, component, &adhoc.Command{Node: prev.Node, SessionID: prev.SessionID, Action: action, Form: form}, admin)
}

// start is execute for a request that must succeed.
func (e *cmdEnv) start(t *testing.T, from, node string, admin bool) *adhoc.Command {
	t.Helper()
	cmd, err := e.execute(t, from, node, admin)
	if err != nil {
		t.Fatalf("execute %s as %s: %v", node, from, err)
	}
	return cmd
}

// next is send for a request that must succeed.
func (e *cmdEnv) next(t *testing.T, from string, prev *adhoc.Command, action adhoc.Action, form *forms.Form, admin bool) *adhoc.Command {
	t.Helper()
	cmd, err := e.send(t, from, prev, action, form, admin)
	if err != nil {
		t.Fatalf("%s on %s as %s: %v", action, prev.Node, from, err)
	}
	return cmd
}

// submit builds a submission; each pair is a var and its values.
func submit(fields map[string][]string) *forms.Form {
	opts := []forms.FormOption{forms.OfType(forms.TypeSubmit)}
	for v, vals := range fields {
		opts = append(opts, forms.Var(v, vals...))
	}
	return forms.New(opts...)
}

// one is a submission of a single field.
func one(v string, values ...string) *forms.Form { return submit(map[string][]string{v: values}) }

// wantStatus checks the command's status.
func wantStatus(t *testing.T, cmd *adhoc.Command, want adhoc.Status) {
	t.Helper()
	if cmd.Status != want {
		t.Fatalf("status = %q (notes %+v), want %q", cmd.Status, cmd.Notes, want)
	}
}

// wantNote checks that the command carries a note of type typ containing text.
func wantNote(t *testing.T, cmd *adhoc.Command, typ adhoc.NoteType, text string) {
	t.Helper()
	for _, n := range cmd.Notes {
		if n.Type == typ && strings.Contains(n.Text, text) {
			return
		}
	}
	t.Fatalf("notes = %+v, want a %s note containing %q", cmd.Notes, typ, text)
}

// wantStanzaError checks that err is a stanza error with condition and
// specific condition.
func wantStanzaError(t *testing.T, err error, condition, specific string) *adhoc.StanzaError {
	t.Helper()
	se, ok := errors.AsType[*adhoc.StanzaError](err)
	if !ok {
		t.Fatalf("error = %v (%T), want a *adhoc.StanzaError", err, err)
	}
	if se.Condition != condition || se.Specific != specific {
		t.Fatalf("error = %v, want %s (%s)", se, condition, specific)
	}
	return se
}

// fixedText joins the fixed fields and instructions of a form, and the
// rows of a result given as fields ("label: value"), what the user reads.
func fixedText(f *forms.Form) string {
	if f == nil {
		return ""
	}
	lines := append([]string(nil), f.Instructions...)
	for _, fld := range f.Fields {
		switch {
		case fld.Type == forms.FieldFixed:
			lines = append(lines, fld.Values...)
		case strings.HasPrefix(fld.Var, "row-"):
			lines = append(lines, fld.Label+": "+strings.Join(fld.Values, " "))
		}
	}
	return strings.Join(lines, "\n")
}

// options returns the options of field v of f as label → value.
func options(t *testing.T, f *forms.Form, v string) map[string]string {
	t.Helper()
	fld, ok := f.Field(v)
	if !ok {
		t.Fatalf("form has no field %q: %+v", v, f)
	}
	out := make(map[string]string, len(fld.Options))
	for _, o := range fld.Options {
		out[o.Label] = o.Value
	}
	return out
}

// rows returns the items of a result table as maps var → value.
func rows(f *forms.Form) []map[string]string {
	var out []map[string]string
	for _, it := range f.Items {
		row := map[string]string{}
		for _, fld := range it {
			row[fld.Var] = strings.Join(fld.Values, "\n")
		}
		out = append(out, row)
	}
	return out
}
