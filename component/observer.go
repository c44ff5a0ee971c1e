package component

// Observer is told when the component's stream to the XMPP server comes up
// and goes down, for metrics; package metrics implements it for
// Prometheus. Its methods are called on [Component.Run]'s goroutine, so
// they must be quick; they must be safe for concurrent use with whatever
// else reads what they record.
type Observer interface {
	// ComponentConnected is called each time the handshake succeeds
	// (XEP-0114 §3) and the stream is established: once at start-up and
	// once for every reconnection after that.
	ComponentConnected()
	// ComponentDisconnected is called each time an established stream
	// ends: lost, or closed because Run's context ended.
	ComponentDisconnected()
}

// observeStream tells the observer, if there is one, that the stream came
// up (up) or went down.
func (c *Component) observeStream(up bool) {
	switch o := c.cfg.Observer; {
	case o == nil:
	case up:
		o.ComponentConnected()
	default:
		o.ComponentDisconnected()
	}
}
