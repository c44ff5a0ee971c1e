package forms

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

var nameX = xml.Name{Space: NS, Local: "x"}

// Parse decodes a data form from the XML of its <x xmlns='jabber:x:data'/>
// element (leading whitespace, comments and an XML declaration are allowed).
func Parse(data []byte) (*Form, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("forms: parse: no element")
			}
			return nil, fmt.Errorf("forms: parse: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var f Form
		if err := d.DecodeElement(&f, &start); err != nil {
			return nil, fmt.Errorf("forms: parse: %w", err)
		}
		return &f, nil
	}
}

// MarshalXML writes the form as <x xmlns='jabber:x:data' type='…'/>, its
// children in the order of the examples of XEP-0004: title, instructions,
// fields, reported, items. The element name is always {jabber:x:data}x,
// whatever name the enclosing struct's tag asks for.
func (f Form) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: nameX}
	if f.Type != "" {
		start.Attr = []xml.Attr{{Name: xml.Name{Local: "type"}, Value: string(f.Type)}}
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if f.Title != "" {
		if err := encodeText(e, "title", f.Title); err != nil {
			return err
		}
	}
	for _, in := range f.Instructions {
		if err := encodeText(e, "instructions", in); err != nil {
			return err
		}
	}
	if err := encodeFields(e, f.Fields); err != nil {
		return err
	}
	if f.Reported != nil {
		if err := encodeFieldGroup(e, "reported", f.Reported); err != nil {
			return err
		}
	}
	for _, it := range f.Items {
		if err := encodeFieldGroup(e, "item", it); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func encodeText(e *xml.Encoder, local, text string) error {
	start := xml.StartElement{Name: xml.Name{Local: local}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeToken(xml.CharData(text)); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

func encodeFieldGroup(e *xml.Encoder, local string, fields []Field) error {
	start := xml.StartElement{Name: xml.Name{Local: local}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := encodeFields(e, fields); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

func encodeFields(e *xml.Encoder, fields []Field) error {
	for i := range fields {
		if err := fields[i].encode(e); err != nil {
			return err
		}
	}
	return nil
}

// encode writes <field var type label><desc/><required/><value/>…<option/>…
// </field> in the order of the XEP-0004 schema. The field inherits the
// jabber:x:data namespace from its <x/>.
func (f *Field) encode(e *xml.Encoder) error {
	start := xml.StartElement{Name: xml.Name{Local: "field"}}
	for _, a := range [...]struct{ name, value string }{
		{"var", f.Var}, {"type", string(f.Type)}, {"label", f.Label},
	} {
		if a.value != "" {
			start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: a.name}, Value: a.value})
		}
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if f.Desc != "" {
		if err := encodeText(e, "desc", f.Desc); err != nil {
			return err
		}
	}
	if f.Required {
		req := xml.StartElement{Name: xml.Name{Local: "required"}}
		if err := e.EncodeToken(req); err != nil {
			return err
		}
		if err := e.EncodeToken(req.End()); err != nil {
			return err
		}
	}
	for _, v := range f.Values {
		if err := encodeText(e, "value", v); err != nil {
			return err
		}
	}
	for _, o := range f.Options {
		opt := xml.StartElement{Name: xml.Name{Local: "option"}}
		if o.Label != "" {
			opt.Attr = []xml.Attr{{Name: xml.Name{Local: "label"}, Value: o.Label}}
		}
		if err := e.EncodeToken(opt); err != nil {
			return err
		}
		if err := encodeText(e, "value", o.Value); err != nil {
			return err
		}
		if err := e.EncodeToken(opt.End()); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// UnmarshalXML decodes a {jabber:x:data}x element. Children outside the
// jabber:x:data namespace and unknown children are skipped; a repeated
// <title/>, <desc/> or <reported/> keeps the last one.
func (f *Form) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if start.Name != nameX {
		return fmt.Errorf("forms: element {%s}%s is not a data form", start.Name.Space, start.Name.Local)
	}
	*f = Form{}
	for _, a := range start.Attr {
		if a.Name == (xml.Name{Local: "type"}) {
			f.Type = Type(a.Value)
		}
	}
	return eachChild(d, func(child xml.StartElement) error {
		var err error
		switch child.Name.Local {
		case "title":
			f.Title, err = ReadText(d)
		case "instructions":
			var s string
			s, err = ReadText(d)
			f.Instructions = append(f.Instructions, s)
		case "field":
			var fld Field
			fld, err = decodeField(d, child)
			f.Fields = append(f.Fields, fld)
		case "reported":
			f.Reported, err = decodeFieldGroup(d)
			if f.Reported == nil {
				f.Reported = []Field{}
			}
		case "item":
			var fs []Field
			fs, err = decodeFieldGroup(d)
			f.Items = append(f.Items, fs)
		default:
			err = d.Skip()
		}
		return err
	})
}

// eachChild calls fn for every child element in the jabber:x:data namespace
// until the end of the current element; fn must consume the child. Other
// children are skipped.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != NS {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// ReadText returns the character data directly inside the element whose
// start d has just read, skipping any child elements, and consumes the
// element. Packages that decode XEP-0004 forms inside their own elements
// (such as adhoc's XEP-0050 notes) use it too.
func ReadText(d *xml.Decoder) (string, error) {
	var buf []byte
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			buf = append(buf, t...)
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return string(buf), nil
		}
	}
}

func decodeFieldGroup(d *xml.Decoder) ([]Field, error) {
	var fs []Field
	err := eachChild(d, func(child xml.StartElement) error {
		if child.Name.Local != "field" {
			return d.Skip()
		}
		fld, err := decodeField(d, child)
		fs = append(fs, fld)
		return err
	})
	return fs, err
}

func decodeField(d *xml.Decoder, start xml.StartElement) (Field, error) {
	var f Field
	for _, a := range start.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "var":
			f.Var = a.Value
		case "type":
			f.Type = FieldType(a.Value)
		case "label":
			f.Label = a.Value
		}
	}
	err := eachChild(d, func(child xml.StartElement) error {
		var err error
		switch child.Name.Local {
		case "desc":
			f.Desc, err = ReadText(d)
		case "required":
			f.Required = true
			err = d.Skip()
		case "value":
			var s string
			s, err = ReadText(d)
			f.Values = append(f.Values, s)
		case "option":
			var o Option
			o, err = decodeOption(d, child)
			f.Options = append(f.Options, o)
		default:
			err = d.Skip()
		}
		return err
	})
	return f, err
}

// decodeOption reads <option label='…'><value>…</value></option>. XEP-0004
// allows exactly one <value/>; the first one is kept.
func decodeOption(d *xml.Decoder, start xml.StartElement) (Option, error) {
	var o Option
	for _, a := range start.Attr {
		if a.Name == (xml.Name{Local: "label"}) {
			o.Label = a.Value
		}
	}
	seen := false
	err := eachChild(d, func(child xml.StartElement) error {
		if child.Name.Local != "value" || seen {
			return d.Skip()
		}
		seen = true
		var err error
		o.Value, err = ReadText(d)
		return err
	})
	return o, err
}
