package oauthhttp

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// templateFS holds the built-in page templates, the stylesheet and the
// script of the wait page. Files of Options.TemplateDir replace them by name.
//
//go:embed templates
var templateFS embed.FS

// pageNames are the pages; each is <name>.html inside layout.html.
var pageNames = []string{"error", "signin", "wait", "consent", "oob", "device", "device_sent", "signout"}

// staticNames are the files served under /static/ as they are. The CSP
// forbids inline styles and scripts, so both live here.
var staticNames = map[string]string{
	"style.css": "text/css; charset=utf-8",
	"wait.js":   "text/javascript; charset=utf-8",
}

// TemplateNames lists the files a template directory may replace: the
// html/template files of the pages (layout.html wraps each page's
// "content" and optional "head" templates), the stylesheet and the wait
// page's script.
func TemplateNames() []string {
	out := []string{"layout.html"}
	for _, p := range pageNames {
		out = append(out, p+".html")
	}
	return append(out, "style.css", "wait.js")
}

// siteFiles are the parsed pages and the static files, each static file
// with a version (a hash of its content) that its URL carries, so browsers
// may cache it and still see a new one at once.
type siteFiles struct {
	pages  map[string]*template.Template
	static map[string]staticFile
}

type staticFile struct {
	body    []byte
	ctype   string
	version string
}

// overlayFS opens files from top, falling back to base for those top lacks.
type overlayFS struct{ top, base fs.FS }

func (o overlayFS) Open(name string) (fs.File, error) {
	if o.top != nil {
		f, err := o.top.Open(name)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return o.base.Open(name)
}

// loadFiles parses the templates: those of dir where it has them, the
// built-in ones otherwise.
func loadFiles(dir string) (*siteFiles, error) {
	base, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("built-in templates: %w", err)
	}
	fsys := overlayFS{base: base}
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("template directory: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("template directory %s is not a directory", dir)
		}
		fsys.top = os.DirFS(dir)
	}
	f := &siteFiles{pages: make(map[string]*template.Template), static: make(map[string]staticFile)}
	for _, name := range pageNames {
		t, err := template.New("layout.html").ParseFS(fsys, "layout.html", name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		f.pages[name] = t
	}
	for name, ctype := range staticNames {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		f.static[name] = newStatic(b, ctype)
	}
	return f, nil
}

func newStatic(b []byte, ctype string) staticFile {
	sum := sha256.Sum256(b)
	return staticFile{body: b, ctype: ctype, version: hex.EncodeToString(sum[:6])}
}

// defaultColors are the built-in colours; the stylesheet reads them as CSS
// custom properties from theme.css.
var defaultColors = Colors{Primary: "#24385b", Background: "#f6f6f6", Text: "#1a1a1a"}

// setTheme makes theme.css from the configured colours. Options.Validate
// allowed only hex colours, so nothing else can reach the stylesheet.
func (f *siteFiles) setTheme(c Colors) {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	css := fmt.Sprintf(":root {\n  --primary: %s;\n  --background: %s;\n  --text: %s;\n}\n",
		pick(c.Primary, defaultColors.Primary), pick(c.Background, defaultColors.Background), pick(c.Text, defaultColors.Text))
	f.static["theme.css"] = newStatic([]byte(css), "text/css; charset=utf-8")
}

// logoOrigin returns the origin the CSP must allow for the logo: "" for no
// logo or one on this server (a path), the scheme and host of an absolute
// http(s) URL.
func logoOrigin(logo string) (string, error) {
	if logo == "" {
		return "", nil
	}
	u, err := url.Parse(logo)
	switch {
	case err != nil:
		return "", fmt.Errorf("logo URL %q: %w", logo, err)
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/"):
		return "", nil
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		return u.Scheme + "://" + u.Host, nil
	}
	return "", fmt.Errorf("logo URL %q must be an http(s) URL or a path starting with /", logo)
}

// checkDocumentURL accepts "" (no document) or an absolute http(s) URL
// without credentials: what the pages may link to as the terms of service
// or the privacy policy.
func checkDocumentURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return fmt.Errorf("%q must be an absolute http(s) URL", s)
	case u.User != nil:
		return fmt.Errorf("%q must not contain a user name or password", s)
	}
	return nil
}

// view is what every template gets: the layout's fields and the page's own
// data in Data.
type view struct {
	Site  string
	Title string
	// Style, Theme and Script are the URLs of the stylesheets and of the
	// script (the wait page's only).
	Style, Theme, Script string
	Logo                 string
	// Account is the signed-in user, if any, and SignOut the page that
	// signs them out.
	Account string
	SignOut string
	// TOS and Policy are the service's terms of service and privacy
	// policy, linked from the footer; "" for none.
	TOS, Policy string
	Data        any
}

