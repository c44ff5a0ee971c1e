package oauthhttp

import (
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// The browser side of the authorization code flow:
//
//  1. GET or POST /authorize validates the request. A browser with a
//     session (a signed cookie naming the user) that fits the request goes
//     to step 4; any other is shown the sign-in form, which asks for the
//     user's XMPP address.
//  2. POST /authorize/signin validates the request again, starts a sign-in
//     (the core pushes it to the user's chat client) and redirects to
//  3. GET /authorize/wait/:id, which waits until the user answered in chat
//     (a refresh without JavaScript; with it, wait.js polls
//     /authorize/wait/:id/status and goes on at once). Approved, it starts
//     the session and sends the browser back to /authorize with the same
//     request; denied or expired, it says so and links to the client with
//     access_denied.
//  4. The consent page shows the app, what it asks for and the account;
//     POST /authorize/consent issues the code and redirects to the client.
//     An app that already holds a grant for every scope it asks skips it
//     when Options.SkipConsent is set, unless it asked prompt=consent.
//
// With password sign-in on, POST /authorize/password replaces steps 2 and 3.
// The forms carry the original request, encoded, in one hidden field, and
// the server parses it again on POST, so nothing the browser sends back is
// trusted more than a fresh request would be.

// signInPage is the data of the sign-in form.
type signInPage struct {
	App       oauth.AppInfo
	Scopes    []oauth.ScopeInfo
	Request   string // the authorization request, form-encoded
	CSRF      string
	JID       string
	Error     string
	Action    string
	CSRFField string
	// Component is the component's JID, where requests come from.
	Component string
	// Password is the action of the password form; "" when password
	// sign-in is off. PasswordOpen shows that form open (after a mistake
	// in it).
	Password     string
	PasswordOpen bool
}

// waitPage is the data of the waiting page.
type waitPage struct {
	Code      string
	JID       string
	ExpiresAt time.Time
	Self      string
	// Status is the JSON status the page's script polls.
	Status string
	// Component is the component's JID, SignIns its "Pending sign-ins"
	// command and Command a link opening it.
	Component string
	SignIns   Command
	Command   template.URL
}

// handleAuthorize serves the authorization endpoint (RFC 6749 §4.1.1; OIDC
// Core §3.1.2.1 allows GET and POST). A browser whose session fits the
// request goes on to consent; any other is asked for its XMPP address.
func (h *Handler) handleAuthorize(c *gin.Context) {
	params, err := authorizeParams(c.Request)
	if err != nil {
		h.failPage(c, err)
		return
	}
	req, client, err := h.p.ParseAuthorize(c.Request.Context(), params)
	if err != nil {
		h.authorizeFailed(c, err)
		return
	}
	jid := req.LoginHint
	if strings.ContainsAny(jid, " /") {
		jid = "" // not a bare JID; the user types it
	}
	if s, ok := h.session(c); ok {
		if h.sessionFits(s, req, params) {
			h.consentOrSkip(c, params, req, client, s)
			return
		}
		if jid == "" {
			jid = s.JID
		}
	}
	h.renderSignIn(c, http.StatusOK, params, req, client, jid, "", false)
}

// sessionFits reports whether the signed-in user may go on without signing
// in again: the client asked neither for a new sign-in (prompt=login or
// select_account, OIDC Core §3.1.2.1) nor for another user (login_hint),
// and the sign-in is not older than max_age.
func (h *Handler) sessionFits(s session, req oauth.AuthorizeRequest, params url.Values) bool {
	if hasPrompt(req.Prompt, "login") || hasPrompt(req.Prompt, "select_account") {
		return false
	}
	if hint := req.LoginHint; hint != "" && oauth.NormalizeJID(hint) != s.JID {
		return false
	}
	if v := params.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || h.now().Sub(s.authTime()) > time.Duration(n)*time.Second {
			return false
		}
	}
	return true
}

func hasPrompt(prompt, value string) bool {
	for _, p := range strings.Fields(prompt) {
		if p == value {
			return true
		}
	}
	return false
}

