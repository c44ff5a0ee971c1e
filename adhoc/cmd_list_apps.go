package adhoc

import (
	"context"
	"strconv"
	"strings"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// appRow is the line of text that stands for one app in "List authorized
// apps": what it is, what it may do, when it last did. Neither poezio nor
// profanity draws XEP-0004 result tables, so the table comes with one such
// line per row.
func appRow(g oauth.GrantView) string {
	return label(g.App) + ": " + strings.Join(g.Scopes, " ") + "; last used " + showTime(g.LastUsed)
}

// listApps is "List authorized apps": one stage showing the user's grants,
// one per app, as lines of text and as a table (XEP-0004 §3.4) for the
// clients that draw tables.
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
			forms.Title(NameListApps),
		}
		for _, g := range grants {
			opts = append(opts, forms.Fixed(appRow(g)))
		}
		opts = append(opts, forms.Reported(
			forms.TextSingle("app", forms.Label("App")),
			forms.TextSingle("uri", forms.Label("Web address")),
			forms.TextSingle("scopes", forms.Label("Access")),
			forms.TextSingle("authorized", forms.Label("Authorized")),
			forms.TextSingle("last_used", forms.Label("Last used")),
			forms.TextSingle("tokens", forms.Label("Active tokens")),
		))
		for _, g := range grants {
			l := g.App.Label()
			opts = append(opts, forms.Item(
				forms.Var("app", l.Name),
				forms.Var("uri", l.Host),
				forms.Var("scopes", strings.Join(g.Scopes, " ")),
				forms.Var("authorized", showTime(authorized(g.Grant))),
				forms.Var("last_used", showTime(g.LastUsed)),
				forms.Var("tokens", strconv.Itoa(g.ActiveTokens)),
			))
		}
		return Response{Form: forms.New(opts...)}, nil
	}
}
