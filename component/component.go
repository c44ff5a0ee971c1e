package component

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gosrc.io/xmpp/stanza"
)

// Defaults for zero [Config] fields.
const (
	DefaultName           = "xmppoauth"
	DefaultVersion        = "devel"
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 10 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultStanzaTimeout  = 30 * time.Second
	DefaultKeepAlive      = time.Minute
	DefaultMaxConcurrent  = 64
)

// Config configures a [Component]. Address, Domain, Secret and UserDomains
// are required; zero values of the others mean the defaults above.
type Config struct {
	// Address is host:port of the XMPP server's component listener
	// (Prosody's component_ports, 5347 by default).
	Address string
	// Domain is the component's address, e.g. "auth.example.org"; it must
	// match the server's Component "…" declaration.
	Domain string
	// Secret is the shared secret (Prosody's component_secret).
	Secret string
	// UserDomains are the domains whose accounts may use the service (see
	// [Component.User]); usually the server's virtual hosts.
	UserDomains []string

	// Name is the disco#info identity name and the XEP-0092 software name.
	Name string
	// Version is the XEP-0092 software version.
	Version string
	// Logger receives the component's logs; nil discards them.
	Logger *slog.Logger

	// MinBackoff and MaxBackoff bound the jittered delay between
	// connection attempts: the first few are about MinBackoff apart, then
	// the delay doubles up to MaxBackoff. The delay starts over once a
	// stream is established. A server that rejects the handshake is
	// retried at MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// ConnectTimeout bounds connecting plus the handshake, each write, and
	// the wait for the server's </stream:stream> when closing.
	ConnectTimeout time.Duration
	// StanzaTimeout bounds the context each stanza is handled with.
	StanzaTimeout time.Duration
	// KeepAlive is the interval of the XEP-0199 ping that checks the stream
	// still works end to end; a ping unanswered within ConnectTimeout makes
	// Run reconnect. Negative disables it.
	KeepAlive time.Duration
	// MaxConcurrent bounds how many stanzas are handled at once; beyond it,
	// reading from the server waits.
	MaxConcurrent int
	// Observer, when set, is told when the stream comes up and goes down,
	// for metrics.
	Observer Observer
	// Roster keeps the users subscribed to the component's presence, and
	// those whose presence it sees, across restarts (see [NewFileRoster]);
	// nil keeps them in memory only.
	Roster Roster
}

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	cfg.Name = cmp.Or(cfg.Name, DefaultName)
	cfg.Version = cmp.Or(cfg.Version, DefaultVersion)
	cfg.MinBackoff = cmp.Or(cfg.MinBackoff, DefaultMinBackoff)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, max(DefaultMaxBackoff, cfg.MinBackoff))
	cfg.ConnectTimeout = cmp.Or(cfg.ConnectTimeout, DefaultConnectTimeout)
	cfg.StanzaTimeout = cmp.Or(cfg.StanzaTimeout, DefaultStanzaTimeout)
	cfg.KeepAlive = cmp.Or(cfg.KeepAlive, DefaultKeepAlive)
	cfg.MaxConcurrent = cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent)
	return cfg
}