// reenter is the authorization endpoint's URL for req, to come back to
// once the user signed in. prompt=login and select_account are dropped
// (the user just did), and so is login_hint (the session names the user).
func (h *Handler) reenter(req oauth.AuthorizeRequest) string {
	v := url.Values{
		"response_type":         {req.ResponseType},
		"client_id":             {req.ClientID},
		"redirect_uri":          {req.RedirectURI},
		"scope":                 {strings.Join(req.Scopes, " ")},
		"code_challenge":        {req.CodeChallenge},
		"code_challenge_method": {req.CodeChallengeMethod},
	}
	if req.State != "" {
		v.Set("state", req.State)
	}
	if req.Nonce != "" {
		v.Set("nonce", req.Nonce)
	}
	var prompts []string
	for _, p := range strings.Fields(req.Prompt) {
		if p != "login" && p != "select_account" {
			prompts = append(prompts, p)
		}
	}
	if len(prompts) > 0 {
		v.Set("prompt", strings.Join(prompts, " "))
	}
	return h.path("/authorize") + "?" + v.Encode()
}

// authorizeParams returns the parameters of an authorization request: the
// URL query of a GET, the form body of a POST. Repeated parameters are kept
// for the core to reject.
func authorizeParams(r *http.Request) (url.Values, error) {
	if r.Method == http.MethodPost {
		return readFormBody(r)
	}
	if tooManyFields(r.URL.RawQuery) {
		return nil, errTooManyFields()
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request URL has a malformed query")
	}
	return params, nil
}

// readPostedForm reads the form a page posted and checks its CSRF token.
// When it returns false it has answered already.
func (h *Handler) readPostedForm(c *gin.Context) (url.Values, bool) {
	form, err := readForm(c.Request)
	if err != nil {
		h.failPage(c, err)
		return nil, false
	}
	if !h.checkCSRF(c, form) {
		h.csrfFailed(c)
		return nil, false
	}
	return form, true
}

// readFlowForm reads a form that a page of the authorization flow posted
// (named page in the error when it was altered): it checks the CSRF token
// and parses again the authorization request that the form carries in its
// "request" field, as the client sent it. When it returns false it has
// answered already.
func (h *Handler) readFlowForm(c *gin.Context, page string) (form, params url.Values, req oauth.AuthorizeRequest, client oauth.Client, ok bool) {
	form, ok = h.readPostedForm(c)
	if !ok {
		return nil, nil, req, client, false
	}
	params, err := url.ParseQuery(form.Get("request"))
	if err != nil {
		h.failPage(c, oauth.Errorf(oauth.InvalidRequest, "the %s form was altered", page))
		return nil, nil, req, client, false
	}
	req, client, err = h.p.ParseAuthorize(c.Request.Context(), params)
	if err != nil {
		h.authorizeFailed(c, err)
		return nil, nil, req, client, false
	}
	return form, params, req, client, true
}

// handleSignIn takes the XMPP address from the sign-in form and starts the
// sign-in.
func (h *Handler) handleSignIn(c *gin.Context) {
	ctx := c.Request.Context()
	form, params, req, client, ok := h.readFlowForm(c, "sign-in")
	if !ok {
		return
	}
	jid := strings.TrimSpace(form.Get("jid"))
	if jid == "" {
		h.renderSignIn(c, http.StatusBadRequest, params, req, client, "", "Enter your XMPP address.", false)
		return
	}
	si, err := h.p.StartSignIn(ctx, req, jid)
	if err != nil {
		var re *oauth.RedirectError
		e, ok := oauth.AsError(err)
		switch {
		case errors.As(err, &re):
			h.authorizeFailed(c, err)
		case ok && userFacing(e):
			// The user can fix this (a mistyped address, too many tries):
			// show the form again with the reason.
			if e.Code == oauth.TooManyRequests {
				c.Header("Retry-After", strconv.Itoa(max(e.RetryAfter, 1)))
			}
			h.renderSignIn(c, pageStatus(e), params, req, client, jid, describe(e), false)
		default:
			h.failPage(c, err)
		}
		return
	}
	h.bindSignIn(c, si.ID)
	c.Redirect(http.StatusSeeOther, h.path("/authorize/wait/"+url.PathEscape(si.ID)))
}

