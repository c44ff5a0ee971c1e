package oauthhttp

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
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
	// Component is the component's JID; ApproveDevice is its "Approve a
	// device" command and Command the xmpp: URI that opens it.
	Component     string
	ApproveDevice Command
	Command       template.URL
	// QR is verification_uri_complete as a QR code, for a device that
	// shows this page: the user scans it with their phone.
	QR template.HTML
}

// deviceSentPage is the data of the page shown once the request was sent.
type deviceSentPage struct {
	UserCode  string
	JID       string
	Component string
}

// handleDeviceAuthorization serves RFC 8628 §3.1; the client authenticates
// as at the token endpoint.
func (h *Handler) handleDeviceAuthorization(c *gin.Context) {
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
	if len(code) > 32 {
		code = "" // not a code; the user types it
	}
	h.renderDevice(c, http.StatusOK, devicePage{UserCode: code, Prefilled: code != ""})
}

// handleDeviceSubmit sends the approval request for a user code to the
// XMPP address given; the user approves or denies it in chat.
func (h *Handler) handleDeviceSubmit(c *gin.Context) {
	form, ok := h.readPostedForm(c)
	if !ok {
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
	err := h.p.RequestDeviceApproval(c.Request.Context(), data.JID, data.UserCode)
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
			data.Error = "Too many attempts. Wait " + ratelimit.WaitText(e.RetryAfter) + ", then try again."
		} else {
			data.Error = capitalize(describe(e))
		}
		h.renderDevice(c, pageStatus(e), data)
		return
	}
	h.log.DebugContext(c.Request.Context(), "device approval requested", "jid", data.JID)
	// Post/redirect/get: reloading the result does not push the request again.
	q := url.Values{"user_code": {oauth.FormatUserCode(normalizeUserCode(data.UserCode))}, "jid": {oauth.NormalizeJID(data.JID)}}
	c.Redirect(http.StatusSeeOther, h.path("/device/sent")+"?"+q.Encode())
}

// handleDeviceSent says where the approval request went.
func (h *Handler) handleDeviceSent(c *gin.Context) {
	code, jid := c.Query("user_code"), c.Query("jid")
	if code == "" || jid == "" || len(code) > 32 || len(jid) > 3071 {
		c.Redirect(http.StatusSeeOther, h.path("/device"))
		return
	}
	h.render(c, http.StatusOK, "device_sent", "Confirm in your chat app", deviceSentPage{UserCode: code, JID: jid, Component: h.comp})
}

// normalizeUserCode keeps the letters and digits of a typed code, upper
// case, as the core compares them.
func normalizeUserCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (h *Handler) renderDevice(c *gin.Context, status int, data devicePage) {
	data.Action = h.path("/device")
	data.CSRF = h.csrfToken(c)
	data.CSRFField = csrfField
	data.Component = h.comp
	data.ApproveDevice = h.cmds.ApproveDevice
	data.Command = h.commandURI(h.cmds.ApproveDevice.Node)
	if data.Prefilled {
		complete := h.p.Config().DeviceVerificationURI + "?user_code=" + url.QueryEscape(data.UserCode)
		qr, err := qrSVG(complete, "QR code of the link to this page with code "+data.UserCode)
		if err != nil {
			h.log.ErrorContext(c.Request.Context(), "device page QR code", "err", err)
		}
		data.QR = qr
	}
	h.render(c, status, "device", "Connect a device", data)
}
