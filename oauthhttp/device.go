package oauthhttp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// The device flow over HTTP: the device asks for codes at
// /device_authorization; the user opens /device (the verification_uri) on
// another screen, types the user code and their XMPP address, and answers
// the approval request that then arrives in their chat client. The device
// meanwhile polls the token endpoint.

// devicePage is the data of the device code form.
type devicePage struct {
	UserCode string
	// Prefilled is set when the code came in the link
	// (verification_uri_complete): the user must then check that it is
	// the one the device shows (RFC 8628 §5.4).
	Prefilled bool
	JID       string
	Error     string
	Action    string
	CSRF      string
	CSRFField string
}

// deviceSentPage is the data of the page shown once the request was sent.
type deviceSentPage struct {
	UserCode string
	JID      string
}

// handleDeviceAuthorization serves RFC 8628 §3.1; the client authenticates
// as at the token endpoint.
func (h *Handler) handleDeviceAuthorization(c *gin.Context) {
	limitBody(c.Writer, c.Request)
	form, err := readForm(c.Request)
	if err != nil {
		h.fail(c, err)
		return
	}
	cred, err := clientCredentials(c.Request, form)
	if err != nil {
		h.fail(c, err)
		return
	}
	resp, err := h.p.DeviceAuthorize(c.Request.Context(), cred, form.Get("scope"))
	if err != nil {
		h.fail(c, err)
		return
	}
	noStore(c) // RFC 8628 §3.2, as for token responses
	c.JSON(http.StatusOK, resp)
}

// handleDevicePage shows the form of the verification URI (RFC 8628 §3.3).
func (h *Handler) handleDevicePage(c *gin.Context) {
	code := strings.TrimSpace(c.Query("user_code"))
	h.renderDevice(c, http.StatusOK, devicePage{UserCode: code, Prefilled: code != ""})
}

// handleDeviceSubmit sends the approval request for a user code to the
// XMPP address given; the user approves or denies it in chat.
func (h *Handler) handleDeviceSubmit(c *gin.Context) {
	limitBody(c.Writer, c.Request)
	form, err := readForm(c.Request)
	if err != nil {
		h.failPage(c, err)
		return
	}
	if !h.checkCSRF(c, form) {
		h.csrfFailed(c)
		return
	}
	data := devicePage{
		UserCode: strings.TrimSpace(form.Get("user_code")),
		JID:      strings.TrimSpace(form.Get("jid")),
	}
	if data.UserCode == "" || data.JID == "" {
		data.Error = "Enter both the code shown on the device and your XMPP address."
		h.renderDevice(c, http.StatusBadRequest, data)
		return
	}
	err = h.p.RequestDeviceApproval(c.Request.Context(), data.JID, data.UserCode)
	if err != nil {
		e, ok := oauth.AsError(err)
		if !ok || !userFacing(e) {
			h.failPage(c, err)
			return
		}
		// A wrong or expired code, an address of another domain, too many
		// tries: the user can act on all of these.
		if e.Code == oauth.TooManyRequests {
			c.Header("Retry-After", strconv.Itoa(max(e.RetryAfter, 1)))
		}
		data.Error = describe(e)
		h.renderDevice(c, pageStatus(e), data)
		return
	}
	h.log.DebugContext(c.Request.Context(), "device approval requested", "jid", data.JID)
	h.render(c, http.StatusOK, "device_sent", "Confirm in your chat app", deviceSentPage{UserCode: data.UserCode, JID: data.JID})
}

func (h *Handler) renderDevice(c *gin.Context, status int, data devicePage) {
	data.Action = h.path("/device")
	data.CSRF = h.csrfToken(c)
	data.CSRFField = csrfField
	h.render(c, status, "device", "Connect a device", data)
}