// contentSecurityPolicy allows nothing but this origin's own resources (no
// inline script or style) and forbids framing, against clickjacking of the
// sign-in, consent and device forms. A logo on another host adds img-src.
const contentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'"

// staticURL is the versioned URL of a static file.
func (h *Handler) staticURL(name string) string {
	return h.path("/static/"+name) + "?v=" + h.files.static[name].version
}

// render writes a page with the security headers every page carries. Pages
// hold CSRF tokens and sign-in codes, so none of them may be cached.
func (h *Handler) render(c *gin.Context, status int, name, title string, data any) {
	v := view{
		Site:    h.site,
		Title:   title,
		Style:   h.staticURL("style.css"),
		Theme:   h.staticURL("theme.css"),
		Logo:    h.logo,
		SignOut: h.path("/signout"),
		TOS:     h.tos,
		Policy:  h.policy,
		Data:    data,
	}
	if name == "wait" {
		v.Script = h.staticURL("wait.js")
	}
	if s, ok := h.session(c); ok {
		v.Account = s.JID
	}
	var buf bytes.Buffer
	if err := h.files.pages[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		h.log.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err)
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong.</p>\n")
		status = http.StatusInternalServerError
	}
	h.pageHeaders(c)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// pageHeaders are the headers of every page and of the JSON the pages'
// script reads.
func (h *Handler) pageHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", h.csp)
	c.Header("X-Frame-Options", "DENY")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
}

// errorPage is the data of the error page: what happened, what to do.
type errorPage struct {
	Heading string
	Message string
	Next    string
	Code    string
	// Link, when set, is a button to go on with, labelled LinkText.
	Link     template.URL
	LinkText string
}

// failPage shows err to the user as a page: the browser-side twin of fail.
// An *oauth.Error is explained with its description and what to do next;
// a missing record is a 404 saying the request expired; anything else is
// logged and shown as a generic fault.
func (h *Handler) failPage(c *gin.Context, err error) {
	if e, ok := oauth.AsError(err); ok && userFacing(e) {
		status := statusFor(err, e, pageStatus(e))
		if e.Code == oauth.TooManyRequests {
			c.Header("Retry-After", strconv.Itoa(max(e.RetryAfter, 1)))
		}
		h.render(c, status, "error", "Request failed", explain(e, h.site))
		return
	}
	if errors.Is(err, oauth.ErrNotFound) {
		h.render(c, http.StatusNotFound, "error", "Not found", errorPage{
			Heading: "Request not found",
			Message: "This request does not exist or has expired.",
			Next:    "Go back to the application and start again.",
		})
		return
	}
	h.log.ErrorContext(c.Request.Context(), "page failed", "path", c.Request.URL.Path, "err", err)
	h.render(c, http.StatusInternalServerError, "error", "Server error", errorPage{
		Heading: "Something went wrong",
		Message: "The server could not complete the request.",
		Next:    "Please try again in a few minutes.",
		Code:    oauth.ServerError,
	})
}

// explain turns an error the user can act on into a page.
func explain(e *oauth.Error, site string) errorPage {
	p := errorPage{Heading: "This request cannot go on", Message: capitalize(describe(e)), Code: e.Code,
		Next: "Go back to the application and start again."}
	switch e.Code {
	case oauth.InvalidClient:
		p.Heading = "Unknown application"
		p.Next = "The application that sent you here is not registered with " + site + ". Go back to it and let its makers know."
	case oauth.InvalidRequest, oauth.InvalidScope, oauth.UnsupportedResponseType, oauth.UnauthorizedClient:
		p.Heading = "The application sent an invalid request"
		p.Next = "Go back to the application and try again. If this keeps happening, the application is set up wrongly: let its makers know."
	case oauth.ExpiredToken:
		p.Heading = "This request has expired"
	case oauth.TooManyRequests:
		p.Heading = "Too many attempts"
		p.Next = "Wait " + ratelimit.WaitText(e.RetryAfter) + ", then try again."
	case oauth.AccessDenied:
		p.Heading = "Access denied"
		p.Next = "Use an address this service accepts, or go back to the application."
	case oauth.TemporarilyUnavailable:
		p.Heading = "Not available right now"
		p.Next = "Please try again in a few minutes."
	}
	return p
}

// capitalize starts s with a capital letter and ends it with a full stop.
func capitalize(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
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

// handleStatic serves the stylesheets and the wait page's script. Their
// URLs carry a version, so they may be cached.
func (h *Handler) handleStatic(c *gin.Context) {
	f, ok := h.files.static[c.Param("file")]
	if !ok {
		c.String(http.StatusNotFound, "404 page not found\n")
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, f.ctype, f.body)
}
