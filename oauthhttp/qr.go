package oauthhttp

import (
	"fmt"
	"html/template"
	"strings"

	"rsc.io/qr"
)

// qrQuiet is the quiet zone around a QR code, in modules (ISO/IEC 18004
// asks for four).
const qrQuiet = 4

// qrSVG draws text as a QR code in inline SVG: one path of unit squares,
// black on white whatever the theme, since scanners need the contrast. The
// CSP allows it (inline SVG is markup, not script or style). Error
// correction level M survives a smudged or partly hidden screen.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	var d strings.Builder
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+qrQuiet, y+qrQuiet)
			}
		}
	}
	n := code.Size + 2*qrQuiet
	svg := fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, template.HTMLEscapeString(label), n, n, d.String())
	return template.HTML(svg), nil // built here from numbers and an escaped label
}
