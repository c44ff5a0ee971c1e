package oauthhttp

import (
	"crypto/subtle"
	"errors"
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
//  1. GET or POST /authorize validates the request and shows the sign-in
//     form, which asks for the user's XMPP address.
//  2. POST /authorize/signin validates the request again, starts a sign-in
//     (the core pushes it to the user's chat client) and redirects to
//  3. GET /authorize/wait/:id, which refreshes itself until the user
//     answered in chat, then redirects to the client with the code or
//     access_denied.
//
// The form carries the original request, encoded, in one hidden field and
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
}

// waitPage is the data of the waiting page.
type waitPage struct {
	Code      string
	JID       string
	ExpiresAt time.Time
	Self      string
}

// handleAuthorize serves the authorization endpoint (RFC 6749 §4.1.1; OIDC
// Core §3.1.2.1 allows GET and POST).
func (h *Handler) handleAuthorize(c *gin.Context) {
	limitBody(c.Writer, c.Request)
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
	h.renderSignIn(c, http.StatusOK, params, req, client, jid, "")
}

// authorizeParams returns the parameters of an authorization request: the
// URL query of a GET, the form body of a POST. Repeated parameters are kept
// for the core to reject.
func authorizeParams(r *http.Request) (url.Values, error) {
	if r.Method == http.MethodPost {
		return readFormBody(r)
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request URL has a malformed query")
	}
	return params, nil
}

// handleSignIn takes the XMPP address from the sign-in form and starts the
// sign-in.
func (h *Handler) handleSignIn(c *gin.Context) {
	limitBody(c.Writer, c.Request)
	ctx := c.Request.Context()
	form, err := readForm(c.Request)
	if err != nil {
		h.failPage(c, err)
		return
	}
	if !h.checkCSRF(c, form) {
		h.csrfFailed(c)
		return
	}
	params, err := url.ParseQuery(form.Get("request"))
	if err != nil {
		h.failPage(c, oauth.Errorf(oauth.InvalidRequest, "the sign-in form was altered"))
		return
	}
	req, client, err := h.p.ParseAuthorize(ctx, params)
	if err != nil {
		h.authorizeFailed(c, err)
		return
	}
	jid := strings.TrimSpace(form.Get("jid"))
	if jid == "" {
		h.renderSignIn(c, http.StatusBadRequest, params, req, client, "", "Enter your XMPP address.")
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
			h.renderSignIn(c, pageStatus(e), params, req, client, jid, describe(e))
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
// (which the chat notice may show) does not let another browser collect
// the code.
func (h *Handler) handleWait(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	if !h.signInBound(c, id) {
		h.render(c, http.StatusForbidden, "error", "Wrong browser", errorPage{
			Heading: "Continue in the original browser",
			Message: "This sign-in can only be finished in the browser where it was started.",
		})
		return
	}
	next, err := h.p.FinishSignIn(ctx, id)
	if err == nil {
		h.unbindSignIn(c, id)
		h.redirect(c, http.StatusSeeOther, next)
		return
	}
	if e, ok := oauth.AsError(err); !ok || e.Code != oauth.AuthorizationPending {
		h.failPage(c, err)
		return
	}
	si, err := h.p.GetSignIn(ctx, id)
	if err != nil {
		h.failPage(c, err)
		return
	}
	h.render(c, http.StatusOK, "wait", "Confirm in your chat app", waitPage{
		Code:      si.Code,
		JID:       si.JID,
		ExpiresAt: si.Expiry,
		Self:      h.path("/authorize/wait/" + url.PathEscape(id)),
	})
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

func (h *Handler) renderSignIn(c *gin.Context, status int, params url.Values, req oauth.AuthorizeRequest, client oauth.Client, jid, msg string) {
	h.render(c, status, "signin", "Sign in", signInPage{
		App:       appInfo(client),
		Scopes:    h.describeScopes(req.Scopes),
		Request:   params.Encode(),
		CSRF:      h.csrfToken(c),
		CSRFField: csrfField,
		JID:       jid,
		Error:     msg,
		Action:    h.path("/authorize/signin"),
	})
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
