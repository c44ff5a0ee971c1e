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
//	xmppoauth help [COMMAND]           the admin commands (cli.go): backup,
//	                                   restore, clients, grants, tokens, keys
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
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/component"
	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
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
	if code, done := runCLI(cmd, args, stdout, stderr); done {
		return code // the admin commands, help, and usage errors (cli.go)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "config.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch cmd {
	case "check-config":
		cfg, err := config.Load(*cfgPath)
		if err == nil {
			err = checkOptions(cfg)
		}
		if err != nil {
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
// accepting HTTP requests and finish those in flight (on every listener),
// close the component's stream, then close the store.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if err := checkOptions(cfg); err != nil {
		return err
	}
	db, err := openStore(cfg, log)
	if err != nil {
		return err
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
	o := newOps(cfg, log) // metrics and health probes (ops.go)
	p, err := newCore(ctx, cfg, db, bridge, o.coreObserver(), log)
	if err != nil {
		return err
	}
	engine := adhoc.New(adhoc.Options{Logger: log.With("subsystem", "adhoc"), Observer: o.adhocObserver(),
		MaxSessionsPerJID: cfg.Limits.AdhocSessionsPerJID, MaxSessions: cfg.Limits.AdhocSessionsTotal}, adhoc.Commands(p)...)
	// The component's presence subscriptions, beside the store: who sees
	// it online when it (re)connects.
	roster, err := component.NewFileRoster(filepath.Join(cfg.DataDir, rosterFile))
	if err != nil {
		return err
	}
	comp := component.New(component.Config{
		Address:     cfg.Component.Address,
		Domain:      cfg.Component.Domain,
		Secret:      cfg.Component.Secret.Reveal(),
		UserDomains: cfg.XMPP.UserDomains,
		Name:        cfg.SiteName,
		Version:     version,
		Logger:      log.With("subsystem", "component"),
		Observer:    o.componentObserver(),
		MaxBackoff:  time.Duration(cfg.Component.ReconnectMaxDelay),
		Roster:      roster,
	}, bridge.Handlers(p, engine, component.CAMHandlers(p)))
	bridge.Attach(comp)
	o.watch(ctx, p, db, comp, cfg.Component.Address)
	// Listen before the component runs, so that a port in use stops
	// start-up before anything else has started.
	servers, err := listen(cfg, p, o, log)
	if err != nil {
		return err
	}
	if s := listenAdmin(cfg, p, db, log); s != nil {
		servers = append(servers, s) // the admin commands' socket (admin.go)
	}
	compDone := make(chan error, 1)
	go func() { compDone <- comp.Run(ctx) }()

	attrs := []any{"version", version, "issuer", cfg.Issuer, "data_dir", cfg.DataDir}
	for _, s := range servers {
		attrs = append(attrs, s.name, s.ln.Addr().String())
	}
	log.Info("xmppoauth serving", attrs...)
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() {
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s server: %w", s.name, err)
			}
		}()
	}

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer scancel()
	for _, s := range servers {
		if err := s.srv.Shutdown(sctx); err != nil {
			log.Error("http shutdown", "server", s.name, "err", err)
		}
	}
	cancel() // the component closes its stream when ctx ends
	if err := <-compDone; err != nil {
		log.Error("component stopped", "err", err)
	}
	o.wait() // a reading of the stored counts, before the store closes
	return serveErr
}

// rosterFile is the file in the data directory that keeps the component's
// presence subscriptions (component.FileRoster).
const rosterFile = "xmpp-roster.json"

// server is one HTTP listener: the main one, or ejabberd's token backend.
type server struct {
	name string // in logs and errors: "http" or "ejabberd"
	srv  *http.Server
	ln   net.Listener
}

// listen opens the HTTP listeners: http.listen for the web side (with the
// health probes of o), ejabberd.listen, when set, for ejabberd's token
// backend, and ops.listen, when set, for metrics and probes; both are kept
// off the public listener. o may be nil: no probes and no metrics.
func listen(cfg *config.Config, p *oauth.Provider, o *ops, log *slog.Logger) ([]*server, error) {
	web, err := webHandler(cfg, p, o, log)
	if err != nil {
		return nil, err
	}
	type want struct {
		name, addr string
		h          http.Handler
	}
	wants := []want{{"http", cfg.HTTP.Listen, web}}
	if cfg.Ejabberd.Listen != "" {
		h := oauthhttp.EjabberdHandler(p, ejabberdOptions(cfg, log.With("subsystem", "ejabberd")))
		wants = append(wants, want{"ejabberd", cfg.Ejabberd.Listen, o.instrument("ejabberd", h)})
	}
	if cfg.Ops.Listen != "" && o != nil {
		wants = append(wants, want{"ops", cfg.Ops.Listen, o.handler()})
	}
	var servers []*server
	for _, w := range wants {
		ln, err := net.Listen("tcp", w.addr)
		if err != nil {
			for _, s := range servers {
				s.ln.Close()
			}
			return nil, fmt.Errorf("%s: listen on %s: %w", w.name, w.addr, err)
		}
		servers = append(servers, &server{name: w.name, srv: oauthhttp.NewServer(w.h), ln: ln})
	}
	return servers, nil
}

