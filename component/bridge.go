package component

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// Core is what the bridge needs from the OAuth core to answer chat replies
// and XEP-0070 confirmations; *oauth.Provider implements it.
type Core interface {
	DecideSignIn(ctx context.Context, jid, ref string, approve bool) (oauth.SignIn, error)
	LookupDevice(ctx context.Context, jid, userCode string) (oauth.DeviceRequest, error)
	DecideDevice(ctx context.Context, jid, userCode string, approve bool) error
}

// Bridge ties the component to the OAuth core. It pushes sign-in and device
// approvals to users as XEP-0070 confirm requests whose body also explains
// how to answer in plain chat (it implements oauth.Notifier), runs the
// XEP-0050 commands of package adhoc, and answers chat text: "yes CODE" /
// "no CODE" decide a request, a device's code alone shows what it would
// approve (RFC 8628 §5.4), and anything else gets a short help.
//
// Because the core needs its notifier before the component exists, a Bridge
// is made first, given to oauth.New, then wired with [Bridge.Handlers] and
// [Bridge.Attach].
type Bridge struct {
	site   string
	admins map[string]bool
	log    *slog.Logger

	core   Core
	engine *adhoc.Engine
	comp   atomic.Pointer[Component]
}

// NewBridge returns a bridge. site names the service in messages; admins are
// the bare JIDs that may run admin commands.
func NewBridge(site string, admins []string, log *slog.Logger) *Bridge {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{site: site, admins: map[string]bool{}, log: log}
	for _, a := range admins {
		b.admins[strings.ToLower(a)] = true
	}
	return b
}

// Handlers returns the component handlers serving core and engine: XEP-0050
// commands, their disco items, XEP-0070 and chat messages, and any extra IQ
// handlers (such as XEP-0494's).
func (b *Bridge) Handlers(core Core, engine *adhoc.Engine, extra map[xml.Name]IQHandler) Handlers {
	b.core, b.engine = core, engine
	iqs := map[xml.Name]IQHandler{{Space: NSCommands, Local: "command"}: IQHandlerFunc(b.command)}
	for k, v := range extra {
		iqs[k] = v
	}
	return Handlers{
		IQ:       iqs,
		Features: []string{NSDataForms, NSHTTPAuth},
		Items:    b.items,
		Message:  MessageHandlerFunc(b.message),
	}
}

// Attach gives the bridge the component to send through.
func (b *Bridge) Attach(c *Component) { b.comp.Store(c) }

func (b *Bridge) isAdmin(user string) bool { return b.admins[strings.ToLower(user)] }

// command runs a XEP-0050 request through the engine.
func (b *Bridge) command(ctx context.Context, iq IQ) ([]byte, error) {
	if iq.Type != "set" {
		return nil, NewStanzaError(BadRequest, "Commands are executed with IQ set (XEP-0050 §3.4).")
	}
	cmd, err := adhoc.ParseCommand(iq.Payload.XML)
	if err != nil {
		return nil, NewStanzaError(BadRequest, "The command element is malformed.")
	}
	res, err := b.engine.Handle(ctx, iq.From, iq.To, cmd, b.isAdmin(iq.User))
	var se *adhoc.StanzaError
	if errors.As(err, &se) {
		out := &StanzaError{Type: string(se.Type), Condition: Condition(se.Condition), Text: se.Text}
		if se.Specific != "" {
			out.Specific = xml.Name{Space: NSCommands, Local: se.Specific}
		}
		return nil, out
	}
	if err != nil {
		return nil, err
	}
	return xml.Marshal(res)
}

// items lists the user's commands (XEP-0050 §2.2).
func (b *Bridge) items(ctx context.Context, user, node string) ([]DiscoItem, error) {
	switch node {
	case "":
		return nil, nil
	case NSCommands:
		var out []DiscoItem
		for _, it := range b.engine.Items(user, b.isAdmin(user)) {
			out = append(out, DiscoItem{Node: it.Node, Name: it.Name, Aliases: it.Aliases})
		}
		return out, nil
	}
	return nil, NewStanzaError(ItemNotFound, "No such node.")
}

// Code lengths tell requests apart: sign-ins show 6 letters (KXT-PQR),
// devices 8 (WDJB-MJHT).
const (
	signInCodeLen = 6
	deviceCodeLen = 8
)

