package component

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// xmlNamespace is the namespace bound to the "xml" prefix (xml:lang).
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// RawElement is one XML element kept as bytes: an IQ payload or a message
// child this package does not interpret.
//
// XML is a canonical, self-contained serialization: every namespace the
// element uses is declared in it (the stream's prefixes are resolved), the
// default namespace is declared on the element itself, comments and
// processing instructions are dropped and empty elements are written as
// <a/>. It can be parsed on its own with encoding/xml.
type RawElement struct {
	Name xml.Name
	XML  []byte
}

// UnmarshalXML implements xml.Unmarshaler: it copies the element.
func (r *RawElement) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var w xmlWriter
	w.start(start)
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("copy <%s/>: %w", start.Name.Local, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			w.start(t)
		case xml.EndElement:
			depth--
			w.end()
		case xml.CharData:
			w.text(t)
		}
	}
	r.Name = start.Name
	r.XML = w.bytes()
	return nil
}

// MarshalXML implements xml.Marshaler, so a RawElement can be sent inside a
// gosrc.io/xmpp stanza (for example in stanza.Message.Extensions).
func (r RawElement) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	d := xml.NewDecoder(bytes.NewReader(r.XML))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("marshal raw <%s/>: %w", r.Name.Local, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			// The encoder declares Name.Space itself; declarations copied
			// from the source would be written twice.
			t.Attr = withoutNamespaceDecls(t.Attr)
			tok = t
		case xml.Comment, xml.ProcInst, xml.Directive:
			continue
		}
		if err := e.EncodeToken(xml.CopyToken(tok)); err != nil {
			return fmt.Errorf("marshal raw <%s/>: %w", r.Name.Local, err)
		}
	}
}

// ParseRawElement checks that data is exactly one well-formed XML element
// (surrounding whitespace allowed) and returns it in canonical form. It is
// how handler output is made safe to write into the stream: whatever a
// handler returns, the server only ever sees what this function produced.
func ParseRawElement(data []byte) (RawElement, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var r RawElement
	seen := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return RawElement{}, fmt.Errorf("parse raw element: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if seen {
				return RawElement{}, errors.New("parse raw element: more than one root element")
			}
			seen = true
			if err := r.UnmarshalXML(d, t); err != nil {
				return RawElement{}, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return RawElement{}, errors.New("parse raw element: text outside the root element")
			}
		case xml.EndElement:
			return RawElement{}, errors.New("parse raw element: unbalanced end tag")
		}
	}
	if !seen {
		return RawElement{}, errors.New("parse raw element: no element")
	}
	return r, nil
}

func withoutNamespaceDecls(attrs []xml.Attr) []xml.Attr {
	out := attrs[:0:0]
	for _, a := range attrs {
		if isNamespaceDecl(a.Name) {
			continue
		}
		out = append(out, a)
	}
	return out
}

func isNamespaceDecl(n xml.Name) bool {
	return (n.Space == "" && n.Local == "xmlns") || n.Space == "xmlns"
}

// xmlWriter serializes decoded tokens with namespaces resolved by the
// decoder: an element's namespace becomes a default-namespace declaration
// when it differs from its parent's, and namespaced attributes get a
// generated prefix (xml:lang keeps "xml").
type xmlWriter struct {
	buf     []byte
	nsStack []string // default namespace in scope, per open element
	names   []string // local names of open elements
	open    bool     // the last start tag is not yet closed with '>'
}

func (w *xmlWriter) start(se xml.StartElement) {
	w.closeStartTag()
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, se.Name.Local...)
	parent := "" // outside the root, no default namespace is in scope
	if n := len(w.nsStack); n > 0 {
		parent = w.nsStack[n-1]
	}
	if se.Name.Space != parent {
		w.buf = append(w.buf, " xmlns='"...)
		w.buf = appendEscaped(w.buf, se.Name.Space)
		w.buf = append(w.buf, '\'')
	}
	prefixes := 0
	for _, a := range se.Attr {
		if isNamespaceDecl(a.Name) {
			continue
		}
		w.buf = append(w.buf, ' ')
		switch a.Name.Space {
		case "":
		case xmlNamespace:
			w.buf = append(w.buf, "xml:"...)
		default:
			prefixes++
			p := "ns" + strconv.Itoa(prefixes)
			w.buf = append(w.buf, "xmlns:"+p+"='"...)
			w.buf = appendEscaped(w.buf, a.Name.Space)
			w.buf = append(w.buf, "' "+p+":"...)
		}
		w.buf = append(w.buf, a.Name.Local...)
		w.buf = append(w.buf, "='"...)
		w.buf = appendEscaped(w.buf, a.Value)
		w.buf = append(w.buf, '\'')
	}
	w.open = true
	w.nsStack = append(w.nsStack, se.Name.Space)
	w.names = append(w.names, se.Name.Local)
}

func (w *xmlWriter) end() {
	n := len(w.names) - 1
	if w.open {
		w.buf = append(w.buf, "/>"...)
		w.open = false
	} else {
		w.buf = append(w.buf, "</"...)
		w.buf = append(w.buf, w.names[n]...)
		w.buf = append(w.buf, '>')
	}
	w.names = w.names[:n]
	w.nsStack = w.nsStack[:n]
}

func (w *xmlWriter) text(t xml.CharData) {
	if len(t) == 0 {
		return
	}
	w.closeStartTag()
	w.buf = appendEscaped(w.buf, string(t))
}

func (w *xmlWriter) closeStartTag() {
	if w.open {
		w.buf = append(w.buf, '>')
		w.open = false
	}
}

func (w *xmlWriter) bytes() []byte { return w.buf }

// appendEscaped appends s escaped for use in character data or in an
// attribute value delimited by either quote.
func appendEscaped(b []byte, s string) []byte {
	var buf bytes.Buffer
	// xml.EscapeText only fails when its writer does; bytes.Buffer does not.
	_ = xml.EscapeText(&buf, []byte(s))
	return append(b, buf.Bytes()...)
}
