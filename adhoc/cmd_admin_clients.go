package adhoc

import (
	"context"
	"fmt"
	"strings"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// clientKind says what kind of client c is: its application type (OpenID
// Connect Dynamic Client Registration §2) and whether it holds a secret
// (RFC 6749 §2.1).
func clientKind(c oauth.Client) string {
	conf := "confidential"
	if c.Public() {
		conf = "public"
	}
	if c.ApplicationType == "" {
		return conf
	}
	return c.ApplicationType + ", " + conf
}

// grantTypeNames lists grant types by their short names.
func grantTypeNames(types []string) string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t
		if t == oauth.GrantDeviceCode {
			out[i] = "device_code"
		}
	}
	return strings.Join(out, ", ")
}

// clientLabel names a client in the admin commands: as users see it, and
// by its client_id.
func clientLabel(c oauth.Client) string { return label(c.App()) + ", client_id " + c.ID }

// clientRow is the text of one client in "List clients" (see resultTable).
func clientRow(c oauth.Client) string {
	return fmt.Sprintf("client_id %s; %s; %s; registered %s", c.ID, clientKind(c), grantTypeNames(c.GrantTypes), showDate(c.CreatedAt))
}

// listClients is "List clients": the registered clients as lines of text
// and as a table (XEP-0004 §3.4).
func listClients(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		clients, err := core.Clients(ctx)
		if err != nil {
			return fail("list clients", err, false)
		}
		if len(clients) == 0 {
			return done("No client is registered."), nil
		}
		name := func(c oauth.Client) string { return label(c.App()) }
		return Response{Form: resultTable("Registered clients", clients, name, clientRow, []column[oauth.Client]{
			{"name", "Name", func(c oauth.Client) string { return c.App().Label().Name }},
			{"client_id", "Client ID", func(c oauth.Client) string { return c.ID }},
			{"type", "Type", clientKind},
			{"grant_types", "Grant types", func(c oauth.Client) string { return grantTypeNames(c.GrantTypes) }},
			{"created", "Created", func(c oauth.Client) string { return showTime(c.CreatedAt) }},
		})}, nil
	}
}

// deleteClient is "Delete a client": pick one, confirm, delete. Deleting a
// client ends all its grants, so every token it holds stops working. The
// options' values are a slug of the client's name and the start of its
// client_id (optionValue).
func deleteClient(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		clients, err := core.Clients(ctx)
		if err != nil {
			return fail("delete client", err, false)
		}
		if len(clients) == 0 {
			return done("No client is registered."), nil
		}
		options := make([]forms.Option, len(clients))
		picks := make(map[string]pick, len(clients))
		taken := make(map[string]bool, len(clients))
		for i, c := range clients {
			v := optionValue(c.App().Label().Name, c.ID, taken)
			options[i] = forms.Option{Label: clientLabel(c), Value: v}
			picks[v] = pick{id: c.ID, label: options[i].Label}
		}
		return Response{
			Form: forms.New(
				forms.Title(NameDeleteClient),
				forms.ListSingle("client", forms.Label("Client"), forms.Required(), forms.Options(options...)),
			),
			Actions: Actions{Next: true},
			Then: func(ctx context.Context, req *Request) (Response, error) {
				v, _ := req.Form.String("client")
				p := picks[v]
				fields := []forms.FormOption{forms.Title(NameDeleteClient)}
				fields = append(fields, text("Client: "+p.label,
					"Deleting it ends every authorization users gave it;",
					"its tokens stop working at once, and it must register again.")...)
				return Response{
					Form:    forms.New(append(fields, confirmField("Yes, delete this client"))...),
					Actions: confirmActions(),
					Data:    p.id,
					Then:    doDeleteClient(core, p.label),
				}, nil
			},
		}, nil
	}
}

// doDeleteClient deletes the confirmed client.
func doDeleteClient(core Core, label string) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		if err := confirmed(req.Form); err != nil {
			return Response{}, err
		}
		if err := core.DeleteClient(ctx, req.Data.(string)); err != nil {
			return fail("delete client", err, false)
		}
		return done("Deleted " + label + ". Its tokens stopped working."), nil
	}
}
