package oauthhttp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// Options configure a [Handler]. The zero value is usable: built-in look,
// no remembered sessions, consent asked every time, no password sign-in.
type Options struct {
	// Logger receives request logs (at debug) and server faults (at error);
	// discarded when nil.
	Logger *slog.Logger
	// SiteName is shown on pages and used as the HTTP Basic realm;
	// "xmppoauth" when empty.
	SiteName string
	// LogoURL is an image shown beside the site name: an absolute https
	// (or loopback http) URL, whose origin the pages' CSP then allows for
	// images, or a path on this server. None when empty.
	LogoURL string
	// Colors theme the pages; empty fields keep the built-in colours.
	Colors Colors
	// TemplateDir is a directory whose files replace the built-in files of
	// the same name (see [TemplateNames]); none when empty.
	TemplateDir string
	// ComponentJID is the address of the XMPP component (auth.example.org).
	// The pages name it, suggest adding it as a contact and link to its
	// commands (xmpp: URIs, XEP-0050 §2.5 and XEP-0147); they speak of
	// "this service's chat address" when it is empty.
	ComponentJID string
	// Commands are the component's ad-hoc commands the pages point to, as
	// whoever assembles the service registers them (package adhoc); a
	// command left zero is described without its name or a link.
	Commands Commands
	// SessionKey signs the session cookie (HMAC-SHA256). When empty, New
	// makes a random key, so sessions end when the process does.
	SessionKey []byte
	// SessionLifetime is how long a browser remembers who signed in, so
	// that the next sign-in is one click on the consent page. Zero forgets
	// them as soon as each sign-in is over.
	SessionLifetime time.Duration
	// SkipConsent goes straight back to an app that already holds a grant
	// of the user for every scope it asks, unless it asks prompt=consent.
	SkipConsent bool
	// Passwords, when set, offers signing in with the XMPP password, which
	// it checks (see [C2SPasswordChecker]). Nil: approval in chat only.
	Passwords PasswordChecker
	// Limits bound request rates per client address and request sizes;
	// zero fields take the defaults.
	Limits Limits
	// TrustedProxies are the addresses (IPs or CIDR prefixes) of reverse
	// proxies in front of the server. Only a request from one of them has
	// its client address taken from X-Forwarded-For (or X-Real-IP); any
	// other request's is the connection's peer. Empty: no proxy is trusted,
	// so behind a proxy every request would count against the proxy's
	// address in the per-address limits.
	TrustedProxies []string
	// TOSURI and PolicyURI are the service's terms of service and privacy
	// policy, absolute http(s) URLs. Each one set is advertised in the
	// metadata (op_tos_uri, op_policy_uri: RFC 8414 §2, OpenID Connect
	// Discovery 1.0 §3) and linked from the footer of every page.
	TOSURI, PolicyURI string
	// Observer, when set, is told of every request answered, for metrics.
	Observer Observer
}

// Colors are CSS hex colours (#rgb or #rrggbb) of the pages.
type Colors struct {
	// Primary is the colour of the header, buttons and links, with white
	// text on it.
	Primary string
	// Background is the colour around the page's content.
	Background string
	// Text is the colour of text, on white and on Background.
	Text string
}