func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// message answers XEP-0070 confirmations and chat text.
func (b *Bridge) message(ctx context.Context, m Message) error {
	if m.Confirm != nil {
		// XEP-0070 §4.2: an error message with the confirm element denies,
		// a plain one accepts.
		approve := m.Type != "error"
		reply := b.decide(ctx, m.User, m.Confirm.ID, approve)
		if m.Type == "error" {
			return nil // never answer an error
		}
		return b.reply(ctx, m, reply)
	}
	if m.Type == "error" || m.Type == "groupchat" || m.Type == "headline" || strings.TrimSpace(m.Body) == "" {
		return nil // receipts, chat states, errors: nothing to answer
	}
	return b.reply(ctx, m, b.chat(ctx, m.User, m.Body, m.Thread))
}

// chat interprets one chat message and returns the answer.
func (b *Bridge) chat(ctx context.Context, user, body, thread string) string {
	words := strings.Fields(body)
	verb := strings.ToLower(strings.Trim(words[0], ".!,:"))
	rest := strings.Join(words[1:], "")
	if rest == "" {
		// A bare "yes" in the thread of a request answers that request:
		// requests are sent with their code as the thread.
		rest = thread
	}
	switch verb {
	case "yes", "y", "ok", "approve", "allow", "accept":
		if rest == "" {
			return "Which request? Reply with its code, for example \"yes WDJB-MJHT\"."
		}
		return b.decide(ctx, user, rest, true)
	case "no", "n", "deny", "reject":
		if rest == "" {
			return "Which request? Reply with its code, for example \"no WDJB-MJHT\"."
		}
		return b.decide(ctx, user, rest, false)
	}
	if code := normalizeCode(body); len(code) == deviceCodeLen && len(words) <= 2 {
		return b.describeDevice(ctx, user, code)
	}
	return b.help()
}

// decide approves or denies the sign-in or device request with code.
func (b *Bridge) decide(ctx context.Context, user, code string, approve bool) string {
	code = normalizeCode(code)
	verb := "Denied"
	if approve {
		verb = "Approved"
	}
	switch len(code) {
	case signInCodeLen:
		s, err := b.core.DecideSignIn(ctx, user, code, approve)
		if err != nil {
			return b.failText(ctx, err)
		}
		b.log.InfoContext(ctx, "sign-in answered in chat", "jid", user, "client_id", s.Request.ClientID, "approved", approve)
		if approve {
			return fmt.Sprintf("%s sign-in %s. Your browser continues by itself.", verb, formatCode(code))
		}
		return fmt.Sprintf("%s sign-in %s. The app was told you said no.", verb, formatCode(code))
	case deviceCodeLen:
		if err := b.core.DecideDevice(ctx, user, code, approve); err != nil {
			return b.failText(ctx, err)
		}
		if approve {
			return fmt.Sprintf("%s device %s. It will sign in within a few seconds.", verb, formatCode(code))
		}
		return fmt.Sprintf("%s device %s.", verb, formatCode(code))
	}
	return fmt.Sprintf("%q is not a code I know. Codes look like KXT-PQR (sign-ins) or WDJB-MJHT (devices).", code)
}

func formatCode(code string) string {
	if len(code) == deviceCodeLen {
		return oauth.FormatUserCode(code)
	}
	if len(code) == signInCodeLen {
		return code[:3] + "-" + code[3:]
	}
	return code
}

// describeDevice shows what a device code would approve, with the RFC 8628
// §5.4 warning, and how to answer.
func (b *Bridge) describeDevice(ctx context.Context, user, code string) string {
	d, err := b.core.LookupDevice(ctx, user, code)
	if err != nil {
		return b.failText(ctx, err)
	}
	return deviceText(d.App, d.Scopes, d.UserCode)
}

func appLine(a oauth.AppInfo) string {
	if a.URI != "" {
		return fmt.Sprintf("%s (%s)", a.Name, a.URI)
	}
	return a.Name
}

func scopeLines(scopes []oauth.ScopeInfo) string {
	var sb strings.Builder
	for _, s := range scopes {
		d := s.Description
		if d == "" {
			d = s.Name
		}
		fmt.Fprintf(&sb, "\n • %s", d)
	}
	return sb.String()
}

