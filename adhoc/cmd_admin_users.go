package adhoc

import (
	"context"
	"fmt"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// revokeUser is "Revoke all access of a user": name a JID, see its
// authorized apps, confirm, revoke them all, as when an account is
// compromised or closed.
func revokeUser(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		return Response{
			Form: forms.New(
				forms.Title("Revoke all access of a user"),
				forms.JIDSingle("jid", forms.Label("User's address"), forms.Required()),
			),
			Actions: Actions{Next: true},
			Then:    confirmRevokeUser(core),
		}, nil
	}
}

// confirmRevokeUser lists the user's apps and asks to confirm.
func confirmRevokeUser(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		j, _ := req.Form.JID("jid")
		jid := oauth.NormalizeJID(j.Bare().String())
		grants, err := core.Grants(ctx, jid)
		if err != nil {
			return fail("revoke user", err, true)
		}
		if len(grants) == 0 {
			return done(jid + " has not authorized any app; there is nothing to revoke."), nil
		}
		fields := []forms.FormOption{forms.Title(NameRevokeUser)}
		fields = append(fields, text(fmt.Sprintf("%s has authorized %d app(s).", jid, len(grants)), "All of them will lose access at once:")...)
		for _, g := range grants {
			fields = append(fields, text("• "+grantLabel(g))...)
		}
		fields = append(fields, confirmField("Yes, revoke all access of this user"))
		return Response{
			Form:    forms.New(fields...),
			Actions: confirmActions(),
			Data:    jid,
			Then:    doRevokeUser(core),
		}, nil
	}
}

// doRevokeUser revokes every grant of the confirmed user, including any
// made since the list was shown.
func doRevokeUser(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		if err := confirmed(req.Form); err != nil {
			return Response{}, err
		}
		jid := req.Data.(string)
		n, err := core.RevokeUser(ctx, jid)
		if err != nil {
			return fail("revoke user", err, false)
		}
		return done(fmt.Sprintf("Revoked %d authorization(s) of %s. Their tokens stopped working.", n, jid)), nil
	}
}