// Validate reports options that New cannot use: a colour that is not a hex
// colour, a logo URL that is neither absolute nor a path, a template
// directory that cannot be read or whose templates do not parse.
func (o Options) Validate() error {
	var errs []error
	for _, c := range []struct{ name, v string }{
		{"primary", o.Colors.Primary}, {"background", o.Colors.Background}, {"text", o.Colors.Text},
	} {
		if c.v != "" && !hexColorRE.MatchString(c.v) {
			errs = append(errs, fmt.Errorf("colour %s: %q is not a hex colour such as #24385b", c.name, c.v))
		}
	}
	if _, err := logoOrigin(o.LogoURL); err != nil {
		errs = append(errs, err)
	}
	if err := o.Limits.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := validateProxies(o.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	for _, d := range []struct{ name, v string }{{"terms of service", o.TOSURI}, {"privacy policy", o.PolicyURI}} {
		if err := checkDocumentURL(d.v); err != nil {
			errs = append(errs, fmt.Errorf("%s URL: %w", d.name, err))
		}
	}
	if _, err := loadFiles(o.TemplateDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// hexColorRE is a CSS hex colour; nothing else may reach the stylesheet.
var hexColorRE = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Handler serves a [oauth.Provider] over HTTP. It implements [http.Handler];
// mount it at the root of the issuer's host; the routes already carry the
// issuer's path.
type Handler struct {
	p      *oauth.Provider
	log    *slog.Logger
	now    func() time.Time
	site   string
	issuer string // without trailing slash
	prefix string // issuer path, "" or "/…" without trailing slash
	secure bool   // issuer is https: cookies get Secure and the __Host- prefix

	files  *siteFiles
	logo   string
	csp    string
	comp   string
	cmds   Commands
	engine *gin.Engine

	sessionKey  []byte
	sessionLife time.Duration
	skipConsent bool
	passwords   PasswordChecker
	pwTries     *ratelimit.Limiter
	tos, policy string // terms of service and privacy policy URLs, "" for none
	observer    Observer

	ipLimits ipLimits
	maxBody  int64    // Limits.MaxBodyBytes
	proxies  []string // Options.TrustedProxies
}

// Commands are the ad-hoc commands (XEP-0050) of the component that the
// pages point users to.
type Commands struct {
	// ApproveDevice approves a device by its user code (the device page).
	ApproveDevice Command
	// SignIns answers pending web sign-ins (the wait page).
	SignIns Command
}

// Command is one ad-hoc command: its node, which clients that list
// commands by node show (profanity), and its name, which command menus
// show.
type Command struct {
	Node, Name string
}

// New returns a Handler serving p. It panics if the issuer in p's
// configuration is not an absolute URL, which oauth.New already rules out,
// or if opts do not pass [Options.Validate]: call that first.
func New(p *oauth.Provider, opts Options) *Handler {
	issuer := strings.TrimSuffix(p.Config().Issuer, "/")
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		panic(fmt.Sprintf("oauthhttp: issuer %q is not an absolute URL", issuer))
	}
	if err := opts.Validate(); err != nil {
		panic(fmt.Sprintf("oauthhttp: invalid options: %v", err))
	}
	h := &Handler{
		p:           p,
		log:         opts.Logger,
		now:         p.Config().Now,
		site:        opts.SiteName,
		issuer:      issuer,
		prefix:      strings.TrimSuffix(u.Path, "/"),
		secure:      u.Scheme == "https",
		logo:        opts.LogoURL,
		comp:        opts.ComponentJID,
		cmds:        opts.Commands,
		sessionKey:  opts.SessionKey,
		sessionLife: opts.SessionLifetime,
		skipConsent: opts.SkipConsent,
		passwords:   opts.Passwords,
		tos:         opts.TOSURI,
		policy:      opts.PolicyURI,
		observer:    opts.Observer,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = slog.New(requestIDHandler{h.log.Handler()})
	if h.site == "" {
		h.site = "xmppoauth"
	}
	if len(h.sessionKey) == 0 {
		h.sessionKey = make([]byte, 32)
		_, _ = rand.Read(h.sessionKey) // crypto/rand.Read never fails (Go 1.24+)
	}
	h.files, _ = loadFiles(opts.TemplateDir) // checked by Validate
	h.files.setTheme(opts.Colors)
	origin, _ := logoOrigin(opts.LogoURL)
	h.csp = contentSecurityPolicy
	if origin != "" {
		h.csp += "; img-src 'self' " + origin
	}
	h.pwTries = ratelimit.New(passwordAttempts, passwordWindow, 0, h.now)
	limits := opts.Limits.withDefaults()
	h.ipLimits = newIPLimits(limits, h.now)
	h.maxBody = limits.MaxBodyBytes
	h.proxies = slices.Clone(opts.TrustedProxies)
	h.engine = h.routes()
	return h
}

// NewServer returns an http.Server for h with the limits every listener of
// xmppoauth gets: bounded time to read the headers and the request, to
// write the answer and to keep an idle connection, and 64 KiB of headers.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.engine.ServeHTTP(w, r)
}

// newEngine returns a gin engine as the handlers here want it: no
// redirects to fixed paths, 405 for a known path with another method, the
// request's context behind gin's, and only proxies (IP addresses or CIDR
// prefixes, validated before) trusted to set the client address.
func newEngine(proxies []string) *gin.Engine {
	if gin.IsDebugging() {
		// Gin's debug mode prints every route to stdout; we log through slog.
		gin.SetMode(gin.ReleaseMode)
	}
	e := gin.New()
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	// gin trusts every proxy unless told otherwise.
	if err := e.SetTrustedProxies(proxies); err != nil {
		panic(fmt.Sprintf("oauthhttp: set trusted proxies: %v", err))
	}
	return e
}

// routes lists every endpoint. A grant type the provider does not enable gets
// no routes, so nothing is served that the metadata does not advertise.
func (h *Handler) routes() *gin.Engine {
	e := newEngine(h.proxies)
	e.Use(h.logRequests, baseHeaders, gin.CustomRecoveryWithWriter(nil, h.recovered), h.boundBody)
	e.NoRoute(func(c *gin.Context) { c.String(http.StatusNotFound, "404 page not found\n") })
	e.NoMethod(func(c *gin.Context) {
		h.writeError(c, http.StatusMethodNotAllowed, &oauth.Error{Code: oauth.InvalidRequest, Description: "method not allowed"})
	})

	g := e.Group(h.prefix)
	g.GET("/.well-known/oauth-authorization-server", h.cors, h.handleMetadata)
	g.GET("/.well-known/openid-configuration", h.cors, h.handleMetadata)
	if h.prefix != "" {
		// RFC 8414 §3.1: the well-known segment goes between host and path.
		e.GET("/.well-known/oauth-authorization-server"+h.prefix, h.cors, h.handleMetadata)
	}
	g.GET("/jwks", h.cors, h.handleJWKS)
	g.OPTIONS("/.well-known/oauth-authorization-server", h.cors)
	g.OPTIONS("/.well-known/openid-configuration", h.cors)
	g.OPTIONS("/jwks", h.cors)

	g.POST("/register", h.limitRegistration, h.handleRegister)
	g.GET("/register/:client_id", h.handleReadRegistration)
	g.PUT("/register/:client_id", h.handleUpdateRegistration)
	g.DELETE("/register/:client_id", h.handleDeleteRegistration)

	if h.grantEnabled(oauth.GrantAuthorizationCode) {
		g.GET("/authorize", h.limitAuthorize, h.handleAuthorize)
		g.POST("/authorize", h.limitAuthorize, h.handleAuthorize)
		g.POST("/authorize/signin", h.limitAuthorize, h.handleSignIn)
		g.GET("/authorize/wait/:id", h.handleWait)
		g.GET("/authorize/wait/:id/status", h.handleWaitStatus)
		g.POST("/authorize/consent", h.limitAuthorize, h.handleConsent)
		if h.passwords != nil {
			g.POST("/authorize/password", h.limitAuthorize, h.handlePassword)
		}
		g.GET("/signout", h.handleSignOutPage)
		g.POST("/signout", h.handleSignOut)
	}
	g.POST("/token", h.handleToken)
	if h.grantEnabled(oauth.GrantDeviceCode) {
		g.POST("/device_authorization", h.handleDeviceAuthorization)
		g.GET("/device", h.handleDevicePage)
		g.POST("/device", h.limitAuthorize, h.handleDeviceSubmit)
		g.GET("/device/sent", h.handleDeviceSent)
	}
	g.POST("/revoke", h.handleRevoke)
	g.POST("/introspect", h.handleIntrospect)
	g.GET("/userinfo", h.cors, h.handleUserInfo)
	g.POST("/userinfo", h.cors, h.handleUserInfo)
	g.OPTIONS("/userinfo", h.cors)
	g.GET("/static/:file", h.handleStatic)
	return e
}

func (h *Handler) grantEnabled(grant string) bool {
	return slices.Contains(h.p.GrantTypes(), grant)
}

// url returns the absolute URL of an endpoint path such as "/token".
func (h *Handler) url(path string) string { return h.issuer + path }

// path returns the server-relative path of an endpoint, for links and forms.
func (h *Handler) path(p string) string { return h.prefix + p }

// cors allows any origin to read public documents and the UserInfo
// response: browser apps need them, and they are protected by bearer tokens
// (never cookies), so no credentials are allowed. The authorization endpoint
// and the forms never get these headers.
func (h *Handler) cors(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Access-Control-Expose-Headers", "WWW-Authenticate")
	if c.Request.Method == http.MethodOptions {
		c.Header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		c.Header("Access-Control-Allow-Headers", "Authorization, Content-Type")
		c.Header("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
	}
}

// ctxKey is the type of this package's context keys, so no other package can
// forge one.
type ctxKey struct{}

// requestID returns the ID that logRequests gave the request in ctx.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// requestIDHandler adds the request_id found in a record's context.
type requestIDHandler struct{ slog.Handler }

func (r requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id := requestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return r.Handler.Handle(ctx, rec)
}

func (r requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{r.Handler.WithAttrs(attrs)}
}

func (r requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{r.Handler.WithGroup(name)}
}

// logRequests gives each request an ID (also sent as X-Request-Id) and logs
// it at debug once it has been answered. The query is not logged: it may
// carry codes.
func (h *Handler) logRequests(c *gin.Context) {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	id := hex.EncodeToString(b[:])
	ctx := context.WithValue(c.Request.Context(), ctxKey{}, id)
	c.Request = c.Request.WithContext(ctx)
	c.Header("X-Request-Id", id)
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	h.log.DebugContext(ctx, "http request",
		"method", c.Request.Method,
		"path", c.Request.URL.Path,
		"status", c.Writer.Status(),
		"remote_addr", c.ClientIP(),
		"duration", elapsed)
	h.observe(c.FullPath(), c.Request, c.Writer.Status(), elapsed)
}

// baseHeaders are sent with every response: no response of this server is
// meant to be sniffed into another content type.
func baseHeaders(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
}

// recovered turns a panic in a handler into a logged 500; the client sees
// only server_error.
func (h *Handler) recovered(c *gin.Context, v any) {
	h.log.ErrorContext(c.Request.Context(), "panic serving request", "path", c.Request.URL.Path, "err", fmt.Sprint(v), "stack", string(debug.Stack()))
	if !c.Writer.Written() {
		h.writeError(c, http.StatusInternalServerError, &oauth.Error{Code: oauth.ServerError})
	}
	c.Abort()
}