// handleWait serves the page the browser waits on while the user answers in
// chat. It is bound to the browser that started the sign-in: the ID alone
// (which the chat notice may show) does not let another browser continue.
func (h *Handler) handleWait(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	if !h.signInBound(c, id) {
		h.render(c, http.StatusForbidden, "error", "Wrong browser", errorPage{
			Heading: "Continue in the original browser",
			Message: "This sign-in can only be finished in the browser where it was started.",
			Next:    "Go back to that browser, or start again from the application here.",
		})
		return
	}
	s, err := h.p.ClaimSignIn(ctx, id)
	if err != nil {
		e, ok := oauth.AsError(err)
		switch {
		case ok && e.Code == oauth.AuthorizationPending:
			h.renderWait(c, id)
		case ok && e.Code == oauth.InvalidRequest:
			h.render(c, http.StatusBadRequest, "error", "Sign-in ended", errorPage{
				Heading: "This sign-in has ended",
				Message: "It was already completed, or it has expired.",
				Next:    "Go back to the application and start again.",
			})
		default:
			h.failPage(c, err)
		}
		return
	}
	h.unbindSignIn(c, id)
	if s.State == oauth.SignInApproved {
		h.log.DebugContext(ctx, "sign-in approved in chat", "jid", s.JID, "client_id", s.Request.ClientID)
		h.startSession(c, s.JID, s.Decided)
		c.Redirect(http.StatusSeeOther, h.reenter(s.Request))
		return
	}
	page := errorPage{
		Heading: "Sign-in denied",
		Message: "The request was denied in your chat app, so you were not signed in.",
		Code:    oauth.AccessDenied,
	}
	desc := "the user denied the request"
	if s.State != oauth.SignInDenied {
		page.Heading = "Sign-in request expired"
		page.Message = "Nobody answered the request in the chat app in time, so you were not signed in."
		desc = "the sign-in request expired before the user answered"
	}
	to := h.p.DeniedURL(s.Request, desc)
	if strings.HasPrefix(to, oobRedirect) {
		h.redirect(c, http.StatusSeeOther, to)
		return
	}
	page.Next = "Go back to the application; it is told that you were not signed in. To try again, start from the application."
	page.Link = template.URL(to) // the client's registered redirect URI, which may have a custom scheme
	page.LinkText = "Back to " + appName(h, c, s.Request.ClientID)
	h.render(c, http.StatusOK, "error", page.Heading, page)
}

// appName is the client's name for links, or "the application".
func appName(h *Handler, c *gin.Context, clientID string) string {
	if a, err := h.p.App(c.Request.Context(), clientID); err == nil {
		return a.Name
	}
	return "the application"
}

// renderWait shows the page asking the user to answer in chat.
func (h *Handler) renderWait(c *gin.Context, id string) {
	si, err := h.p.GetSignIn(c.Request.Context(), id)
	if err != nil {
		h.failPage(c, err)
		return
	}
	self := h.path("/authorize/wait/" + url.PathEscape(id))
	h.render(c, http.StatusOK, "wait", "Confirm in your chat app", waitPage{
		Code:      si.Code,
		JID:       si.JID,
		ExpiresAt: si.Expiry,
		Self:      self,
		Status:    self + "/status",
		Component: h.comp,
		SignIns:   h.cmds.SignIns,
		Command:   h.commandURI(h.cmds.SignIns.Node),
	})
}

// waitStatus is what wait.js polls.
type waitStatus struct {
	// Done is true once the page has something new to show: the user
	// answered, the request expired, or it cannot be found.
	Done bool `json:"done"`
}

// handleWaitStatus tells the wait page's script whether to reload. It is
// bound to the browser like the page.
func (h *Handler) handleWaitStatus(c *gin.Context) {
	h.pageHeaders(c)
	id := c.Param("id")
	if !h.signInBound(c, id) {
		c.JSON(http.StatusForbidden, waitStatus{Done: true})
		return
	}
	s, err := h.p.GetSignIn(c.Request.Context(), id)
	c.JSON(http.StatusOK, waitStatus{Done: err != nil || s.State != oauth.SignInPending || h.now().After(s.Expiry)})
}

// commandURI is the xmpp: URI opening one of the component's commands
// (RFC 5122 with the "command" query type of XEP-0050 §2.5, registered by
// XEP-0147), or "" without a component JID or node.
func (h *Handler) commandURI(node string) template.URL {
	if h.comp == "" || node == "" {
		return ""
	}
	// The component JID is the operator's configuration and the node one
	// of package adhoc's constants, passed in Options.Commands: neither is
	// user input. The node is escaped as RFC 5122 §2.2 asks of query
	// values all the same.
	return template.URL("xmpp:" + h.comp + "?command;node=" + url.QueryEscape(node))
}

