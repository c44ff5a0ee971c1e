package adhoc

import (
	"context"
	"fmt"
	"slices"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// revokeChoice is what the confirmation stage of "Revoke app access" is
// given: the apps picked, as labelled when picked.
type revokeChoice struct {
	ids    []string
	labels []string
}

// grantLabel is how a grant is named in "Revoke app access".
func grantLabel(g oauth.GrantView) string {
	return fmt.Sprintf("%s, authorized %s", label(g.App), showDate(authorized(g.Grant)))
}

// grantOptionLabel is how a grant is named in the app picker: its app
// alone, with the date only where the user has several grants of that app
// to tell apart. poezio draws an option's label from the middle of its
// half of the window and cuts what goes beyond.
func grantOptionLabel(g oauth.GrantView, all []oauth.GrantView) string {
	l := label(g.App)
	n := 0
	for _, o := range all {
		if label(o.App) == l {
			n++
		}
	}
	if n > 1 {
		return grantLabel(g)
	}
	return l
}

// revokeApps is "Revoke app access": pick apps, confirm, revoke. Revoking
// a grant ends every token issued under it at once (RFC 7009 §2.1 asks the
// same of a revoked refresh token). The options' values are a slug of the
// app's name and the start of the grant's ID (optionValue), which the stage
// maps back to grant IDs.
func revokeApps(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		grants, err := core.Grants(ctx, requester(req))
		if err != nil {
			return fail("revoke apps", err, false)
		}
		if len(grants) == 0 {
			return done("You have not authorized any app, so there is nothing to revoke."), nil
		}
		options := make([]forms.Option, len(grants))
		picks := make(map[string]pick, len(grants))
		taken := make(map[string]bool, len(grants))
		for i, g := range grants {
			v := optionValue(g.App.Label().Name, g.ID, taken)
			options[i] = forms.Option{Label: grantOptionLabel(g, grants), Value: v}
			picks[v] = pick{id: g.ID, label: grantLabel(g)}
		}
		return Response{
			Form: forms.New(
				forms.Title(NameRevokeApps),
				forms.Instructions("Pick the apps that should lose access to your account."),
				forms.ListMulti("grants", forms.Label("Apps"), forms.Required(), forms.Options(options...)),
			),
			Actions: Actions{Next: true},
			Then:    confirmRevoke(core, picks),
		}, nil
	}
}

// pick is a record offered in a list: its ID and how it was labelled.
type pick struct{ id, label string }

// confirmRevoke shows what will be revoked and asks to confirm.
func confirmRevoke(core Core, picks map[string]pick) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		values, _ := req.Form.Strings("grants")
		var choice revokeChoice
		fields := []forms.FormOption{forms.Title(NameRevokeApps)}
		fields = append(fields, text("These apps will lose access to your account,", "and every token they hold stops working at once:")...)
		for _, v := range values {
			p, ok := picks[v]
			if !ok {
				continue // forms.Validate let only offered values through; "" is none
			}
			choice.ids = append(choice.ids, p.id)
			choice.labels = append(choice.labels, p.label)
			fields = append(fields, text("• "+p.label)...)
		}
		fields = append(fields, confirmField("Yes, revoke their access"))
		return Response{
			Form:    forms.New(fields...),
			Actions: confirmActions(),
			Data:    choice,
			Then:    doRevoke(core),
		}, nil
	}
}

// doRevoke revokes the confirmed grants. Grants that ended meanwhile (the
// user revoked them from another client, or an admin deleted the app) are
// reported in an error note rather than failing the whole command.
func doRevoke(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		if err := confirmed(req.Form); err != nil {
			return Response{}, err
		}
		choice := req.Data.(revokeChoice)
		jid := requester(req)
		current, err := core.Grants(ctx, jid)
		if err != nil {
			return fail("revoke apps", err, false)
		}
		var live []string
		var gone []string
		for i, id := range choice.ids {
			if slices.ContainsFunc(current, func(g oauth.GrantView) bool { return g.ID == id }) {
				live = append(live, id)
			} else {
				gone = append(gone, choice.labels[i])
			}
		}
		if len(live) > 0 {
			if err := core.RevokeGrants(ctx, jid, live...); err != nil {
				return fail("revoke apps", err, false)
			}
		}
		var resp Response
		if len(live) > 0 {
			resp.Notes = append(resp.Notes, Note{Type: NoteInfo,
				Text: fmt.Sprintf("Revoked access of %d app(s). Their tokens stopped working.", len(live))})
		}
		for _, label := range gone {
			resp.Notes = append(resp.Notes, Note{Type: NoteError,
				Text: fmt.Sprintf("%s had no access any more: it was revoked or deleted meanwhile.", label)})
		}
		return resp, nil
	}
}
