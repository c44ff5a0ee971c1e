package adhoc

import (
	"context"
	"strconv"
	"strings"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// rowField is the field that stands for one row of a result table: a
// text-single labelled with what the row is, valued with what it says.
// Neither poezio nor profanity draws XEP-0004 result tables, so tables come
// with one such field per row, one line in every client: poezio draws a
// field's label and value side by side, each in half of its window.
func rowField(i int, label, value string) forms.Field {
	return forms.TextSingle("row-"+strconv.Itoa(i+1), forms.Label(label), forms.Value(value))
}

// appRow is the text of one app in "List authorized apps": what it may do
// and when it last did.
func appRow(g oauth.GrantView) string {
	return "access: " + strings.Join(g.Scopes, " ") + "; last used " + showTime(g.LastUsed)
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
		for i, g := range grants {
			opts = append(opts, rowField(i, label(g.App), appRow(g)))
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
