package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// FormatUserCode shows a normalized 8-letter user code as XXXX-XXXX.
func FormatUserCode(code string) string {
	if len(code) != 8 {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// DeviceAuthorize starts a device flow (RFC 8628 §3.1–3.2). The device code is
// 256 random bits; the user code is 8 letters from BCDFGHJKLMNPQRSTVWXZ
// (20^8, about 34 bits, guarded by per-user rate limits, §5.1).
func (p *Provider) DeviceAuthorize(ctx context.Context, cred ClientCredentials, scope string) (DeviceAuthorization, error) {
	if !p.grantTypes[GrantDeviceCode] {
		return DeviceAuthorization{}, Errorf(UnsupportedGrantType, "the device flow is not enabled")
	}
	c, err := p.AuthenticateClient(ctx, cred)
	if err != nil {
		return DeviceAuthorization{}, err
	}
	if !slices.Contains(c.GrantTypes, GrantDeviceCode) {
		return DeviceAuthorization{}, Errorf(UnauthorizedClient, "this client is not registered for the device flow")
	}
	scopes, err := p.parseScope(c, scope)
	if err != nil {
		return DeviceAuthorization{}, err
	}
	now := p.now()
	dc := newSecret()
	d := DeviceCode{
		Hash: hashSecret(string(dc)), ClientID: c.ID, Scopes: scopes, State: DevicePending,
		Created: now, Expiry: now.Add(p.cfg.DeviceCodeTTL), Interval: p.cfg.DevicePollInterval,
	}
	for try := 0; ; try++ {
		d.UserCode = randomLetters(8)
		err = p.store.CreateDeviceCode(ctx, d)
		if !errors.Is(err, ErrAlreadyExists) || try == 5 {
			break
		}
	}
	if err != nil {
		return DeviceAuthorization{}, fmt.Errorf("device authorization: %w", err)
	}
	uc := FormatUserCode(d.UserCode)
	p.log.InfoContext(ctx, "device authorization started", "client_id", c.ID)
	return DeviceAuthorization{
		DeviceCode:              string(dc),
		UserCode:                uc,
		VerificationURI:         p.cfg.DeviceVerificationURI,
		VerificationURIComplete: p.cfg.DeviceVerificationURI + "?user_code=" + url.QueryEscape(uc),
		ExpiresIn:               int(p.cfg.DeviceCodeTTL / time.Second),
		Interval:                int(p.cfg.DevicePollInterval / time.Second),
	}, nil
}

// findDevice looks up a pending device code for jid. Every miss counts against
// jid's attempt limit and against the limit of all users together, and a
// lookup over either limit is refused before the store is asked, so codes
// cannot be guessed (RFC 8628 §5.1).
//
// The total limit matters because the device page takes any address of a
// user domain, made-up ones included: without it, a guesser would only have
// to change the address with every guess. Its price is that, while it is
// exceeded, every user's code entry is refused until the window ends, which
// is why its default is far above what people typing codes ever reach.
func (p *Provider) findDevice(ctx context.Context, jid, userCode string) (DeviceCode, Client, error) {
	if err := p.CheckUser(jid); err != nil {
		return DeviceCode{}, Client{}, err
	}
	if ok, wait := p.codeTries.Peek(jid); !ok {
		return DeviceCode{}, Client{}, tooMany("too many wrong codes", wait)
	}
	if ok, wait := p.codesTotal.Peek(""); !ok {
		return DeviceCode{}, Client{}, tooMany("too many wrong codes were entered on this service", wait)
	}
	miss := func(e *Error) (DeviceCode, Client, error) {
		if ok, wait := p.codeTries.Allow(jid); !ok {
			return DeviceCode{}, Client{}, tooMany("too many wrong codes", wait)
		}
		if ok, wait := p.codesTotal.Allow(""); !ok {
			p.log.WarnContext(ctx, "wrong user codes of all users over the limit", "jid", jid, "retry_after", wait)
			return DeviceCode{}, Client{}, tooMany("too many wrong codes were entered on this service", wait)
		}
		return DeviceCode{}, Client{}, e
	}
	code := normalizeCode(userCode)
	if len(code) != 8 {
		return miss(Errorf(InvalidRequest, "a code has 8 letters, like WDJB-MJHT"))
	}
	d, err := p.store.GetDeviceCodeByUserCode(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return miss(Errorf(InvalidGrant, "no device is waiting for code %s", FormatUserCode(code)))
	}
	if err != nil {
		return DeviceCode{}, Client{}, fmt.Errorf("find device code: %w", err)
	}
	if p.now().After(d.Expiry) {
		return miss(Errorf(ExpiredToken, "code %s has expired; start again on the device", FormatUserCode(code)))
	}
	if d.State != DevicePending {
		return miss(Errorf(InvalidGrant, "code %s was already used", FormatUserCode(code)))
	}
	c, err := p.store.GetClient(ctx, d.ClientID)
	if errors.Is(err, ErrNotFound) {
		return miss(Errorf(InvalidGrant, "the application of code %s was deleted", FormatUserCode(code)))
	}
	if err != nil {
		return DeviceCode{}, Client{}, fmt.Errorf("find device code: get client: %w", err)
	}
	return d, c, nil
}

// LookupDevice shows jid what a user code would approve (RFC 8628 §5.4).
// Wrong codes count against jid's attempt limit (§5.1).
func (p *Provider) LookupDevice(ctx context.Context, jid, userCode string) (DeviceRequest, error) {
	jid = NormalizeJID(jid)
	d, c, err := p.findDevice(ctx, jid, userCode)
	if err != nil {
		return DeviceRequest{}, err
	}
	return DeviceRequest{UserCode: FormatUserCode(d.UserCode), App: appInfo(c), Scopes: p.scopeInfos(d.Scopes), Created: d.Created, ExpiresAt: d.Expiry}, nil
}

// DecideDevice approves or denies the device authorization with userCode for
// jid. The device's next poll gets its tokens or access_denied.
func (p *Provider) DecideDevice(ctx context.Context, jid, userCode string, approve bool) error {
	jid = NormalizeJID(jid)
	d, c, err := p.findDevice(ctx, jid, userCode)
	if err != nil {
		return err
	}
	var g Grant
	if approve {
		if g, err = p.grantFor(ctx, jid, c.ID, d.Scopes, GrantDeviceCode); err != nil {
			return err
		}
	}
	now := p.now()
	_, err = p.store.UpdateDeviceCode(ctx, d.Hash, func(d DeviceCode) (DeviceCode, error) {
		if d.State != DevicePending || now.After(d.Expiry) {
			return d, Errorf(InvalidGrant, "code %s was already used or has expired", FormatUserCode(d.UserCode))
		}
		d.JID, d.AuthTime = jid, now
		if approve {
			d.State, d.GrantID = DeviceApproved, g.ID
		} else {
			d.State = DeviceDenied
		}
		return d, nil
	})
	if err != nil {
		if _, ok := AsError(err); ok {
			return err
		}
		return fmt.Errorf("decide device: %w", err)
	}
	p.log.InfoContext(ctx, "device authorization decided", "jid", jid, "client_id", c.ID, "approved", approve)
	return nil
}

// RequestDeviceApproval pushes a device approval request to jid's chat
// client, for a user who typed the code on the web page.
func (p *Provider) RequestDeviceApproval(ctx context.Context, jid, userCode string) error {
	jid = NormalizeJID(jid)
	d, c, err := p.findDevice(ctx, jid, userCode)
	if err != nil {
		return err
	}
	if ok, wait := p.pushes.Allow(jid); !ok {
		return tooMany("too many requests pushed to "+jid, wait)
	}
	if p.cfg.Notifier == nil {
		return Errorf(TemporarilyUnavailable, "approval in chat is not available right now")
	}
	uc := FormatUserCode(d.UserCode)
	n := DeviceNotice{UserCode: uc, JID: jid, App: appInfo(c), Scopes: p.scopeInfos(d.Scopes),
		URL: p.cfg.DeviceVerificationURI + "?user_code=" + url.QueryEscape(uc), ExpiresAt: d.Expiry}
	if err := p.cfg.Notifier.NotifyDevice(ctx, n); err != nil {
		p.log.WarnContext(ctx, "could not push device approval to chat", "jid", jid, "err", err)
		if errors.Is(err, ErrUserOffline) {
			return Errorf(TemporarilyUnavailable, "your chat app is offline; open it, then send the request again, or approve with the command")
		}
		return Errorf(TemporarilyUnavailable, "the request could not be sent to your chat client; approve with the command instead")
	}
	return nil
}

// pollDevice answers the device's token request (RFC 8628 §3.4–3.5). A device
// that polls faster than its interval gets slow_down, and "the interval MUST
// be increased by 5 seconds for this and all subsequent requests" (§3.5).
func (p *Provider) pollDevice(ctx context.Context, c Client, req TokenRequest) (TokenResponse, error) {
	if req.DeviceCode == "" {
		return TokenResponse{}, Errorf(InvalidRequest, "device_code is required")
	}
	now := p.now()
	var outcome *Error
	d, err := p.store.UpdateDeviceCode(ctx, hashSecret(req.DeviceCode), func(d DeviceCode) (DeviceCode, error) {
		outcome = nil
		if d.ClientID != c.ID {
			return d, Errorf(InvalidGrant, "the device code was issued to another client")
		}
		if now.After(d.Expiry) {
			return d, Errorf(ExpiredToken, "the device code has expired")
		}
		tooFast := !d.LastPoll.IsZero() && now.Sub(d.LastPoll) < d.Interval
		d.LastPoll = now
		switch d.State {
		case DeviceApproved:
			d.State = DeviceIssued
		case DeviceDenied:
			outcome = Errorf(AccessDenied, "the user denied the request")
		case DeviceIssued:
			outcome = Errorf(InvalidGrant, "the device code was already used")
		default:
			if tooFast {
				d.Interval += 5 * time.Second
				outcome = Errorf(SlowDown, "poll at most every %d seconds", int(d.Interval/time.Second))
			} else {
				outcome = Errorf(AuthorizationPending, "waiting for the user to approve")
			}
		}
		return d, nil
	})
	if errors.Is(err, ErrNotFound) {
		return TokenResponse{}, Errorf(InvalidGrant, "the device code is invalid or has expired")
	}
	if err != nil {
		if _, ok := AsError(err); ok {
			return TokenResponse{}, err
		}
		return TokenResponse{}, fmt.Errorf("poll device code: %w", err)
	}
	if outcome != nil {
		return TokenResponse{}, outcome
	}
	g, err := p.store.GetGrant(ctx, d.GrantID)
	if errors.Is(err, ErrNotFound) {
		return TokenResponse{}, Errorf(InvalidGrant, "the authorization was revoked")
	}
	if err != nil {
		return TokenResponse{}, fmt.Errorf("poll device code: get grant: %w", err)
	}
	is, err := p.issue(ctx, g, d.Scopes, issueOptions{
		refresh: p.wantsRefresh(c, d.Scopes, true), idToken: slices.Contains(d.Scopes, ScopeOpenID), authTime: d.AuthTime,
	})
	if err != nil {
		return TokenResponse{}, err
	}
	if err := p.save(ctx, is); err != nil {
		return TokenResponse{}, err
	}
	p.log.InfoContext(ctx, "device tokens issued", "jid", g.JID, "client_id", c.ID)
	return is.resp, nil
}
