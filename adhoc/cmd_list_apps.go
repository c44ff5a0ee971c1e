package adhoc

import (
	"context"
	"strconv"
	"strings"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// column is one column of a result table of Ts: its var, its label, and
// what a row shows in it.
type column[T any] struct {
	v, label string
	cell     func(T) string
}

// resultTable is a result form showing rows twice. First one field per row,
// a text-single named row-1, row-2, … labelled with rowLabel and valued with
// rowText: neither poezio nor profanity draws XEP-0004 result tables, and
// each field is one line in every client (poezio draws a field's label and
// value side by side, each in half of its window). Then the table of cols
// (XEP-0004 §3.4), for the clients that draw tables.
func resultTable[T any](title string, rows []T, rowLabel, rowText func(T) string, cols []column[T]) *forms.Form {
	opts := []forms.FormOption{forms.OfType(forms.TypeResult), forms.Title(title)}
	for i, r := range rows {
		opts = append(opts, forms.TextSingle("row-"+strconv.Itoa(i+1), forms.Label(rowLabel(r)), forms.Value(rowText(r))))
	}
	reported := make([]forms.Field, len(cols))
	for i, c := range cols {
		reported[i] = forms.TextSingle(c.v, forms.Label(c.label))
	}
	opts = append(opts, forms.Reported(reported...))
	for _, r := range rows {
		cells := make([]forms.Field, len(cols))
		for i, c := range cols {
			cells[i] = forms.Var(c.v, c.cell(r))
		}
		opts = append(opts, forms.Item(cells...))
	}
	return forms.New(opts...)
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
		name := func(g oauth.GrantView) string { return label(g.App) }
		return Response{Form: resultTable(NameListApps, grants, name, appRow, []column[oauth.GrantView]{
			{"app", "App", func(g oauth.GrantView) string { return g.App.Label().Name }},
			{"uri", "Web address", func(g oauth.GrantView) string { return g.App.Label().Host }},
			{"scopes", "Access", func(g oauth.GrantView) string { return strings.Join(g.Scopes, " ") }},
			{"authorized", "Authorized", func(g oauth.GrantView) string { return showTime(authorized(g.Grant)) }},
			{"last_used", "Last used", func(g oauth.GrantView) string { return showTime(g.LastUsed) }},
			{"tokens", "Active tokens", func(g oauth.GrantView) string { return strconv.Itoa(g.ActiveTokens) }},
		})}, nil
	}
}
