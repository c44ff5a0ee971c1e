package oauthhttp_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

func TestTheme(t *testing.T) {
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) {
		o.SiteName = "Example Chat"
		o.LogoURL = "https://cdn.example.org/logo.svg"
		o.Colors = oauthhttp.Colors{Primary: "#7a1f5c", Text: "#222"}
	})
	r := ts.get("/device")
	if got, want := r.Header.Get("Content-Security-Policy"), "default-src 'self'; frame-ancestors 'none'; img-src 'self' https://cdn.example.org"; got != want {
		t.Errorf("CSP = %q, want %q (the logo's origin allowed for images)", got, want)
	}
	for _, want := range []string{`<img class="logo" src="https://cdn.example.org/logo.svg" alt=""`, "<span>Example Chat</span>", "Connect a device – Example Chat"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page lacks %q:\n%s", want, r.body)
		}
	}
	theme := regexp.MustCompile(`href="(/static/theme\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(r.body)
	if theme == nil {
		t.Fatalf("page does not link theme.css:\n%s", r.body)
	}
	css := ts.get(theme[1])
	if css.StatusCode != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET %s = %d %s", theme[1], css.StatusCode, css.Header.Get("Content-Type"))
	}
	for _, want := range []string{"--primary: #7a1f5c;", "--background: #f6f6f6;", "--text: #222;"} {
		if !strings.Contains(css.body, want) {
			t.Errorf("theme.css lacks %q (empty colours keep the built-in ones):\n%s", want, css.body)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		path, wantType, wantText string
	}{
		{"/static/style.css", "text/css", "--primary"},
		{"/static/wait.js", "text/javascript", "data-status"},
		{"/static/theme.css", "text/css", ":root"},
	}
	for _, tc := range tests {
		r := ts.get(tc.path)
		if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(r.body, tc.wantText) {
			t.Errorf("GET %s = %d %s", tc.path, r.StatusCode, r.Header.Get("Content-Type"))
		}
	}
	if r := ts.get("/static/layout.html"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /static/layout.html = %d, want 404: templates are not static files", r.StatusCode)
	}
}

func TestTemplateDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("device.html", `{{define "content"}}<h1>Pair your TV with {{.Site}}</h1>{{end}}`)
	write("style.css", "body { color: #000; } /* ours */")
	ts := newTestServer(t, nil, func(o *oauthhttp.Options) { o.TemplateDir = dir })

	r := ts.get("/device")
	if !strings.Contains(r.body, "<h1>Pair your TV with Test Site</h1>") || !strings.Contains(r.body, `<a class="skip"`) {
		t.Errorf("device.html from the directory inside the built-in layout:\n%s", r.body)
	}
	style := regexp.MustCompile(`href="(/static/style\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(r.body)
	if style == nil || !strings.Contains(ts.get(style[1]).body, "/* ours */") {
		t.Errorf("style.css from the directory is not served")
	}
	if r := ts.get("/signout"); !strings.Contains(r.body, "You are signed out") {
		t.Errorf("a page the directory lacks is not the built-in one:\n%s", r.body)
	}
}

func TestOptionsValidate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "signin.html"), []byte(`{{define "content"}}{{.Data.Nope`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts oauthhttp.Options
		want string
	}{
		{"zero value", oauthhttp.Options{}, ""},
		{"colour name", oauthhttp.Options{Colors: oauthhttp.Colors{Primary: "red"}}, `colour primary: "red" is not a hex colour`},
		{"CSS injection", oauthhttp.Options{Colors: oauthhttp.Colors{Text: "#000; } body { display: none"}}, "colour text"},
		{"logo path", oauthhttp.Options{LogoURL: "/logo.png"}, ""},
		{"logo data URL", oauthhttp.Options{LogoURL: "data:image/png;base64,AAAA"}, "must be an http(s) URL or a path"},
		{"missing template directory", oauthhttp.Options{TemplateDir: filepath.Join(dir, "nope")}, "template directory"},
		{"template that does not parse", oauthhttp.Options{TemplateDir: dir}, "template signin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestTemplateNames(t *testing.T) {
	names := oauthhttp.TemplateNames()
	for _, want := range []string{"layout.html", "signin.html", "wait.html", "consent.html", "device.html", "error.html", "style.css", "wait.js"} {
		if !slices.Contains(names, want) {
			t.Errorf("TemplateNames() = %v, lacks %s", names, want)
		}
	}
}
