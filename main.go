// Command xmppoauth is an OAuth 2.0 / OpenID Connect authorization server for
// any XMPP server: it attaches as an external component (XEP-0114), users
// approve sign-ins and devices in their chat client, and the HTTP side serves
// the standard endpoints. main only wires the packages together.
//
// Usage:
//
//	xmppoauth [serve] [-config FILE]   run the service (the default)
//	xmppoauth check-config [-config FILE]
//	xmppoauth version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
	"github.com/xmppoauth/xmppoauth/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "config.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "xmppoauth", version)
		return 0
	case "check-config":
		if _, err := config.Load(*cfgPath); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: OK\n", *cfgPath)
		return 0
	case "serve":
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, cfg, log); err != nil {
			log.Error("xmppoauth stopped", "err", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q; commands: serve, check-config, version\n", cmd)
		return 2
	}
}

// serve runs the service until ctx is done, then shuts down in order: stop
// accepting HTTP requests and finish those in flight, then close the store.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := store.Open(cfg.DataDir, store.Options{SyncWrites: cfg.Store.SyncWrites, Logger: log.With("subsystem", "store")})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go db.RunGC(ctx, 10*time.Minute)

	// The core pushes approvals through the bridge, which needs the core to
	// answer them: make the bridge, then the core, then wire the bridge.
	bridge := component.NewBridge(cfg.SiteName, cfg.XMPP.Admins, log.With("subsystem", "xmpp"))
	oc := cfg.OAuthConfig()
	oc.Logger = log.With("subsystem", "oauth")
	oc.Notifier = bridge
	p, err := oauth.New(ctx, oc, db)
	if err != nil {
		return err
	}
	engine := adhoc.New(adhoc.Options{Logger: log.With("subsystem", "adhoc")}, adhoc.Commands(p)...)
	comp := component.New(component.Config{
		Address:     cfg.Component.Address,
		Domain:      cfg.Component.Domain,
		Secret:      cfg.Component.Secret.Reveal(),
		UserDomains: cfg.XMPP.UserDomains,
		Name:        cfg.SiteName,
		Version:     version,
		Logger:      log.With("subsystem", "component"),
	}, bridge.Handlers(p, engine, component.CAMHandlers(p)))
	bridge.Attach(comp)
	compDone := make(chan error, 1)
	go func() { compDone <- comp.Run(ctx) }()

	h := oauthhttp.New(p, oauthhttp.Options{Logger: log.With("subsystem", "http"), SiteName: cfg.SiteName})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTP.Listen, err)
	}
	log.Info("xmppoauth serving", "version", version, "issuer", cfg.Issuer, "http", ln.Addr().String(), "data_dir", cfg.DataDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http shutdown", "err", err)
	}
	cancel() // the component closes its stream when ctx ends
	if err := <-compDone; err != nil {
		log.Error("component stopped", "err", err)
	}
	return nil
}
