package component

import (
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// NSCAM is the namespace of XEP-0494: Client Access Management (version
// 0.1.0, 2024-09-17).
const NSCAM = "urn:xmpp:cam:0"

// XEP-0494 payload names.
var (
	camListName   = xml.Name{Space: NSCAM, Local: "list"}
	camRevokeName = xml.Name{Space: NSCAM, Local: "revoke"}
)

// XEP-0494 §3.1 permission statuses.
const (
	camUnrestricted = "unrestricted"
	camNormal       = "normal"
	camRestricted   = "restricted"
)

// CAMCore is what XEP-0494 needs from the OAuth core; *oauth.Provider
// implements it.
type CAMCore interface {
	// Grants lists the grants of a bare JID.
	Grants(ctx context.Context, jid string) ([]oauth.GrantView, error)
	// RevokeGrants ends grants of a bare JID; an id that is not one of
	// its grants is an *oauth.Error with code invalid_request.
	RevokeGrants(ctx context.Context, jid string, ids ...string) error
}

// CAMHandlers returns the IQ handlers of XEP-0494: Client Access Management,
// keyed by payload name for [Handlers.IQ]: {NSCAM, "list"} and
// {NSCAM, "revoke"}. They let a user see and revoke, from their chat
// client, the applications they authorized through OAuth.
//
// Each of the user's OAuth grants is one client (§3.1):
//
//	<client id='GRANT-ID' connected='false' type='access'>
//	  <first-seen>when the grant was made</first-seen>
//	  <last-seen>when a token was last issued from it</last-seen>
//	  <auth><grant/></auth>
//	  <permission status='unrestricted|normal|restricted'/>
//	  <user-agent><software>app name</software><uri>app homepage</uri></user-agent>
//	</client>
//
// 'connected' is always false and 'type' always "access": this component
// sees OAuth grants, not the XMPP server's sessions, and §3.1 defines
// "access" for a client that "may have been granted access to the account,
// but only used non-XMPP APIs or never logged in". The permission status
// follows the XEP-0493 scopes: "xmpp" (full account access) is
// unrestricted, "xmpp:client:normal" is normal (XEP-0493 §3 defines it with
// the same words as XEP-0494's "normal"), and anything else (sign-in only,
// account read or write only, deployment scopes) is restricted. XEP-0494
// defines no format for the details of a restriction, so none is sent.
//
// Revoking (§3.2) ends the grant and every token issued from it at once.
// A list request must be an IQ get and a revoke an IQ set; anything else,
// and a payload that is malformed or a revoke without an 'id', is answered
// with bad-request. An id that is not one of the user's grants is
// item-not-found. Errors of the core that are not *oauth.Error values are
// returned wrapped, so that the component logs them and answers
// internal-server-error.
//
// CAMHandlers panics if core is nil, so that the wiring mistake shows when
// the program starts.
func CAMHandlers(core CAMCore) map[xml.Name]IQHandler {
	if core == nil {
		panic("component: CAMHandlers needs a core")
	}
	c := cam{core: core}
	return map[xml.Name]IQHandler{
		camListName:   IQHandlerFunc(c.list),
		camRevokeName: IQHandlerFunc(c.revoke),
	}
}

// cam serves XEP-0494 for the grants of the core.
type cam struct {
	core CAMCore
}

// XML of the <clients/> result (XEP-0494 §3.1 and its schema, §9). Child
// elements carry no namespace of their own, so they inherit NSCAM.
type (
	camClients struct {
		XMLName xml.Name    `xml:"urn:xmpp:cam:0 clients"`
		Clients []camClient `xml:"client"`
	}
	camClient struct {
		ID         string        `xml:"id,attr"`
		Connected  bool          `xml:"connected,attr"`
		Type       string        `xml:"type,attr"`
		FirstSeen  string        `xml:"first-seen,omitempty"`
		LastSeen   string        `xml:"last-seen,omitempty"`
		Auth       camAuth       `xml:"auth"`
		Permission camPermission `xml:"permission"`
		UserAgent  camUserAgent  `xml:"user-agent"`
	}
	camAuth struct {
		Grant *struct{} `xml:"grant"`
	}
	camPermission struct {
		Status string `xml:"status,attr"`
	}
	camUserAgent struct {
		Software string `xml:"software"` // required by the schema
		URI      string `xml:"uri,omitempty"`
	}
)

// list answers XEP-0494 §3.1: the user's OAuth grants as clients.
func (c cam) list(ctx context.Context, iq IQ) ([]byte, error) {
	if iq.Type != "get" {
		return nil, NewStanzaError(BadRequest, "The client list is requested with IQ get (XEP-0494 §3.1).")
	}
	var req struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal(iq.Payload.XML, &req); err != nil || req.XMLName != camListName {
		return nil, NewStanzaError(BadRequest, "The list element is malformed.")
	}
	grants, err := c.core.Grants(ctx, iq.User)
	if err != nil {
		return nil, camError("list clients", err)
	}
	// Oldest first, so that the order does not depend on the store.
	grants = slices.Clone(grants)
	slices.SortFunc(grants, func(a, b oauth.GrantView) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	out := camClients{Clients: make([]camClient, 0, len(grants))}
	for _, g := range grants {
		out.Clients = append(out.Clients, camClientOf(g))
	}
	b, err := xml.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshal client list: %w", err)
	}
	return b, nil
}

// camClientOf describes one grant as a XEP-0494 client.
func camClientOf(g oauth.GrantView) camClient {
	software := g.App.Name
	if software == "" {
		software = g.App.ClientID
	}
	return camClient{
		ID:         g.ID,
		Connected:  false, // see CAMHandlers: no XMPP session is known
		Type:       "access",
		FirstSeen:  camTime(g.Created),
		LastSeen:   camTime(g.LastUsed),
		Auth:       camAuth{Grant: &struct{}{}},
		Permission: camPermission{Status: camPermissionOf(g.Scopes)},
		UserAgent:  camUserAgent{Software: software, URI: g.App.URI},
	}
}

// camPermissionOf maps XEP-0493 scopes to a XEP-0494 permission status.
func camPermissionOf(scopes []string) string {
	switch {
	case slices.Contains(scopes, oauth.ScopeXMPP):
		return camUnrestricted
	case slices.Contains(scopes, oauth.ScopeXMPPClient):
		return camNormal
	default:
		return camRestricted
	}
}

// camTime formats t as a XEP-0082 DateTime in UTC, or "" for the zero time
// (the element is then left out; the schema makes both optional).
func camTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// revoke answers XEP-0494 §3.2: it ends one of the user's grants, and
// returns an empty result.
func (c cam) revoke(ctx context.Context, iq IQ) ([]byte, error) {
	if iq.Type != "set" {
		return nil, NewStanzaError(BadRequest, "Access is revoked with IQ set (XEP-0494 §3.2).")
	}
	var req struct {
		XMLName xml.Name
		ID      string `xml:"id,attr"`
	}
	if err := xml.Unmarshal(iq.Payload.XML, &req); err != nil || req.XMLName != camRevokeName {
		return nil, NewStanzaError(BadRequest, "The revoke element is malformed.")
	}
	if req.ID == "" {
		return nil, NewStanzaError(BadRequest, "The revoke element needs the 'id' of a client from the list.")
	}
	err := c.core.RevokeGrants(ctx, iq.User, req.ID)
	if e, ok := oauth.AsError(err); (ok && e.Code == oauth.InvalidRequest) || errors.Is(err, oauth.ErrNotFound) {
		// RevokeGrants reports an id that is not one of the user's grants
		// as invalid_request; ErrNotFound would mean it went meanwhile.
		return nil, NewStanzaError(ItemNotFound, "No client with this id has access to your account.")
	}
	if err != nil {
		return nil, camError("revoke client", err)
	}
	return nil, nil
}

// camError turns an error of the core into what a XEP-0494 handler returns:
// an *oauth.Error becomes a stanza error with its description, and anything
// else is wrapped with what, so that the component logs it and answers
// internal-server-error without its text.
func camError(what string, err error) error {
	e, ok := oauth.AsError(err)
	if !ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch e.Code {
	case oauth.AccessDenied:
		return NewStanzaError(Forbidden, e.Description)
	case oauth.TooManyRequests:
		// oauth.TooManyRequests maps to policy-violation; the requester
		// may retry later, hence type wait.
		return &StanzaError{Type: ErrorTypeWait, Condition: PolicyViolation, Text: e.Description}
	default:
		return NewStanzaError(BadRequest, e.Description)
	}
}
