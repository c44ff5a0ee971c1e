package adhoc

import (
	"context"

	"github.com/xmppoauth/xmppoauth/forms"
)

// deviceWarning is the warning RFC 8628 §5.4 asks for, in its lines: a user
// who types a code an attacker sent them would hand the attacker's device
// their account.
var deviceWarning = []string{"Approve only if you started this on a device you hold", "yourself. If someone sent you this code, deny."}

// approveDevice is "Approve a device" (RFC 8628 §3.3): the user enters the
// code their device shows, sees what it asks for, and approves or denies.
// Wrong codes count against the user's attempt limit in the core (§5.1).
func approveDevice(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		return Response{
			Form: forms.New(
				forms.Title(NameApproveDevice),
				forms.Instructions("Enter the code your device shows, e.g. WDJB-MJHT."),
				forms.TextSingle("user_code", forms.Label("Code shown on the device"), forms.Desc("8 letters, e.g. WDJB-MJHT"), forms.Required()),
			),
			Actions: Actions{Next: true},
			Then:    showDevice(core),
		}, nil
	}
}

// showDevice looks the code up and shows what approving it would grant.
func showDevice(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		code, _ := req.Form.String("user_code")
		d, err := core.LookupDevice(ctx, requester(req), code)
		if err != nil {
			return fail("look up device code", err, true)
		}
		return Response{
			Form:    approvalForm(NameApproveDevice, d.App, d.UserCode, d.Created, d.ExpiresAt, "device", d.Scopes, deviceWarning),
			Actions: Actions{Prev: true, Complete: true},
			// The formatted code as the core returned it, not as typed.
			Data: d.UserCode,
			Then: decideDevice(core),
		}, nil
	}
}

// decideDevice records the answer; the device's next poll gets its tokens
// or access_denied (RFC 8628 §3.5).
func decideDevice(core Core) StageFunc {
	return func(ctx context.Context, req *Request) (Response, error) {
		approve, err := decision(req.Form)
		if err != nil {
			return Response{}, err
		}
		if err := core.DecideDevice(ctx, requester(req), req.Data.(string), approve); err != nil {
			return fail("decide device", err, false)
		}
		if approve {
			return done("Approved. The device will sign in within a few seconds."), nil
		}
		return done("Denied."), nil
	}
}
