package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// openStore opens the Badger store in the data directory. serve and the
// admin commands, when the service is stopped, both open it here.
func openStore(cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(cfg.DataDir, store.Options{SyncWrites: cfg.Store.SyncWrites, Logger: log.With("subsystem", "store")})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// newCore builds the core on the store as configured. notifier pushes
// approvals to users (nil for the admin commands, which push nothing);
// observer counts tokens issued for metrics (nil: none kept).
func newCore(ctx context.Context, cfg *config.Config, db oauth.Store, notifier oauth.Notifier, observer oauth.Observer, log *slog.Logger) (*oauth.Provider, error) {
	oc := cfg.OAuthConfig()
	oc.Logger = log.With("subsystem", "oauth")
	oc.Notifier = notifier
	oc.Observer = observer
	p, err := oauth.New(ctx, oc, db)
	if err != nil {
		return nil, err
	}
	return p, nil
}
