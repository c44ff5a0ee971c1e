package component

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync"
)

// Subscription is one user's presence subscriptions with the component
// (RFC 6121 §3), seen from the component, as an item of its roster would
// say them.
type Subscription struct {
	// From: the user receives the component's presence; they subscribed
	// to it (RFC 6121 "from").
	From bool `json:"from,omitempty"`
	// To: the component receives the user's presence; the user approved
	// its request (RFC 6121 "to").
	To bool `json:"to,omitempty"`
	// Asked: the component asked to see the user's presence and has no
	// answer yet (RFC 6121 "pending out").
	Asked bool `json:"asked,omitempty"`
}

// Roster keeps the component's subscriptions across restarts, so that it
// can announce itself to its subscribers and probe their presence each time
// its stream comes up: an XMPP server keeps rosters for its users, not for
// components. Store and Load are called one at a time.
type Roster interface {
	// Load returns every subscription by bare JID.
	Load(ctx context.Context) (map[string]Subscription, error)
	// Store records the subscription of a bare JID; the zero Subscription
	// removes it.
	Store(ctx context.Context, jid string, s Subscription) error
}

// MaxRosterSize bounds the subscriptions a component keeps: one per user
// account of the configured domains, who alone may subscribe. Beyond it a
// new subscription is still answered, and the user still sees the
// component, but it is not remembered across reconnections.
const MaxRosterSize = 1_000_000

// NewMemoryRoster returns a roster kept in memory only, for tests and for a
// component run without a place to keep one: a FileRoster without a file.
func NewMemoryRoster() Roster { return &FileRoster{subs: map[string]Subscription{}} }

// setSubscription records s for jid in subs; the zero Subscription removes
// jid.
func setSubscription(subs map[string]Subscription, jid string, s Subscription) {
	if s == (Subscription{}) {
		delete(subs, jid)
	} else {
		subs[jid] = s
	}
}

// FileRoster keeps the roster in a JSON file, rewritten whole (to a new
// file, then renamed over the old one) at each change; subscriptions change
// seldom, when users add or remove the component.
type FileRoster struct {
	path string // "" keeps the roster in memory only
	mu   sync.Mutex
	subs map[string]Subscription
}

// rosterFile is the file's content.
type rosterFile struct {
	Contacts map[string]Subscription `json:"contacts"`
}

// NewFileRoster opens the roster kept at path, creating none until the first
// change. A file that cannot be read is an error: starting empty would
// silently forget every subscriber.
func NewFileRoster(path string) (*FileRoster, error) {
	r := &FileRoster{path: path, subs: map[string]Subscription{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return r, nil
	case err != nil:
		return nil, fmt.Errorf("roster: %w", err)
	}
	var f rosterFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("roster: %s: %w", path, err)
	}
	for jid, s := range f.Contacts {
		if s != (Subscription{}) {
			r.subs[jid] = s
		}
	}
	return r, nil
}

// Load returns the subscriptions read from the file and stored since.
func (r *FileRoster) Load(context.Context) (map[string]Subscription, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.subs), nil
}

// Store records the subscription of jid and rewrites the file, readable by
// its owner only.
func (r *FileRoster) Store(_ context.Context, jid string, s Subscription) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.subs[jid]
	setSubscription(r.subs, jid, s)
	if err := r.write(); err != nil {
		setSubscription(r.subs, jid, old) // as it was in the file
		return err
	}
	return nil
}

func (r *FileRoster) write() error {
	if r.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(rosterFile{Contacts: r.subs}, "", "\t")
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.path), ".roster-*")
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("roster: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("roster: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	if err := os.Rename(tmp.Name(), r.path); err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	return nil
}
