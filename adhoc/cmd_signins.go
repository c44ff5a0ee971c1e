package adhoc

import (
	"context"

	"github.com/xmppoauth/xmppoauth/forms"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// signInWarning is what a user must check before approving a sign-in, in
// its lines.
var signInWarning = []string{"Approve only if you are signing in to this app right now", "and your browser shows the same code."}

// signInLabel names a pending sign-in by the short code the browser shows
// beside it, so that the user can match the two.
func signInLabel(s oauth.SignInView) string { return s.Code + " — " + label(s.App) }

// pendingSignIns is "Pending sign-ins": the web sign-ins waiting for the
// user's answer (the browser waits while the user decides in chat). With one
// waiting it is shown at once; with several the user picks one first. The
// options' values are the codes themselves, which the browser shows.
func pendingSignIns(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		list, err := core.PendingSignIns(ctx, requester(req))
		if err != nil {
			return fail("list pending sign-ins", err, false)
		}
		switch len(list) {
		case 0:
			return done("No sign-in is waiting for your answer."), nil
		case 1:
			return showSignIn(core, list[0], false), nil
		}
		options := make([]forms.Option, len(list))
		byCode := make(map[string]oauth.SignInView, len(list))
		for i, s := range list {
			options[i] = forms.Option{Label: signInLabel(s), Value: s.Code}
			byCode[s.Code] = s
		}
		return Response{
			Form: forms.New(
				forms.Title(NameSignIns),
				forms.Instructions("Pick the sign-in whose code your browser shows."),
				forms.ListSingle("signin", forms.Label("Sign-in (code and app)"), forms.Required(), forms.Options(options...)),
			),
			Actions: Actions{Next: true},
			Then: func(ctx context.Context, req *Request) (Response, error) {
				code, _ := req.Form.String("signin")
				return showSignIn(core, byCode[code], true), nil
			},
		}, nil
	}
}

// showSignIn shows one pending sign-in and asks for the answer; canPrev says
// whether there is a list to go back to.
func showSignIn(core Core, s oauth.SignInView, canPrev bool) Response {
	return Response{
		Form:    approvalForm("Sign in to "+s.App.Label().Quoted(), s.App, s.Code, s.Created, s.Expiry, "app", s.Scopes, signInWarning),
		Actions: Actions{Prev: canPrev, Complete: true},
		Data:    s.Code,
		Then:    decideSignIn(core),
	}
}

// decideSignIn records the answer; the waiting browser then goes on to the
// app with a code, or with access_denied.
func decideSignIn(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		approve, err := decision(req.Form)
		if err != nil {
			return Response{}, err
		}
		if _, err := core.DecideSignIn(ctx, requester(req), req.Data.(string), approve); err != nil {
			return fail("decide sign-in", err, false)
		}
		if approve {
			return done("Approved. Your browser continues to the app."), nil
		}
		return done("Denied. The app is told you refused."), nil
	}
}
