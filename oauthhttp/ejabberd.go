package oauthhttp

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// This file serves the XMPP servers that ask xmppoauth whether an access
// token may log in to XMPP:
//
//   - ejabberd, through its REST token backend (EjabberdHandler), which
//     makes X-OAUTH2 logins and "Authorization: Bearer" calls to
//     mod_http_api work with xmppoauth's tokens;
//   - Prosody, with the project's mod_xmppoauth (contrib/prosody, 0.12 and
//     13) or Prosody 13's community mod_auth_oauth_external, which ask a
//     UserInfo-shaped endpoint about each OAUTHBEARER login
//     (XMPPLoginHandler).
//
// Both answer only for tokens that carry a login scope (LoginScopes): a
// token an app got to confirm the user's address (openid) must not log in
// as the user.

// LoginScopes are the scopes that allow an app to log in to the user's XMPP
// account: xmpp (full access) and XEP-0493's xmpp:client:normal.
var LoginScopes = []string{oauth.ScopeXMPP, oauth.ScopeXMPPClient}

// EjabberdSASLScope is the scope ejabberd requires of a token for a SASL
// X-OAUTH2 login: ejabberd_c2s checks it with
// ejabberd_oauth:check_token(User, Server, [<<"sasl_auth">>], Token).
const EjabberdSASLScope = "sasl_auth"

// DefaultEjabberdHeader is the request header that carries the shared
// secret when [EjabberdOptions.Header] is empty.
const DefaultEjabberdHeader = "X-Xmppoauth-Secret"

// minEjabberdSecret is the shortest shared secret accepted: shorter ones
// can be guessed by anyone who can reach the endpoint.
const minEjabberdSecret = 16

// EjabberdOptions configure [EjabberdHandler].
type EjabberdOptions struct {
	// Header is the name of the request header that carries Secret, as set
	// in ejabberd's ext_api_headers; [DefaultEjabberdHeader] when empty.
	Header string
	// Secret is shared with ejabberd (ext_api_headers: "Header: Secret").
	// It is required: at least 16 printable ASCII characters, without
	// commas (ejabberd splits ext_api_headers at commas) or spaces.
	Secret string
	// Scopes maps an xmppoauth scope to the ejabberd scopes a token with it
	// gets, on top of the built-in mapping of [LoginScopes] to
	// [EjabberdSASLScope]. For example {"xmpp": {"ejabberd:user"}} lets
	// tokens with the xmpp scope call the mod_http_api commands that
	// ejabberd's api_permissions grant to the ejabberd:user scope.
	Scopes map[string][]string
	// Logger receives failed secrets (warn), server faults (error) and
	// lookups (debug); discarded when nil.
	Logger *slog.Logger
}

