package component

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
// approve (RFC 8628 §5.4), and anything else gets a short help. Chat is
// limited per user (chatLimit messages per chatWindow), and no reply
// repeats more of what a user sent than a short excerpt (see excerpt).
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
	// out sends chat replies: the attached component (tests record them).
	out replier

	// chats counts each user's chat messages, warned whether they were
	// told they send too many in the current window.
	chats, warned *ratelimit.Limiter
	greeted       greetings
}

// Chat limits: how many chat messages (text or XEP-0070 answers) one bare
// JID may send per window before the component stops answering until the
// window ends. A person answering requests sends a few; the limit keeps
// anyone from making the component write (and run the core) as fast as they
// can send.
const (
	chatLimit  = 20
	chatWindow = time.Minute
)

// NewBridge returns a bridge. site names the service in messages; admins are
// the bare JIDs that may run admin commands.
func NewBridge(site string, admins []string, log *slog.Logger) *Bridge {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{site: site, admins: map[string]bool{}, log: log,
		chats:  ratelimit.New(chatLimit, chatWindow, 0, nil),
		warned: ratelimit.New(1, chatWindow, 0, nil),
	}
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

// replier sends a chat reply of type typ in thread; *Component does.
type replier interface {
	sendMessage(ctx context.Context, to, typ, thread, body string) error
}

// Attach gives the bridge the component to send through. It is called once,
// before the component runs.
func (b *Bridge) Attach(c *Component) {
	b.comp.Store(c)
	b.out = c
}

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

// maxExcerpt is how many characters of what a user sent a reply repeats.
const maxExcerpt = 12

// excerpt is what a reply may repeat of text a user sent: its letters,
// digits and hyphens, at most maxExcerpt of them, with "…" when there were
// more. A reply never carries what a user (or whoever got them to paste it)
// chose beyond that: no links, no lines, no look-alike characters.
func excerpt(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			continue
		}
		if n == maxExcerpt {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// message answers XEP-0070 confirmations and chat text, within the chat
// limit: beyond it the user is told once how long to wait, and further
// messages go unanswered until the window ends.
func (b *Bridge) message(ctx context.Context, m Message) error {
	if m.Type == "error" && m.Confirm == nil {
		return nil // never answer an error
	}
	if m.Confirm == nil && (m.Type == "groupchat" || m.Type == "headline" || strings.TrimSpace(m.Body) == "") {
		return nil // receipts, chat states: nothing to answer
	}
	if ok, wait := b.chats.Allow(m.User); !ok {
		if warn, _ := b.warned.Allow(m.User); warn && m.Type != "error" {
			b.log.InfoContext(ctx, "chat over the limit", "jid", m.User)
			return b.reply(ctx, m, fmt.Sprintf("You are sending messages faster than I answer them. Wait %s, then try again.",
				ratelimit.WaitText(ratelimit.Seconds(wait))))
		}
		return nil
	}
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
	return b.reply(ctx, m, b.chat(ctx, m.User, m.Body, m.Thread))
}

// chat interprets one chat message and returns the answer. The first
// answer to a user who has not added the component as a contact suggests
// doing so.
func (b *Bridge) chat(ctx context.Context, user, body, thread string) string {
	words := strings.Fields(body)
	verb := strings.ToLower(strings.Trim(words[0], ".!,:"))
	rest := ""
	if len(words) > 1 {
		// "yes KXT-PQR", also "yes KXT PQR"; anything after the code is
		// ignored.
		rest = words[1]
		if n := len(normalizeCode(rest)); n != signInCodeLen && n != deviceCodeLen && len(words) > 2 {
			rest = words[1] + words[2]
		}
	}
	if rest == "" {
		// A bare "yes" in the thread of a request answers that request:
		// requests are sent with their code as the thread.
		rest = thread
	}
	var answer string
	switch verb {
	case "yes", "y", "ok", "approve", "allow", "accept":
		if rest == "" {
			return b.tip(user, "Which request? Reply with its code, for example \"yes KXT-PQR\" for a sign-in or \"yes WDJB-MJHT\" for a device.")
		}
		answer = b.decide(ctx, user, rest, true)
	case "no", "n", "deny", "reject":
		if rest == "" {
			return b.tip(user, "Which request? Reply with its code, for example \"no KXT-PQR\" for a sign-in or \"no WDJB-MJHT\" for a device.")
		}
		answer = b.decide(ctx, user, rest, false)
	default:
		if code := normalizeCode(body); len(code) == deviceCodeLen && len(words) <= 2 {
			answer = b.describeDevice(ctx, user, code)
		} else {
			b.greeted.add(user) // the help says it all
			return b.help()
		}
	}
	return b.tip(user, answer)
}

// decide approves or denies the sign-in or device request with code.
func (b *Bridge) decide(ctx context.Context, user, code string, approve bool) string {
	norm := normalizeCode(code)
	verb := "Denied"
	if approve {
		verb = "Approved"
	}
	shown := formatCode(norm)
	switch len(norm) {
	case signInCodeLen:
		s, err := b.core.DecideSignIn(ctx, user, shown, approve)
		if err != nil {
			return b.failText(ctx, err)
		}
		b.log.InfoContext(ctx, "sign-in answered in chat", "jid", user, "client_id", s.Request.ClientID, "approved", approve)
		if approve {
			return fmt.Sprintf("%s sign-in %s. Your browser continues by itself.", verb, shown)
		}
		return fmt.Sprintf("%s sign-in %s. The app was told you said no.", verb, shown)
	case deviceCodeLen:
		if err := b.core.DecideDevice(ctx, user, shown, approve); err != nil {
			return b.failText(ctx, err)
		}
		if approve {
			return fmt.Sprintf("%s device %s. It will sign in within a few seconds.", verb, shown)
		}
		return fmt.Sprintf("%s device %s.", verb, shown)
	}
	return fmt.Sprintf("%q is not a code I know. Codes look like KXT-PQR (sign-ins) or WDJB-MJHT (devices).", excerpt(code))
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

// deviceText describes a device request: the app (as AppInfo.Label shows
// it), what it asks for, the RFC 8628 §5.4 warning and how to answer.
func deviceText(app oauth.AppInfo, scopes []oauth.ScopeInfo, code string) string {
	return fmt.Sprintf("A device wants to sign in to %s as you, with code %s. It asks to:%s\n\n"+
		"Approve only if you started this on a device you hold yourself. If someone sent you this code, deny.\n"+
		"Reply \"yes %s\" to approve or \"no %s\" to deny.", app.Label(), code, scopeLines(scopes), code, code)
}

// validUntil says until when a pushed request may be answered. Times are in
// UTC, since the server cannot know the user's time zone; the date is given
// when the request ends on another day than it was sent.
func validUntil(end, now time.Time) string {
	end, now = end.UTC(), now.UTC()
	if end.YearDay() != now.YearDay() || end.Year() != now.Year() {
		return end.Format("2006-01-02 15:04 UTC")
	}
	return end.Format("15:04 UTC")
}

// signInNoticeText is the text of the chat push of a web sign-in: the one
// place that says what approving a sign-in does.
func signInNoticeText(site string, n oauth.SignInNotice) string {
	return fmt.Sprintf("%s: %s asks you to sign in with your XMPP address, with code %s. It asks to:%s\n\n"+
		"If you did not just sign in there, deny.\nReply \"yes %s\" to approve or \"no %s\" to deny. This request is valid until %s.",
		site, n.App.Label(), n.Code, scopeLines(n.Scopes), n.Code, n.Code, validUntil(n.ExpiresAt, time.Now()))
}

// deviceNoticeText is the text of the chat push of a device approval.
func deviceNoticeText(site string, n oauth.DeviceNotice) string {
	return site + ": " + deviceText(n.App, n.Scopes, n.UserCode) +
		" This request is valid until " + validUntil(n.ExpiresAt, time.Now()) + "."
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

// domain is the component's address, for texts.
func (b *Bridge) domain() string {
	if c := b.comp.Load(); c != nil {
		return c.Domain()
	}
	return "this service's address"
}

// userCommands are the commands the help names, with their nodes.
var userCommands = []struct{ name, node string }{
	{adhoc.NameListApps, adhoc.NodeListApps},
	{adhoc.NameRevokeApps, adhoc.NodeRevokeApps},
	{adhoc.NameApproveDevice, adhoc.NodeApproveDevice},
	{adhoc.NameSignIns, adhoc.NodeSignIns},
}

// contactTip suggests adding the component as a contact.
func (b *Bridge) contactTip() string {
	return fmt.Sprintf("Add %s to your contacts: your client then shows when this service is online. "+
		"If it asks to see when you are online, allow it, and requests are not kept for you while you are away.", b.domain())
}

func (b *Bridge) help() string {
	var cmds []string
	for _, c := range userCommands {
		cmds = append(cmds, fmt.Sprintf("%s (%s)", c.name, c.node))
	}
	return fmt.Sprintf("This is %s: sign in to apps with your XMPP address.\n"+
		"• Each request comes with a code: KXT-PQR for a web sign-in, WDJB-MJHT for a device. Reply \"yes CODE\" to approve it, or \"no CODE\" to deny it.\n"+
		"• To see what a device asks for, send me the code it shows.\n"+
		"• Your client's commands menu (ad-hoc commands) for %s has: %s. Clients that list commands by node show what is in brackets.\n"+
		"• %s", b.site, b.domain(), strings.Join(cmds, ", "), b.contactTip())
}

// tip adds the contact tip to the first answer to a user who has not added
// the component as a contact.
func (b *Bridge) tip(user, answer string) string {
	if c := b.comp.Load(); c != nil && c.IsContact(user) {
		return answer
	}
	if !b.greeted.add(user) {
		return answer
	}
	return answer + "\n\nTip: " + b.contactTip()
}

// maxGreeted bounds the users remembered as greeted; past it the memory
// starts over, and some users read the tip a second time.
const maxGreeted = 100_000

// greetings remembers which users were given the contact tip since the
// process started.
type greetings struct {
	mu   sync.Mutex
	seen map[string]bool
}

// add records user and reports whether they were new.
func (g *greetings) add(user string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen[user] {
		return false
	}
	if g.seen == nil || len(g.seen) >= maxGreeted {
		g.seen = map[string]bool{}
	}
	g.seen[user] = true
	return true
}

// reply answers m with a chat message. A reply that cannot be sent (the
// stream just went down) is logged, not answered with an error stanza: that
// could not be sent either, and the decision itself was already made.
func (b *Bridge) reply(ctx context.Context, m Message, text string) error {
	if b.out == nil {
		return errors.New("bridge: no component attached")
	}
	typ := m.Type
	if typ != "chat" {
		typ = "normal"
	}
	if err := b.out.sendMessage(ctx, m.From, typ, m.Thread, text); err != nil {
		b.log.WarnContext(ctx, "could not send chat reply", "jid", m.User, "err", err)
	}
	return nil
}

// ErrUserOffline is what a push returns for a user the component knows to
// be offline: it lets the component see their presence, and none of their
// resources is available. The request is not sent, since a server might
// keep it and deliver it long after it ended (Prosody 0.12 ignores the
// XEP-0334 hints); the user can still answer it with the commands.
var ErrUserOffline = oauth.ErrUserOffline

// pushTarget returns the component to push to user through, or why not.
func (b *Bridge) pushTarget(user string) (*Component, error) {
	c := b.comp.Load()
	if c == nil {
		return nil, errors.New("the XMPP component is not attached")
	}
	if online, known := c.Availability(oauth.NormalizeJID(user)); known && !online {
		return nil, ErrUserOffline
	}
	if !c.Connected() {
		return nil, errors.New("the XMPP component is not connected")
	}
	return c, nil
}

// NotifySignIn implements oauth.Notifier: a XEP-0070 confirm request for the
// sign-in, whose body says the same for clients without XEP-0070.
func (b *Bridge) NotifySignIn(ctx context.Context, n oauth.SignInNotice) error {
	c, err := b.pushTarget(n.JID)
	if err != nil {
		return err
	}
	return c.SendConfirm(ctx, n.JID, n.Code, "GET", n.URL, signInNoticeText(b.site, n), n.ExpiresAt)
}

// NotifyDevice implements oauth.Notifier: a XEP-0070 confirm request for the
// device approval, with the RFC 8628 §5.4 warning.
func (b *Bridge) NotifyDevice(ctx context.Context, n oauth.DeviceNotice) error {
	c, err := b.pushTarget(n.JID)
	if err != nil {
		return err
	}
	return c.SendConfirm(ctx, n.JID, n.UserCode, "POST", n.URL, deviceNoticeText(b.site, n), n.ExpiresAt)
}

var _ oauth.Notifier = (*Bridge)(nil)