// xmppLoginPath is where the main listener answers XMPP servers that check
// tokens like a UserInfo endpoint (Prosody 13's mod_auth_oauth_external),
// under the issuer's path; docs/prosody.md gives it as
// <issuer>/xmpp/userinfo.
const xmppLoginPath = "/xmpp/userinfo"

// webHandler is the main listener's handler: package oauthhttp's endpoints,
// with the XMPP login check and the health probes of o beside them.
func webHandler(cfg *config.Config, p *oauth.Provider, o *ops, log *slog.Logger) (http.Handler, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	mux := http.NewServeMux()
	// EscapedPath keeps characters that patterns read as wildcards, such
	// as "{", escaped; the mux matches them against the escaped request path.
	loginPath := strings.TrimSuffix(u.EscapedPath(), "/") + xmppLoginPath
	mux.Handle(loginPath, o.instrument(loginPath, oauthhttp.XMPPLoginHandler(p, oauthhttp.XMPPLoginOptions{
		Realm:  cfg.SiteName,
		Logger: log.With("subsystem", "xmpp_login"),
	})))
	o.mount(mux, false) // /healthz and /readyz; /metrics only on ops.listen
	web := webOptions(cfg, log.With("subsystem", "http"))
	web.Observer = o.httpObserver()
	if len(web.SessionKey) == 0 {
		log.Info("no web.session.secret: browser sessions end when xmppoauth restarts")
	}
	mux.Handle("/", oauthhttp.New(p, web))
	return mux, nil
}

// webOptions maps the configuration onto the web pages' options.
func webOptions(cfg *config.Config, log *slog.Logger) oauthhttp.Options {
	o := oauthhttp.Options{
		Logger:          log,
		SiteName:        cfg.SiteName,
		LogoURL:         cfg.Web.LogoURL,
		Colors:          oauthhttp.Colors(cfg.Web.Colors),
		TemplateDir:     cfg.Web.TemplateDir,
		ComponentJID:    cfg.Component.Domain,
		Commands:        pageCommands,
		SessionKey:      []byte(cfg.Web.Session.Secret.Reveal()),
		SessionLifetime: time.Duration(cfg.Web.Session.Lifetime),
		SkipConsent:     cfg.Web.SkipConsent,
		TOSURI:          cfg.Web.TOSURI,
		PolicyURI:       cfg.Web.PolicyURI,
		TrustedProxies:  cfg.HTTP.TrustedProxies,
		Limits: oauthhttp.Limits{
			RegistrationPerIP: oauth.Rate(cfg.Limits.RegistrationPerIP),
			AuthorizePerIP:    oauth.Rate(cfg.Limits.AuthorizePerIP),
			MaxBodyBytes:      int64(cfg.Limits.MaxBodyBytes),
		},
	}
	if pw := cfg.Web.PasswordSignIn; pw.Enabled {
		o.Passwords = &oauthhttp.C2SPasswordChecker{Address: pw.Address, RequireTLS: pw.RequireTLS}
	}
	return o
}

// pageCommands are the commands the web pages point users to, as package
// adhoc registers them.
var pageCommands = oauthhttp.Commands{
	ApproveDevice: oauthhttp.Command{Node: adhoc.NodeApproveDevice, Name: adhoc.NameApproveDevice},
	SignIns:       oauthhttp.Command{Node: adhoc.NodeSignIns, Name: adhoc.NameSignIns},
}

// ejabberdOptions maps the ejabberd section onto the options of
// oauthhttp's token backend.
func ejabberdOptions(cfg *config.Config, log *slog.Logger) oauthhttp.EjabberdOptions {
	return oauthhttp.EjabberdOptions{
		Header: cfg.Ejabberd.Header,
		Secret: cfg.Ejabberd.Secret.Reveal(),
		Scopes: cfg.Ejabberd.Scopes,
		Logger: log,
	}
}

// checkOptions checks what config validates without knowing the other
// packages' rules, as they will be checked at start-up: the web pages'
// options (an override template directory must parse), and the ejabberd
// backend's options when it is served.
func checkOptions(cfg *config.Config) error {
	if err := webOptions(cfg, nil).Validate(); err != nil {
		return fmt.Errorf("web: %w", err)
	}
	if cfg.Ejabberd.Listen == "" {
		return nil
	}
	return ejabberdOptions(cfg, nil).Validate()
}
