package adhoc

import (
	"context"
	"strconv"

	"github.com/xmppoauth/xmppoauth/forms"
)

// stats is "Statistics": the counts an admin watches.
func stats(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		s, err := core.Stats(ctx)
		if err != nil {
			return fail("statistics", err, false)
		}
		count := func(v, label string, n int) forms.Field {
			return forms.TextSingle(v, forms.Label(label), forms.Value(strconv.Itoa(n)))
		}
		return Response{Form: forms.New(
			forms.OfType(forms.TypeResult),
			forms.Title(NameStats),
			count("clients", "Clients", s.Clients),
			count("grants", "Grants", s.Grants),
			count("active_tokens", "Active tokens", s.ActiveTokens),
			count("pending_codes", "Pending device codes", s.PendingCodes),
			count("pending_sign_ins", "Pending sign-ins", s.PendingSignIn),
		)}, nil
	}
}
