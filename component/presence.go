package component

import (
	"context"
	"maps"
	"sync"
	"time"
)

// presenceState is what the component knows of presence: its roster
// (loaded when Run starts, kept in the Roster at each change) and, for the
// users whose presence it sees, their available resources since the stream
// came up.
type presenceState struct {
	mu     sync.Mutex
	loaded bool
	subs   map[string]Subscription
	// online holds the available resources of each user whose presence
	// the component has heard since the stream came up; a user in it with
	// no resources is known to be offline.
	online map[string]map[string]bool
}

// loadRoster reads the roster once, when Run starts. A roster that cannot
// be read leaves the component without subscribers until users subscribe
// or probe again, which it logs.
func (c *Component) loadRoster(ctx context.Context) {
	subs, err := c.roster.Load(ctx)
	if err != nil {
		c.log.ErrorContext(ctx, "cannot read the roster: subscribers will not see the component online until they log in again", "err", err)
		subs = map[string]Subscription{}
	}
	c.pres.mu.Lock()
	defer c.pres.mu.Unlock()
	if c.pres.loaded {
		return
	}
	c.pres.subs, c.pres.loaded = subs, true
}

// subscription returns jid's subscription.
func (c *Component) subscription(jid string) Subscription {
	c.pres.mu.Lock()
	defer c.pres.mu.Unlock()
	return c.pres.subs[jid]
}

// updateSubscription changes jid's subscription with change and keeps the
// result in the roster; it returns the subscription before and after.
func (c *Component) updateSubscription(ctx context.Context, jid string, change func(*Subscription)) (before, after Subscription) {
	c.pres.mu.Lock()
	defer c.pres.mu.Unlock()
	if c.pres.subs == nil {
		c.pres.subs = map[string]Subscription{}
	}
	before = c.pres.subs[jid]
	after = before
	change(&after)
	if !after.To {
		delete(c.pres.online, jid) // no longer told
	}
	if after == before {
		return before, after
	}
	if _, known := c.pres.subs[jid]; !known && len(c.pres.subs) >= MaxRosterSize {
		c.log.WarnContext(ctx, "roster full: subscription answered but not kept", "jid", jid, "max", MaxRosterSize)
		return before, after
	}
	if err := c.roster.Store(ctx, jid, after); err != nil {
		c.log.ErrorContext(ctx, "cannot keep a subscription in the roster", "jid", jid, "err", err)
	}
	setSubscription(c.pres.subs, jid, after)
	return before, after
}

// sawPresence records the availability of one resource of a user.
func (c *Component) sawPresence(bare, resource string, available bool) {
	c.pres.mu.Lock()
	defer c.pres.mu.Unlock()
	if c.pres.online == nil {
		c.pres.online = map[string]map[string]bool{}
	}
	res := c.pres.online[bare]
	if res == nil {
		res = map[string]bool{}
		c.pres.online[bare] = res
	}
	if available {
		res[resource] = true
	} else if resource == "" {
		clear(res) // a bare unavailable: the probe's answer for a user with no resource
	} else {
		delete(res, resource)
	}
}

// Availability reports whether the user with bare JID jid is online, as far
// as the component knows: known is false unless the user lets the component
// see their presence and it has heard of it since the stream came up.
func (c *Component) Availability(jid string) (online, known bool) {
	c.pres.mu.Lock()
	defer c.pres.mu.Unlock()
	res, known := c.pres.online[jid]
	return len(res) > 0, known
}

// IsContact reports whether the user with bare JID jid sees the
// component's presence (they added it as a contact).
func (c *Component) IsContact(jid string) bool { return c.subscription(jid).From }

// announce runs when a stream comes up: the component sends its presence
// to every subscriber and probes every user whose presence it sees (their
// servers answer with each available resource, or unavailable). Whatever
// was known of their presence is forgotten: the server may have restarted
// meanwhile.
func (c *Component) announce(ctx context.Context, w stanzaWriter) {
	c.pres.mu.Lock()
	subs := maps.Clone(c.pres.subs)
	c.pres.online = nil
	c.pres.mu.Unlock()
	for jid, s := range subs {
		if s.From {
			c.writePresence(ctx, w, jid, "")
		}
		if s.To {
			c.writePresence(ctx, w, jid, "probe")
		}
	}
	if len(subs) > 0 {
		c.log.DebugContext(ctx, "presence sent to subscribers", "contacts", len(subs))
	}
}

// goodbyeTimeout bounds how long the component spends telling its
// subscribers it goes away, so that a large roster cannot hold up shutdown.
const goodbyeTimeout = 5 * time.Second

// goodbye runs before the component closes its stream: it tells every
// subscriber that it is unavailable, so that their clients do not show it
// online while it is away.
func (c *Component) goodbye(w stanzaWriter) {
	ctx, cancel := context.WithTimeout(context.Background(), goodbyeTimeout)
	defer cancel()
	c.pres.mu.Lock()
	subs := maps.Clone(c.pres.subs)
	c.pres.mu.Unlock()
	for jid, s := range subs {
		if ctx.Err() != nil {
			c.log.Warn("shutdown: not every subscriber was told the component goes away", "contacts", len(subs))
			return
		}
		if s.From {
			c.writePresence(ctx, w, jid, "unavailable")
		}
	}
}

// writePresence writes a presence of type typ from the component to jid.
func (c *Component) writePresence(ctx context.Context, w stanzaWriter, to, typ string) {
	b := []byte("<presence")
	b = appendAttr(b, "from", c.cfg.Domain)
	b = appendAttr(b, "to", to)
	b = appendAttr(b, "type", typ)
	b = append(b, "/>"...)
	if err := w.write(ctx, b); err != nil {
		c.log.DebugContext(ctx, "cannot send presence", "jid", to, "type", typ, "err", err)
	}
}
