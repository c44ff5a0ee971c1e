package adhoc

import (
	"context"
	"strconv"
	"strings"

	"github.com/xmppoauth/xmppoauth/forms"
)

// listApps is "List authorized apps": one stage showing a table of the
// user's grants, one row per app.
func listApps(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		grants, err := core.Grants(ctx, requester(req))
		if err != nil {
			return fail("list apps", err, false)
		}
		if len(grants) == 0 {
			return done("You have not authorized any app."), nil
		}
		opts := []forms.FormOption{
			forms.OfType(forms.TypeResult),
			forms.Title("Authorized apps"),
			forms.Reported(
				forms.TextSingle("app", forms.Label("App")),
				forms.TextSingle("uri", forms.Label("Address")),
				forms.TextSingle("scopes", forms.Label("Access")),
				forms.TextSingle("authorized", forms.Label("Authorized")),
				forms.TextSingle("last_used", forms.Label("Last used")),
				forms.TextSingle("tokens", forms.Label("Active tokens")),
			),
		}
		for _, g := range grants {
			opts = append(opts, forms.Item(
				forms.Var("app", appName(g.App)),
				forms.Var("uri", g.App.URI),
				forms.Var("scopes", strings.Join(g.Scopes, " ")),
				forms.Var("authorized", showTime(authorized(g.Grant))),
				forms.Var("last_used", showTime(g.LastUsed)),
				forms.Var("tokens", strconv.Itoa(g.ActiveTokens)),
			))
		}
		return Response{Form: forms.New(opts...)}, nil
	}
}