// validate reports every problem of a defaulted Config.
func (cfg Config) validate() error {
	var errs []error
	if cfg.Address == "" {
		errs = append(errs, errors.New("empty Address"))
	} else if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		errs = append(errs, fmt.Errorf("invalid Address %q: %w", cfg.Address, err))
	}
	if local, _, resource, err := splitJID(cfg.Domain); err != nil {
		errs = append(errs, fmt.Errorf("invalid Domain: %w", err))
	} else if local != "" || resource != "" {
		errs = append(errs, fmt.Errorf("invalid Domain %q: not a bare domain", cfg.Domain))
	}
	if cfg.Secret == "" {
		errs = append(errs, errors.New("empty Secret"))
	}
	if len(cfg.UserDomains) == 0 {
		errs = append(errs, errors.New("empty UserDomains: nobody could use the service"))
	}
	for _, d := range cfg.UserDomains {
		if local, _, resource, err := splitJID(d); err != nil || local != "" || resource != "" {
			errs = append(errs, fmt.Errorf("invalid UserDomains entry %q: not a domain", d))
		}
	}
	if cfg.MinBackoff < 0 || cfg.MaxBackoff < cfg.MinBackoff {
		errs = append(errs, fmt.Errorf("backoff: need 0 <= MinBackoff (%v) <= MaxBackoff (%v)", cfg.MinBackoff, cfg.MaxBackoff))
	}
	if cfg.ConnectTimeout < 0 || cfg.StanzaTimeout < 0 || cfg.MaxConcurrent < 0 {
		errs = append(errs, errors.New("negative ConnectTimeout, StanzaTimeout or MaxConcurrent"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("component: invalid config: %w", err)
	}
	return nil
}

// Component is an XEP-0114 external component. Create it with [New] and
// start it with [Component.Run]; the Send methods may be used from any
// goroutine while it runs.
type Component struct {
	cfg         Config
	h           Handlers
	log         *slog.Logger
	features    []string // disco#info features, sorted
	userDomains []string // normalized cfg.UserDomains
	sem         chan struct{}
	running     atomic.Bool
	roster      Roster
	pres        presenceState

	mu   sync.Mutex
	sess *session // the established stream, or nil
}

// New returns a Component for cfg that hands IQ requests and messages to h.
// The configuration is checked by Run. New panics if h is wired wrongly (a
// nil handler, a payload name without namespace, or one the component
// serves itself), so the mistake shows when the program starts.
func New(cfg Config, h Handlers) *Component {
	iq := make(map[xml.Name]IQHandler, len(h.IQ))
	for name, handler := range h.IQ {
		switch {
		case handler == nil:
			panic(fmt.Sprintf("component: nil IQHandler for {%s}%s", name.Space, name.Local))
		case name.Space == "" || name.Local == "":
			panic(fmt.Sprintf("component: IQ payload name {%s}%s needs a namespace and a local name", name.Space, name.Local))
		case name == discoInfoName || name == discoItemsName || name == pingName || name == versionName:
			panic(fmt.Sprintf("component: {%s}%s is answered by the component itself", name.Space, name.Local))
		}
		iq[name] = handler
	}
	h.IQ = iq

	features := []string{NSDiscoInfo, NSDiscoItems, NSPing, NSVersion}
	for name := range iq {
		features = append(features, name.Space)
	}
	features = append(features, h.Features...)
	slices.Sort(features)
	features = slices.Compact(features)

	cfg = cfg.withDefaults()
	var domains []string
	for _, d := range cfg.UserDomains {
		domains = append(domains, normalizeDomain(d))
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	roster := cfg.Roster
	if roster == nil {
		roster = NewMemoryRoster()
	}
	return &Component{
		cfg:         cfg,
		h:           h,
		log:         logger,
		features:    features,
		userDomains: domains,
		sem:         make(chan struct{}, cfg.MaxConcurrent),
		roster:      roster,
	}
}

// Domain returns the component's address.
func (c *Component) Domain() string { return c.cfg.Domain }

// Connected reports whether the stream to the server is established.
func (c *Component) Connected() bool { return c.session() != nil }

func (c *Component) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

func (c *Component) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
}

// Run connects to the server and serves the stream until ctx is done,
// reconnecting whenever the connection fails or is lost, after a backoff
// with jitter between MinBackoff and MaxBackoff (see [Config]). A
// handshake the server rejects (a wrong secret: see [ErrNotAuthorized]) is
// logged as an error and retried at MaxBackoff, since the server's
// configuration may be fixed without restarting us.
//
// When ctx is done, Run closes the stream cleanly (</stream:stream>, then
// waits for the server's), waits for the stanza handlers it started, and
// returns nil. It returns an error only for an invalid Config, or if called
// while already running.
func (c *Component) Run(ctx context.Context) error {
	if err := c.cfg.validate(); err != nil {
		return err
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("component: Run is already running")
	}
	defer c.running.Store(false)

	// Handler goroutines of every session; Run waits for them on return.
	var handlers sync.WaitGroup
	defer handlers.Wait()

	log := c.log.With("domain", c.cfg.Domain, "address", c.cfg.Address)
	c.loadRoster(ctx)
	bo := backoff{min: c.cfg.MinBackoff, max: c.cfg.MaxBackoff}
	for {
		sess, err := dial(ctx, c.cfg.Address, c.cfg.Domain, c.cfg.Secret, c.cfg.ConnectTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var delay time.Duration
			var se *StreamError
			switch {
			case errors.Is(err, ErrNotAuthorized):
				delay = bo.longest()
				log.ErrorContext(ctx, "XMPP server rejected the component handshake as not authorized: check the component secret",
					"err", err, "retry_in", delay)
			case errors.As(err, &se):
				delay = bo.longest()
				log.ErrorContext(ctx, "XMPP server refused the component: check its component configuration",
					"condition", se.Condition, "err", err, "retry_in", delay)
			default:
				delay = bo.next()
				log.WarnContext(ctx, "cannot connect to the XMPP server", "err", err, "retry_in", delay)
			}
			if !sleep(ctx, delay) {
				return nil
			}
			continue
		}

		log.InfoContext(ctx, "component connected")
		// The server took the handshake: whatever failed before is over,
		// and a stream that drops later (the server restarting) is retried
		// at once. A server that accepts and drops us in a loop is retried
		// about every MinBackoff, one handshake each, which it can bear.
		bo.reset()
		c.observeStream(true)
		err = c.serve(ctx, sess, &handlers)
		c.observeStream(false)
		if ctx.Err() != nil {
			log.InfoContext(ctx, "component disconnected")
			return nil
		}
		delay := bo.next()
		log.WarnContext(ctx, "component connection lost", "err", err, "retry_in", delay)
		if !sleep(ctx, delay) {
			return nil
		}
	}
}

// serve runs one established stream until it fails or ctx is done, and
// returns why it ended.
func (c *Component) serve(ctx context.Context, sess *session, handlers *sync.WaitGroup) error {
	c.setSession(sess)
	defer c.setSession(nil)
	// Before anything is read: a probe answer must not find the old
	// availability cleared after it arrived.
	c.announce(ctx, sess)

	readDone := make(chan error, 1)
	go func() {
		readDone <- sess.readLoop(func(st *inStanza) { c.dispatch(ctx, sess, st, handlers) })
	}()

	var tick <-chan time.Time
	if c.cfg.KeepAlive > 0 {
		t := time.NewTicker(c.cfg.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
	pingCtx, stopPing := context.WithCancel(ctx)
	defer stopPing()
	pingDone := make(chan error, 1)
	pinging := false

	for {
		select {
		case err := <-readDone:
			sess.nc.Close()
			return err
		case <-ctx.Done():
			c.setSession(nil) // Send fails fast from here on
			c.goodbye(sess)
			c.closeStream(sess, readDone)
			return ctx.Err()
		case <-tick:
			if pinging {
				continue
			}
			pinging = true
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				pingDone <- sess.ping(pingCtx, c.cfg.Domain)
			}()
		case err := <-pingDone:
			pinging = false
			if err == nil {
				c.log.DebugContext(ctx, "keepalive ping answered")
				continue
			}
			if ctx.Err() == nil {
				sess.nc.Close()
				<-readDone
				return err
			}
		}
	}
}

// closeStream ends the stream as RFC 6120 §4.4 describes: send
// </stream:stream>, wait a while for the server's, then close the
// connection. readDone delivers the read loop's end.
func (c *Component) closeStream(sess *session, readDone <-chan error) {
	if err := sess.sendClose(); err == nil {
		timer := time.NewTimer(sess.timeout)
		defer timer.Stop()
		select {
		case <-readDone:
			sess.nc.Close()
			return
		case <-timer.C:
		}
	}
	sess.nc.Close()
	<-readDone
}

// dispatch is called by the read loop for each stanza. Answers to our own
// IQs are taken at once, and presence is handled at once, in the order it
// came (a user's unavailable must not overtake the available before it);
// everything else is handled in its own goroutine, at most MaxConcurrent
// at a time, with a context derived from Run's.
func (c *Component) dispatch(ctx context.Context, sess *session, st *inStanza, handlers *sync.WaitGroup) {
	if st.Kind == "iq" && (st.Type == "result" || st.Type == "error") {
		if !sess.answered(st.ID) {
			c.log.DebugContext(ctx, "unexpected IQ answer", "type", st.Type, "jid", st.From, "id", st.ID)
		}
		return
	}
	if st.Kind == "presence" {
		sctx, cancel := context.WithTimeout(ctx, c.cfg.StanzaTimeout)
		defer cancel()
		c.handle(sctx, sess, st)
		return
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	handlers.Add(1)
	go func() {
		defer handlers.Done()
		defer func() { <-c.sem }()
		sctx, cancel := context.WithTimeout(ctx, c.cfg.StanzaTimeout)
		defer cancel()
		c.handle(sctx, sess, st)
	}()
}

// Send marshals p with encoding/xml (gosrc.io/xmpp's stanza types marshal
// as stream-ready XML) and writes it to the server. It fails at once with
// [ErrNotConnected] when there is no stream, and never queues.
func (c *Component) Send(ctx context.Context, p stanza.Packet) error {
	data, err := xml.Marshal(p)
	if err != nil {
		return fmt.Errorf("component: marshal %s: %w", p.Name(), err)
	}
	return c.sendRaw(ctx, data)
}

func (c *Component) sendRaw(ctx context.Context, data []byte) error {
	sess := c.session()
	if sess == nil {
		return ErrNotConnected
	}
	if err := sess.write(ctx, data); err != nil {
		return fmt.Errorf("component: send: %w", err)
	}
	return nil
}

// SendMessage sends a chat message from the component's domain to to. Each
// extra element must marshal as one XML element (a type with an XMLName
// field, a [RawElement], or a gosrc.io/xmpp message extension).
func (c *Component) SendMessage(ctx context.Context, to, body string, extra ...stanza.MsgExtension) error {
	if _, err := BareJID(to); err != nil {
		return fmt.Errorf("component: send message: %w", err)
	}
	m := stanza.NewMessage(stanza.Attrs{Type: stanza.MessageTypeChat, Id: randomID(), From: c.cfg.Domain, To: to})
	m.Body = body
	m.Extensions = extra
	return c.Send(ctx, m)
}

// sendMessage sends a reply of type typ ("chat" or "normal") in thread.
func (c *Component) sendMessage(ctx context.Context, to, typ, thread, body string) error {
	m := stanza.NewMessage(stanza.Attrs{Type: stanza.StanzaType(typ), Id: randomID(), From: c.cfg.Domain, To: to})
	m.Body = body
	m.Thread = thread
	return c.Send(ctx, m)
}

// SendConfirm asks the user at to to confirm an HTTP request, as XEP-0070
// §4.2 describes: a normal message whose body explains the request and
// tells the user how to answer, with a <confirm/> element carrying the
// transaction id, the request's method and its URL. The thread is the id,
// so that a plain reply in the same thread can be matched too. The answer
// arrives at the [MessageHandler] with [Message.Confirm] set.
//
// A request means nothing once answered or expired, so no server should
// keep it for a client that comes online later: it carries the XEP-0334
// hints no-store (no offline storage) and no-permanent-store (no archive),
// and, when expires is set, an XEP-0023 expiry at that time, which
// ejabberd's offline storage honours too. (Prosody 0.12's offline storage
// ignores both: see [Component.Availability] for what the bridge does
// about it.)
func (c *Component) SendConfirm(ctx context.Context, to, id, method, url, body string, expires time.Time) error {
	if _, err := BareJID(to); err != nil {
		return fmt.Errorf("component: send confirm: %w", err)
	}
	if id == "" || method == "" || url == "" {
		return errors.New("component: send confirm: id, method and url are required (XEP-0070 §4.2)")
	}
	m := stanza.NewMessage(stanza.Attrs{Type: stanza.MessageTypeNormal, Id: randomID(), From: c.cfg.Domain, To: to})
	m.Body = body
	m.Thread = id
	m.Extensions = []stanza.MsgExtension{&Confirm{ID: id, Method: method, URL: url}, hint("no-store"), hint("no-permanent-store")}
	if !expires.IsZero() {
		secs := max(int(time.Until(expires).Round(time.Second)/time.Second), 1)
		m.Extensions = append(m.Extensions, RawElement{Name: xml.Name{Space: NSExpire, Local: "x"},
			XML: []byte("<x xmlns='" + NSExpire + "' seconds='" + strconv.Itoa(secs) + "'/>")})
	}
	return c.Send(ctx, m)
}

// hint is an XEP-0334 message processing hint.
func hint(name string) RawElement {
	return RawElement{Name: xml.Name{Space: NSHints, Local: name}, XML: []byte("<" + name + " xmlns='" + NSHints + "'/>")}
}

// randomID returns a random stanza id.
func randomID() string { return rand.Text() }
