package oauth

import (
	"context"
	"errors"
	"fmt"
)

// grantFor returns the grant of jid for the client, widened to scopes, or a
// new one. One grant per user and client keeps "authorized apps" one line per
// app, and revoking it ends everything that app holds.
func (p *Provider) grantFor(ctx context.Context, jid, clientID string, scopes []string, via string) (Grant, error) {
	now := p.now()
	// By user, also for the client credentials grant (jid ""): a user has a
	// grant per app and few apps use client credentials, while one client
	// may have a grant for each of a million users.
	list, err := p.store.ListGrantsByUser(ctx, jid)
	if err != nil {
		return Grant{}, fmt.Errorf("find grant: %w", err)
	}
	for _, g := range list {
		if g.ClientID != clientID || g.JID != jid {
			continue
		}
		g, err := p.store.UpdateGrant(ctx, g.ID, func(g Grant) (Grant, error) {
			g.Scopes = union(g.Scopes, scopes)
			g.AuthTime, g.LastUsed = now, now
			return g, nil
		})
		if errors.Is(err, ErrNotFound) {
			break // revoked meanwhile: make a new one
		}
		if err != nil {
			return Grant{}, fmt.Errorf("update grant: %w", err)
		}
		return g, nil
	}
	g := Grant{ID: newID(), JID: jid, ClientID: clientID, Scopes: scopes, Created: now, LastUsed: now, AuthTime: now, Via: via}
	if err := p.store.CreateGrant(ctx, g); err != nil {
		return Grant{}, fmt.Errorf("create grant: %w", err)
	}
	p.log.InfoContext(ctx, "grant issued", "jid", jid, "client_id", clientID, "grant_id", g.ID, "via", via)
	return g, nil
}

// Grants lists jid's grants with the app and live token count of each.
func (p *Provider) Grants(ctx context.Context, jid string) ([]GrantView, error) {
	jid = NormalizeJID(jid)
	list, err := p.store.ListGrantsByUser(ctx, jid)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	now := p.now()
	out := make([]GrantView, 0, len(list))
	for _, g := range list {
		// A deleted client leaves no name: AppInfo.Label shows it as deleted.
		v := GrantView{Grant: g, App: AppInfo{ClientID: g.ClientID}}
		if c, err := p.store.GetClient(ctx, g.ClientID); err == nil {
			v.App = appInfo(c)
		}
		toks, err := p.store.ListTokensByGrant(ctx, g.ID)
		if err != nil {
			return nil, fmt.Errorf("list tokens of grant %s: %w", g.ID, err)
		}
		for _, t := range toks {
			if !t.Rotated && now.Before(t.Expiry) {
				v.ActiveTokens++
			}
			// Every use of a grant issues a token, so the newest token
			// tells when it was last used; refreshes need not write the grant.
			if t.IssuedAt.After(v.LastUsed) {
				v.LastUsed = t.IssuedAt
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// RevokeGrants ends grants of jid; every token of them stops working at once.
// A grant that is not jid's is reported as not found.
func (p *Provider) RevokeGrants(ctx context.Context, jid string, ids ...string) error {
	jid = NormalizeJID(jid)
	for _, id := range ids {
		g, err := p.store.GetGrant(ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && g.JID != jid) {
			return Errorf(InvalidRequest, "you have no authorization with id %q", id)
		}
		if err != nil {
			return fmt.Errorf("revoke grant: %w", err)
		}
		if err := p.store.DeleteGrant(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("revoke grant %s: %w", id, err)
		}
		p.log.InfoContext(ctx, "grant revoked", "jid", jid, "client_id", g.ClientID, "grant_id", id)
	}
	return nil
}

// RevokeUser ends every grant of jid and returns how many.
func (p *Provider) RevokeUser(ctx context.Context, jid string) (int, error) {
	jid = NormalizeJID(jid)
	list, err := p.store.ListGrantsByUser(ctx, jid)
	if err != nil {
		return 0, fmt.Errorf("revoke user: %w", err)
	}
	for _, g := range list {
		if err := p.store.DeleteGrant(ctx, g.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("revoke user: grant %s: %w", g.ID, err)
		}
	}
	p.log.InfoContext(ctx, "all grants of user revoked", "jid", jid, "grants", len(list))
	return len(list), nil
}

// Stats counts clients, grants, tokens and pending codes.
func (p *Provider) Stats(ctx context.Context) (Stats, error) {
	s, err := p.store.Stats(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return s, nil
}
