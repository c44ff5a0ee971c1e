package oauthhttp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// consentPage is the data of the consent page.
type consentPage struct {
	App       oauth.AppInfo
	Scopes    []oauth.ScopeInfo
	JID       string
	Request   string // the authorization request, form-encoded
	Action    string
	CSRF      string
	CSRFField string
	// SignOut signs out and comes back to the sign-in form, to use
	// another address.
	SignOut string
	Next    string
	Notice  string
}

// consentOrSkip goes on with a signed-in user: straight back to the client
// when consent may be skipped (an existing grant covers every scope asked
// for, Options.SkipConsent is set and the client did not ask
// prompt=consent), to the consent page otherwise.
func (h *Handler) consentOrSkip(c *gin.Context, params url.Values, req oauth.AuthorizeRequest, client oauth.Client, s session) {
	if h.skipConsent && !hasPrompt(req.Prompt, "consent") {
		ok, err := h.p.HasConsent(c.Request.Context(), s.JID, client.ID, req.Scopes)
		if err != nil {
			h.failPage(c, err)
			return
		}
		if ok {
			h.log.DebugContext(c.Request.Context(), "consent skipped: the app holds a grant for these scopes", "jid", s.JID, "client_id", client.ID)
			h.issue(c, req, s)
			return
		}
	}
	h.renderConsent(c, http.StatusOK, params, req, client, s, "")
}

func (h *Handler) renderConsent(c *gin.Context, status int, params url.Values, req oauth.AuthorizeRequest, client oauth.Client, s session, notice string) {
	request := params.Encode()
	h.render(c, status, "consent", "Allow access", consentPage{
		App:       appInfo(client),
		Scopes:    h.describeScopes(req.Scopes),
		JID:       s.JID,
		Request:   request,
		Action:    h.path("/authorize/consent"),
		CSRF:      h.csrfToken(c),
		CSRFField: csrfField,
		SignOut:   h.path("/signout"),
		Next:      h.path("/authorize") + "?" + request,
		Notice:    notice,
	})
}

// issue issues the code for the signed-in user and sends the browser to
// the client.
func (h *Handler) issue(c *gin.Context, req oauth.AuthorizeRequest, s session) {
	to, err := h.p.IssueCode(c.Request.Context(), req, s.JID, s.authTime())
	if err != nil {
		h.failPage(c, err)
		return
	}
	h.endSignInSession(c)
	status := http.StatusFound
	if c.Request.Method == http.MethodPost {
		status = http.StatusSeeOther // the browser must not post the form again
	}
	h.redirect(c, status, to)
}

// handleConsent takes the answer of the consent page: approve issues the
// code, deny sends access_denied (RFC 6749 §4.1.2.1).
func (h *Handler) handleConsent(c *gin.Context) {
	ctx := c.Request.Context()
	form, params, req, client, ok := h.readFlowForm(c, "consent")
	if !ok {
		return
	}
	s, ok := h.session(c)
	if !ok {
		h.renderSignIn(c, http.StatusBadRequest, params, req, client, oauth.NormalizeJID(form.Get("jid")),
			"Your sign-in has ended. Sign in again to continue.", false)
		return
	}
	if oauth.NormalizeJID(form.Get("jid")) != s.JID {
		// Another tab signed in as someone else since this page was shown:
		// ask again, naming the account that would now be used.
		h.renderConsent(c, http.StatusConflict, params, req, client, s,
			"You are now signed in as "+s.JID+". Check that this is the account you want to use.")
		return
	}
	switch strings.ToLower(form.Get("decision")) {
	case "approve":
		h.log.InfoContext(ctx, "consent given", "jid", s.JID, "client_id", client.ID)
		h.issue(c, req, s)
	case "deny":
		h.log.InfoContext(ctx, "consent refused", "jid", s.JID, "client_id", client.ID)
		h.endSignInSession(c)
		h.redirect(c, http.StatusSeeOther, h.p.DeniedURL(req, "the user denied the request"))
	default:
		h.renderConsent(c, http.StatusBadRequest, params, req, client, s, "Choose Allow or Deny.")
	}
}

// signOutPage is the data of the sign-out page.
type signOutPage struct {
	JID       string
	Action    string
	CSRF      string
	CSRFField string
	Done      bool
}

// handleSignOutPage offers to sign out (signing out is a POST, so that no
// other site can sign the user out with a link or an image).
func (h *Handler) handleSignOutPage(c *gin.Context) {
	data := signOutPage{Action: h.path("/signout"), CSRF: h.csrfToken(c), CSRFField: csrfField, Done: c.Query("done") != ""}
	if s, ok := h.session(c); ok {
		data.JID = s.JID
		data.Done = false
	}
	h.render(c, http.StatusOK, "signout", "Sign out", data)
}

// handleSignOut ends the session and goes to next, when it is this
// server's authorization endpoint (to sign in with another address), or to
// the sign-out page.
func (h *Handler) handleSignOut(c *gin.Context) {
	form, ok := h.readPostedForm(c)
	if !ok {
		return
	}
	if s, ok := h.session(c); ok {
		h.log.DebugContext(c.Request.Context(), "signed out", "jid", s.JID)
	}
	h.endSession(c)
	next := form.Get("next")
	// Only a path of the authorization endpoint: anything else would make
	// this an open redirect.
	if !strings.HasPrefix(next, h.path("/authorize?")) {
		next = h.path("/signout") + "?done=1"
	}
	c.Redirect(http.StatusSeeOther, next)
}
