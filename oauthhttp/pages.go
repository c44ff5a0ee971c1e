package oauthhttp

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// templateFS holds the page templates and the stylesheet. They are parsed
// once in New; a template that does not parse is a build mistake and panics
// there.
//
//go:embed templates
var templateFS embed.FS

// pageNames are the pages; each is templates/<name>.html inside layout.html.
var pageNames = []string{"error", "signin", "wait", "oob", "device", "device_sent"}

func parsePages() map[string]*template.Template {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		pages[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// view is what every template gets: the layout's fields and the page's own
// data in Data.
type view struct {
	Site  string
	Title string
	Style string
	Data  any
}

// contentSecurityPolicy allows nothing but this origin's own resources (no
// inline script or style) and forbids framing, against clickjacking of the
// sign-in and device forms.
const contentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'"

// render writes a page with the security headers every page carries. Pages
// hold CSRF tokens and sign-in codes, so none of them may be cached.
func (h *Handler) render(c *gin.Context, status int, name, title string, data any) {
	var buf bytes.Buffer
	err := h.pages[name].ExecuteTemplate(&buf, "layout.html", view{
		Site:  h.site,
		Title: title,
		Style: h.path("/static/style.css"),
		Data:  data,
	})
	if err != nil {
		h.log.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err)
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong.</p>\n")
		status = http.StatusInternalServerError
	}
	c.Header("Content-Security-Policy", contentSecurityPolicy)
	c.Header("X-Frame-Options", "DENY")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// errorPage is the data of the error page.
type errorPage struct {
	Heading string
	Message string
	Code    string
}

// failPage shows err to the user as a page: the browser-side twin of fail.
// An *oauth.Error is explained with its description; a missing record is a
// 404 saying the request expired; anything else is logged and shown as a
// generic fault.
func (h *Handler) failPage(c *gin.Context, err error) {
	if e, ok := oauth.AsError(err); ok {
		if userFacing(e) {
			status := pageStatus(e)
			if e.Code == oauth.TooManyRequests {
				c.Header("Retry-After", strconv.Itoa(max(e.RetryAfter, 1)))
			}
			msg := e.Description
			if msg == "" {
				msg = "The request could not be completed."
			}
			h.render(c, status, "error", "Request failed", errorPage{Heading: "This request cannot go on", Message: msg, Code: e.Code})
			return
		}
	}
	if errors.Is(err, oauth.ErrNotFound) {
		h.render(c, http.StatusNotFound, "error", "Not found", errorPage{
			Heading: "Request not found",
			Message: "This request does not exist or has expired. Go back to the application and start again.",
		})
		return
	}
	h.log.ErrorContext(c.Request.Context(), "page failed", "path", c.Request.URL.Path, "err", err)
	h.render(c, http.StatusInternalServerError, "error", "Server error", errorPage{
		Heading: "Something went wrong",
		Message: "The server could not complete the request. Please try again later.",
		Code:    oauth.ServerError,
	})
}

// userFacing reports whether e is something to explain to the user (a
// mistake, a refusal, a limit, an outage) rather than a server fault.
func userFacing(e *oauth.Error) bool {
	status, known := statusOf[e.Code]
	return known && status != http.StatusInternalServerError
}

// pageStatus is the status of a page explaining e: that of statusOf, except
// that 401 becomes 400, since 401 calls for an HTTP authentication
// challenge, which means nothing to a person reading a page.
func pageStatus(e *oauth.Error) int {
	if status := statusOf[e.Code]; status != http.StatusUnauthorized {
		return status
	}
	return http.StatusBadRequest
}

// handleStyle serves the stylesheet the pages link to (the CSP forbids
// inline styles).
func (h *Handler) handleStyle(c *gin.Context) {
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		h.log.ErrorContext(c.Request.Context(), "read stylesheet", "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/css; charset=utf-8", css)
}