// Validate reports what is wrong with the options, so that a configuration
// can be checked before [EjabberdHandler] is called.
func (o EjabberdOptions) Validate() error {
	var errs []error
	if o.Header != "" && !isToken(o.Header) {
		errs = append(errs, fmt.Errorf("header %q is not a valid HTTP header name", o.Header))
	}
	switch {
	case o.Secret == "":
		errs = append(errs, errors.New("a shared secret is required"))
	case len(o.Secret) < minEjabberdSecret:
		errs = append(errs, fmt.Errorf("the shared secret must be at least %d characters long", minEjabberdSecret))
	case strings.ContainsFunc(o.Secret, func(r rune) bool { return r <= ' ' || r > '~' || r == ',' }):
		// ejabberd's rest:custom_headers splits ext_api_headers at
		// commas, and HTTP trims spaces around header values.
		errs = append(errs, errors.New("the shared secret must be printable ASCII without spaces or commas"))
	}
	keys := make([]string, 0, len(o.Scopes))
	for k := range o.Scopes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, from := range keys {
		if !oauth.ValidScopeToken(from) {
			errs = append(errs, fmt.Errorf("scope %q is not a valid scope token (RFC 6749 §3.3)", from))
		}
		if len(o.Scopes[from]) == 0 {
			errs = append(errs, fmt.Errorf("scope %q maps to no ejabberd scope", from))
		}
		for _, to := range o.Scopes[from] {
			// ejabberd reads token scopes with oauth2_priv_set, where a
			// "*" segment is a wildcard that grants every scope,
			// sasl_auth included.
			if !oauth.ValidScopeToken(to) || strings.Contains(to, "*") {
				errs = append(errs, fmt.Errorf("ejabberd scope %q (for %q) must be a scope token without '*'", to, from))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ejabberd: %w", err)
	}
	return nil
}

// isToken reports whether s is an RFC 9110 §5.6.2 token, as header names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// ejabberdHandler serves ejabberd's REST token backend.
type ejabberdHandler struct {
	p          *oauth.Provider
	log        *slog.Logger
	header     string
	secretHash [sha256.Size]byte
	scopes     map[string][]string
	engine     *gin.Engine
}

// EjabberdHandler serves the REST contract of ejabberd's token backend
// (ejabberd_oauth_rest, used with oauth_db_type: rest): ejabberd POSTs JSON
// to ext_api_url followed by ext_api_path_oauth ("/oauth" by default) and
// the operation:
//
//	POST /oauth/lookup         {"token": T}
//	  200 {"user": "local@domain", "scope": [...], "expire": unix seconds}
//	      for a live user token that maps to at least one ejabberd scope;
//	  404 {"error": "invalid_token", ...} for any other token (unknown,
//	      expired, revoked, an app's own client_credentials token, or one
//	      that grants ejabberd nothing).
//	POST /oauth/lookup_client  404: clients are registered at xmppoauth.
//	POST /oauth/store          403: xmppoauth issues the tokens; ejabberd's
//	POST /oauth/store_client   403  own OAuth endpoints cannot store theirs here.
//
// ejabberd sends store and store_client only when it issues tokens or
// registers clients itself (its /oauth/ pages, oauth_issue_token,
// oauth_add_client_*); those then fail with a logged "db_failure" and
// ejabberd keeps working. Token scopes are translated: [LoginScopes] become
// [EjabberdSASLScope], plus [EjabberdOptions.Scopes]; other scopes are not
// passed on, because ejabberd reads "*" and "a.b" in scope names as
// wildcards and hierarchies.
//
// Every request must carry the shared secret in the configured header
// (ejabberd's ext_api_headers), compared in constant time: 401 without it,
// 403 with a wrong one. The routes are relative: to serve them under a path
// prefix (ext_api_url "http://host:port/prefix"), wrap the handler in
// [http.StripPrefix]. It is meant for a separate listener reachable only by
// ejabberd, such as a loopback address.
//
// EjabberdHandler panics if opts do not pass [EjabberdOptions.Validate]:
// configuration is checked before the handler is built.
func EjabberdHandler(p *oauth.Provider, opts EjabberdOptions) http.Handler {
	if err := opts.Validate(); err != nil {
		panic(fmt.Sprintf("oauthhttp: %v", err))
	}
	h := &ejabberdHandler{
		p:          p,
		log:        opts.Logger,
		header:     opts.Header,
		secretHash: sha256.Sum256([]byte(opts.Secret)),
		scopes:     map[string][]string{},
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.header == "" {
		h.header = DefaultEjabberdHeader
	}
	for _, s := range LoginScopes {
		h.scopes[s] = []string{EjabberdSASLScope}
	}
	known := map[string]bool{}
	for _, s := range p.Scopes() {
		known[s.Name] = true
	}
	for from, to := range opts.Scopes {
		if !known[from] {
			h.log.Warn("ejabberd scope mapping names a scope this server does not know", "scope", from)
		}
		for _, s := range to {
			if !slices.Contains(h.scopes[from], s) {
				h.scopes[from] = append(h.scopes[from], s)
			}
		}
	}
	h.engine = h.routes()
	return h
}

// ServeHTTP implements http.Handler.
func (h *ejabberdHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.engine.ServeHTTP(w, r)
}

// routes lists the operations of ejabberd_oauth_rest. The secret is checked
// before routing, so a caller without it learns nothing, not even which
// paths exist.
func (h *ejabberdHandler) routes() *gin.Engine {
	e := newEngine(nil) // ejabberd calls directly, through no proxy
	e.Use(baseHeaders, gin.CustomRecoveryWithWriter(nil, h.recovered), h.authenticate)
	e.NoRoute(func(c *gin.Context) {
		h.writeError(c, http.StatusNotFound, oauth.Errorf(oauth.InvalidRequest, "no such operation"))
	})
	e.NoMethod(func(c *gin.Context) {
		h.writeError(c, http.StatusMethodNotAllowed, oauth.Errorf(oauth.InvalidRequest, "method not allowed"))
	})
	g := e.Group("/oauth")
	g.POST("/lookup", h.handleLookup)
	g.POST("/lookup_client", h.handleLookupClient)
	g.POST("/store", h.handleStore)
	g.POST("/store_client", h.handleStore)
	return e
}

// authenticate checks the shared secret. Both sides are hashed first, so
// the comparison takes the same time whatever the presented length.
func (h *ejabberdHandler) authenticate(c *gin.Context) {
	values := c.Request.Header.Values(h.header)
	if len(values) == 0 || values[0] == "" {
		// RFC 9110 §15.5.2 asks for a challenge on every 401; no scheme is
		// registered for a shared header, so this one just names it.
		c.Header("WWW-Authenticate", "Secret header="+quote(h.header))
		h.writeError(c, http.StatusUnauthorized, oauth.Errorf(oauth.InvalidClient, "the shared secret header is missing"))
		return
	}
	sum := sha256.Sum256([]byte(values[0]))
	if len(values) != 1 || subtle.ConstantTimeCompare(sum[:], h.secretHash[:]) != 1 {
		h.log.WarnContext(c.Request.Context(), "ejabberd endpoint called with a wrong shared secret",
			"remote_addr", c.ClientIP(), "path", c.Request.URL.Path)
		h.writeError(c, http.StatusForbidden, oauth.Errorf(oauth.AccessDenied, "wrong shared secret"))
		return
	}
	c.Next()
}

// ejabberdToken is the lookup answer ejabberd_oauth_rest:lookup/1 reads:
// "user" is decoded with jid:decode, "scope" is a list of scope names and
// "expire" is compared with the current time in seconds since the epoch.
type ejabberdToken struct {
	User   string   `json:"user"`
	Scope  []string `json:"scope"`
	Expire int64    `json:"expire"`
}

// handleLookup answers whether a token is live, whose it is and what
// ejabberd may let it do. ejabberd treats 404 as "no such token" and any
// other failure as a backend fault (logged, and cached for
// oauth_cache_rest_failure_life_time), so only malformed requests and
// faults of the store get anything but 200 or 404.
func (h *ejabberdHandler) handleLookup(c *gin.Context) {
	limitBody(c.Writer, c.Request)
	token, err := parseLookup(c.Request)
	if err != nil {
		h.writeError(c, http.StatusBadRequest, err)
		return
	}
	ctx := c.Request.Context()
	t, err := h.p.ValidateAccessToken(ctx, token)
	if e, ok := oauth.AsError(err); ok && e.Code == oauth.InvalidToken {
		h.log.DebugContext(ctx, "ejabberd token lookup", "found", false)
		h.writeError(c, http.StatusNotFound, e)
		return
	}
	if err != nil {
		h.log.ErrorContext(ctx, "ejabberd token lookup failed", "err", err)
		h.writeError(c, http.StatusInternalServerError, &oauth.Error{Code: oauth.ServerError})
		return
	}
	scopes := h.mapScopes(t.Scopes)
	if t.JID == "" || len(scopes) == 0 {
		// A client_credentials token has no user (and jid:decode of ""
		// would crash ejabberd's lookup); a token without a mapped scope
		// grants ejabberd nothing, and is unknown to it.
		h.log.DebugContext(ctx, "ejabberd token lookup", "found", true, "client_id", t.ClientID, "jid", t.JID, "granted", false)
		h.writeError(c, http.StatusNotFound, oauth.Errorf(oauth.InvalidToken, "the token grants no access to the XMPP server"))
		return
	}
	h.log.DebugContext(ctx, "ejabberd token lookup", "found", true, "client_id", t.ClientID, "jid", t.JID, "scopes", scopes)
	noStore(c)
	c.JSON(http.StatusOK, ejabberdToken{User: t.JID, Scope: scopes, Expire: t.Expiry.Unix()})
}

// parseLookup reads the {"token": T} body that ejabberd sends as
// application/json.
func parseLookup(r *http.Request) (string, error) {
	if err := checkMediaType(r, "application/json"); err != nil {
		return "", err
	}
	body, err := readBody(r)
	if err != nil {
		return "", err
	}
	var req struct {
		Token *string `json:"token"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", oauth.Errorf(oauth.InvalidRequest, "the request body is not a JSON object")
	}
	if req.Token == nil {
		return "", oauth.Errorf(oauth.InvalidRequest, "token is required")
	}
	return *req.Token, nil
}

// mapScopes returns the ejabberd scopes of a token's scopes, in order and
// without repeats.
func (h *ejabberdHandler) mapScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		for _, m := range h.scopes[s] {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// handleLookupClient answers 404 for every client: ejabberd asks only when
// its own OAuth pages are used, and clients are registered at xmppoauth.
func (h *ejabberdHandler) handleLookupClient(c *gin.Context) {
	h.writeError(c, http.StatusNotFound, oauth.Errorf(oauth.InvalidClient, "clients are registered at xmppoauth, not through ejabberd"))
}

// handleStore refuses to keep tokens or clients that ejabberd issued
// itself: tokens come from xmppoauth, where users approve them and can
// revoke them. ejabberd logs the refusal and its token request fails.
func (h *ejabberdHandler) handleStore(c *gin.Context) {
	h.log.WarnContext(c.Request.Context(), "ejabberd tried to store a token or client of its own; use xmppoauth's endpoints instead", "path", c.Request.URL.Path)
	h.writeError(c, http.StatusForbidden, oauth.Errorf(oauth.AccessDenied, "xmppoauth issues the tokens and registers the clients; ejabberd cannot store its own"))
}

// writeError sends e as a JSON error body, which ejabberd's rest module can
// decode (it decodes every answer, and an undecodable one is a fault).
func (h *ejabberdHandler) writeError(c *gin.Context, status int, err error) {
	e, ok := oauth.AsError(err)
	if !ok {
		e = &oauth.Error{Code: oauth.ServerError}
	}
	noStore(c)
	c.AbortWithStatusJSON(status, errorBody{Error: e.Code, Description: e.Description})
}

// recovered turns a panic into a logged 500.
func (h *ejabberdHandler) recovered(c *gin.Context, v any) {
	h.log.ErrorContext(c.Request.Context(), "panic serving ejabberd", "path", c.Request.URL.Path, "err", fmt.Sprint(v), "stack", string(debug.Stack()))
	if !c.Writer.Written() {
		h.writeError(c, http.StatusInternalServerError, &oauth.Error{Code: oauth.ServerError})
	}
	c.Abort()
}

// XMPPLoginOptions configure [XMPPLoginHandler].
type XMPPLoginOptions struct {
	// Realm is the realm of the Bearer challenges (RFC 6750 §3);
	// "xmppoauth" when empty.
	Realm string
	// Logger receives server faults; discarded when nil.
	Logger *slog.Logger
}

// xmppLoginHandler answers XMPP servers that check tokens the way they
// check them at a UserInfo endpoint.
type xmppLoginHandler struct {
	p     *oauth.Provider
	log   *slog.Logger
	realm string
	// discovery is the issuer's OpenID Provider Configuration (OIDC
	// Discovery §4), which refusals name for the client.
	discovery string
}

// XMPPLoginHandler returns the token validation endpoint for XMPP servers
// that validate an OAUTHBEARER login (RFC 7628, XEP-0493) by calling a
// UserInfo-like endpoint: "GET" with "Authorization: Bearer T" and
// "Accept: application/json". contrib/prosody's mod_xmppoauth reads the
// bare JID from jid; Prosody 13's mod_auth_oauth_external, pointed here
// with oauth_external_validation_endpoint, reads the localpart from the
// field named by oauth_external_username_field (preferred_username by
// default).
//
// It answers like the UserInfo endpoint (OIDC Core §5.3), with sub and jid
// (the bare JID) and preferred_username (its localpart), but only for a
// live user token that carries one of [LoginScopes]: the UserInfo endpoint
// itself accepts any openid token, and an app that was only allowed to
// confirm the user's address must not log in as the user. The openid scope
// is not needed here.
//
// The query parameter "domain" is required and names the XMPP domain the
// caller serves: the token's user must be of that domain. Prosody logs in
// the localpart it is given on its own host, so without this a token of
// alice@a.example would log in as alice@b.example on a Prosody host
// b.example pointed at the same xmppoauth.
//
// Refusals are RFC 6750 §3 errors whose JSON body also carries the status
// and scope members of RFC 7628 §3.2.2 and oidc_discovery_url, the
// issuer's <issuer>/.well-known/openid-configuration: Prosody 13's
// OAUTHBEARER (util.sasl.oauthbearer) relays these three to the client in
// its SASL failure, the last one as openid-configuration, so that the
// client learns which scope to ask for and where. The handler answers GET
// and POST on whatever path it is mounted at.
func XMPPLoginHandler(p *oauth.Provider, opts XMPPLoginOptions) http.Handler {
	h := &xmppLoginHandler{p: p, log: opts.Logger, realm: opts.Realm,
		discovery: strings.TrimSuffix(p.Config().Issuer, "/") + "/.well-known/openid-configuration"}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.realm == "" {
		h.realm = "xmppoauth"
	}
	return h
}

// loginError is an RFC 6750 §3 error body with the members of an RFC 7628
// §3.2.2 failure, the discovery URL under the name Prosody reads it by.
type loginError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      string `json:"status"`
	Scope       string `json:"scope,omitempty"`
	Discovery   string `json:"oidc_discovery_url,omitempty"`
}

// ServeHTTP implements http.Handler.
func (h *xmppLoginHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: oauth.InvalidRequest, Description: "method not allowed"})
		return
	}
	domain := strings.ToLower(r.URL.Query().Get("domain"))
	if domain == "" {
		writeJSON(w, http.StatusBadRequest, errorBody{Error: oauth.InvalidRequest,
			Description: "the domain query parameter must name the XMPP domain whose logins are checked"})
		return
	}
	token, err := bearerToken(r)
	if err == nil && token == "" {
		// RFC 6750 §3.1: no error code when no token was sent.
		w.Header().Set("WWW-Authenticate", bearerChallenge(h.realm, nil))
		writeJSON(w, http.StatusUnauthorized, loginError{Error: oauth.InvalidToken, Status: oauth.InvalidToken, Scope: oauth.ScopeXMPP, Discovery: h.discovery})
		return
	}
	var t oauth.Token
	if err == nil {
		t, err = h.loginToken(r.Context(), token, domain)
	}
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	local, _, _ := strings.Cut(t.JID, "@")
	writeJSON(w, http.StatusOK, map[string]string{"sub": t.JID, "jid": t.JID, "preferred_username": local})
}

// loginToken returns the record of token if it may log in to an account of
// domain: a live access token of a user of domain with a login scope.
func (h *xmppLoginHandler) loginToken(ctx context.Context, token, domain string) (oauth.Token, error) {
	t, err := h.p.ValidateAccessToken(ctx, token)
	if err != nil {
		return oauth.Token{}, err
	}
	if t.JID == "" || !slices.ContainsFunc(t.Scopes, func(s string) bool { return slices.Contains(LoginScopes, s) }) {
		return oauth.Token{}, oauth.Errorf(oauth.InsufficientScope, "logging in to XMPP needs a user's token with the %s or %s scope", oauth.ScopeXMPP, oauth.ScopeXMPPClient)
	}
	if _, d, _ := strings.Cut(t.JID, "@"); d != domain {
		return oauth.Token{}, oauth.Errorf(oauth.InvalidToken, "the token is not for an account of %s", truncate(domain))
	}
	return t, nil
}

// refuse writes err as an RFC 6750 §3 error with the RFC 7628 members;
// anything but an *oauth.Error is logged and sent as a bare server_error.
func (h *xmppLoginHandler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := oauth.AsError(err)
	if !ok {
		h.log.ErrorContext(r.Context(), "xmpp login check failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: oauth.ServerError})
		return
	}
	status := http.StatusUnauthorized
	if e.Code == oauth.InsufficientScope {
		status = http.StatusForbidden
	}
	w.Header().Set("WWW-Authenticate", bearerChallenge(h.realm, e))
	writeJSON(w, status, loginError{Error: e.Code, Description: e.Description, Status: e.Code, Scope: oauth.ScopeXMPP, Discovery: h.discovery})
}

// writeJSON writes v as a JSON response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only fixed struct and string-map types are written here.
		panic(fmt.Sprintf("oauthhttp: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