// authorizeFailed answers a failed authorization request: an error the core
// says may go to the client's redirect URI is sent there (RFC 6749
// §4.1.2.1, with iss per RFC 9207 §2); any other is shown to the user,
// because the redirect URI is not trusted yet.
func (h *Handler) authorizeFailed(c *gin.Context, err error) {
	var re *oauth.RedirectError
	if !errors.As(err, &re) || re.Err == nil {
		h.failPage(c, err)
		return
	}
	h.log.DebugContext(c.Request.Context(), "authorization request refused", "redirect_uri", re.RedirectURI, "err", err)
	status := http.StatusFound
	if c.Request.Method == http.MethodPost {
		status = http.StatusSeeOther // the browser must not post the form again
	}
	h.redirect(c, status, h.p.RedirectURL(re))
}

// oobRedirect is the out-of-band redirect URI of native apps that cannot
// receive a redirect: the user copies the code from a page instead.
const oobRedirect = "urn:ietf:wg:oauth:2.0:oob"

// oobPage is the data of the page showing an out-of-band response.
type oobPage struct {
	Code        string
	Error       string
	Description string
}

// redirect sends the browser to target, a redirect URI carrying an
// authorization response, or shows the response when the URI is the
// out-of-band one.
func (h *Handler) redirect(c *gin.Context, status int, target string) {
	rest, ok := strings.CutPrefix(target, oobRedirect)
	if !ok || (rest != "" && rest[0] != '?') {
		c.Redirect(status, target)
		return
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(rest, "?"))
	data := oobPage{Code: q.Get("code"), Error: q.Get("error"), Description: q.Get("error_description")}
	status = http.StatusOK
	if data.Error != "" {
		status = http.StatusBadRequest
	}
	h.render(c, status, "oob", "Sign-in code", data)
}

func (h *Handler) renderSignIn(c *gin.Context, status int, params url.Values, req oauth.AuthorizeRequest, client oauth.Client, jid, msg string, inPassword bool) {
	data := signInPage{
		App:       appInfo(client),
		Scopes:    h.describeScopes(req.Scopes),
		Request:   params.Encode(),
		CSRF:      h.csrfToken(c),
		CSRFField: csrfField,
		JID:       jid,
		Error:     msg,
		Action:    h.path("/authorize/signin"),
		Component: h.comp,
	}
	if h.passwords != nil {
		data.Password = h.path("/authorize/password")
		data.PasswordOpen = inPassword
	}
	h.render(c, status, "signin", "Sign in", data)
}

// describeScopes pairs scope names with their descriptions.
func (h *Handler) describeScopes(names []string) []oauth.ScopeInfo {
	known := make(map[string]string)
	for _, s := range h.p.Scopes() {
		known[s.Name] = s.Description
	}
	out := make([]oauth.ScopeInfo, len(names))
	for i, n := range names {
		out[i] = oauth.ScopeInfo{Name: n, Description: known[n]}
	}
	return out
}

func appInfo(cl oauth.Client) oauth.AppInfo {
	name := cl.Name
	if name == "" {
		name = cl.ID
	}
	return oauth.AppInfo{ClientID: cl.ID, Name: name, URI: cl.ClientURI, LogoURI: cl.LogoURI, TOSURI: cl.TOSURI, PolicyURI: cl.PolicyURI}
}

// describe is the sentence shown for an error the user can act on.
func describe(e *oauth.Error) string {
	if e.Description != "" {
		return e.Description
	}
	return "The request could not be completed (" + e.Code + ")."
}

// signInCookie names the cookie binding a sign-in to its browser. It is
// scoped to that sign-in's wait path, so several sign-ins in one browser
// do not overwrite each other.
func (h *Handler) signInCookie() string {
	if h.secure {
		return "__Secure-xoauth_signin"
	}
	return "xoauth_signin"
}

func (h *Handler) bindSignIn(c *gin.Context, id string) {
	// The core's clock may be pinned in tests; the cookie only needs to
	// outlive the sign-in, so it lasts the configured sign-in lifetime.
	maxAge := max(int(h.p.Config().SignInTTL/time.Second), 300)
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     h.signInCookie(),
		Value:    id,
		Path:     h.path("/authorize/wait/" + url.PathEscape(id)),
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) unbindSignIn(c *gin.Context, id string) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     h.signInCookie(),
		Value:    "",
		Path:     h.path("/authorize/wait/" + url.PathEscape(id)),
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) signInBound(c *gin.Context, id string) bool {
	for _, ck := range c.Request.CookiesNamed(h.signInCookie()) {
		if id != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(id)) == 1 {
			return true
		}
	}
	return false
}