func deviceText(app oauth.AppInfo, scopes []oauth.ScopeInfo, code string) string {
	return fmt.Sprintf("A device wants to sign in to %s as you, with code %s. It asks to:%s\n\n"+
		"Approve only if you started this on a device you hold yourself. If someone sent you this code, deny.\n"+
		"Reply \"yes %s\" to approve or \"no %s\" to deny.", appLine(app), code, scopeLines(scopes), code, code)
}

// failText turns a core error into a sentence for the user; faults are
// logged and not shown.
//
// A rate limit (too many wrong codes, for this user or for everyone) is
// answered in words, like every other chat reply, and reads as the error
// note of the "Approve a device" command does: what was limited, and how long
// to wait. It is not a policy-violation message error: the user's message
// was delivered and understood, and clients show message errors as a failed
// delivery, without the advice. Stanza paths (XEP-0494's IQs) answer
// policy-violation; see camError.
func (b *Bridge) failText(ctx context.Context, err error) string {
	if e, ok := oauth.AsError(err); ok {
		if e.Code == oauth.TooManyRequests {
			reason, _, _ := strings.Cut(e.Description, ";")
			return fmt.Sprintf("%s. Wait %s, then try again.", capitalize(reason), ratelimit.WaitText(e.RetryAfter))
		}
		return capitalize(e.Description) + "."
	}
	b.log.ErrorContext(ctx, "chat request failed", "err", err)
	return "Sorry, something went wrong on our side. Please try again in a moment."
}

func capitalize(s string) string {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (b *Bridge) help() string {
	return fmt.Sprintf("This is %s: sign in to apps with your XMPP address.\n"+
		"• To approve a sign-in or a device, reply \"yes CODE\", or \"no CODE\" to deny.\n"+
		"• To see what a device asks for, send me the code it shows (like WDJB-MJHT).\n"+
		"• Your client's commands menu (ad-hoc commands) for this address lists your apps, revokes access, approves devices and shows pending sign-ins.", b.site)
}

// reply answers m with a chat message. A reply that cannot be sent (the
// stream just went down) is logged, not answered with an error stanza: that
// could not be sent either, and the decision itself was already made.
func (b *Bridge) reply(ctx context.Context, m Message, text string) error {
	c := b.comp.Load()
	if c == nil {
		return errors.New("bridge: no component attached")
	}
	typ := m.Type
	if typ != "chat" {
		typ = "normal"
	}
	if err := c.sendMessage(ctx, m.From, typ, m.Thread, text); err != nil {
		b.log.WarnContext(ctx, "could not send chat reply", "jid", m.User, "err", err)
	}
	return nil
}

// NotifySignIn implements oauth.Notifier: a XEP-0070 confirm request for the
// sign-in, whose body says the same for clients without XEP-0070.
func (b *Bridge) NotifySignIn(ctx context.Context, n oauth.SignInNotice) error {
	c := b.comp.Load()
	if c == nil || !c.Connected() {
		return errors.New("the XMPP component is not connected")
	}
	body := fmt.Sprintf("%s: %s asks you to sign in with your XMPP address, with code %s. It asks to:%s\n\n"+
		"If you did not just sign in there, deny.\nReply \"yes %s\" to approve or \"no %s\" to deny. This request expires at %s.",
		b.site, appLine(n.App), n.Code, scopeLines(n.Scopes), n.Code, n.Code, n.ExpiresAt.UTC().Format("15:04 UTC"))
	return c.SendConfirm(ctx, n.JID, n.Code, "GET", n.URL, body, n.ExpiresAt)
}

// NotifyDevice implements oauth.Notifier: a XEP-0070 confirm request for the
// device approval, with the RFC 8628 §5.4 warning.
func (b *Bridge) NotifyDevice(ctx context.Context, n oauth.DeviceNotice) error {
	c := b.comp.Load()
	if c == nil || !c.Connected() {
		return errors.New("the XMPP component is not connected")
	}
	body := b.site + ": " + deviceText(n.App, n.Scopes, n.UserCode) +
		fmt.Sprintf(" This request expires at %s.", n.ExpiresAt.UTC().Format("15:04 UTC"))
	return c.SendConfirm(ctx, n.JID, n.UserCode, "POST", n.URL, body, n.ExpiresAt)
}

var _ oauth.Notifier = (*Bridge)(nil)
