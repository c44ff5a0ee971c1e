package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem with one configuration key.
type Error struct {
	// File is the configuration file's name; "" when parsed from bytes.
	File string
	// Line is the key's line in the file; 0 when the value did not come from
	// the file (a default, an environment variable).
	Line int
	// Key is the dotted path of the key, e.g. "tokens.access_token_ttl" or
	// "xmpp.user_domains[1]"; "" for the document as a whole.
	Key string
	// Msg says what is wrong.
	Msg string
}

// Error formats e as "file:line: key: msg", leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// decode reads data onto c. Decoding is yaml.v3's own, with KnownFields, so
// no key can be dropped silently. Before it, diagnose walks the document
// against Config's fields: it finds unknown keys and values of the wrong
// kind with their dotted path and line, which yaml.v3's messages lack ("field
// lisen not found in type config.HTTP"), and records each key's line for the
// messages of Validate.
func (c *Config) decode(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return c.yamlError(err)
	}
	d := diagnoser{file: c.file, lines: make(map[string]int)}
	if len(doc.Content) > 0 {
		d.walk(doc.Content[0], reflect.TypeFor[Config](), "")
	}
	c.lines = d.lines
	if len(d.errs) > 0 {
		return errors.Join(d.errs...)
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return c.yamlError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return c.errorf(next.Line, "", "more than one YAML document; the file must hold one")
	}
	return nil
}

// yamlError turns an error of yaml.v3 ("yaml: line 3: …", or a TypeError
// holding several "line 3: …") into *Error values with their lines.
func (c *Config) yamlError(err error) error {
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		line := 0
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(n); err == nil {
					line, m = l, msg
				}
			}
		}
		errs[i] = &Error{File: c.file, Line: line, Msg: m}
	}
	return errors.Join(errs...)
}

// diagnoser walks a YAML tree beside the Go type it will be decoded into.
type diagnoser struct {
	file  string
	lines map[string]int
	errs  []error
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (d *diagnoser) fail(line int, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *diagnoser) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // leaves the default in place for structs; empties lists and maps
	}
	switch {
	case reflect.PointerTo(t).Implements(unmarshalerType):
		d.leaf(n, t, path)
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n.Line, path, "want a mapping of %s, got %s", strings.Join(yamlKeys(t), ", "), describeNode(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			d.lines[p] = k.Line
			f, ok := fieldByKey(t, k.Value)
			if !ok {
				where := "here"
				if path != "" {
					where = "under " + path
				}
				d.fail(k.Line, p, "unknown key; valid keys %s: %s", where, strings.Join(yamlKeys(t), ", "))
				continue
			}
			d.walk(v, f.Type, p)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n.Line, path, "want %s, got %s", describeType(t), describeNode(n))
			return
		}
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			d.lines[p] = item.Line
			d.walk(item, t.Elem(), p)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n.Line, path, "want %s, got %s", describeType(t), describeNode(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			d.lines[p] = k.Line
			d.leaf(k, t.Key(), p)
			d.walk(v, t.Elem(), p)
		}
	default:
		d.leaf(n, t, path)
	}
}

// leaf decodes n into a scratch value of type t to learn whether it fits.
func (d *diagnoser) leaf(n *yaml.Node, t reflect.Type, path string) {
	err := n.Decode(reflect.New(t).Interface())
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		d.fail(n.Line, path, "want %s, got %s", describeType(t), describeNode(n))
		return
	}
	d.fail(n.Line, path, "%v", err) // from Duration or Rate: already in words
}

// fieldByKey finds the struct field whose yaml tag is key.
func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if name, ok := yamlName(f); ok && name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKeys lists the YAML keys of struct type t.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if name, ok := yamlName(f); ok {
			keys = append(keys, name)
		}
	}
	return keys
}

func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" || name == "-" {
		return "", false
	}
	return name, true
}

// describeType says in words what a value of type t looks like in YAML.
func describeType(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return `a duration such as "10m"`
	case reflect.TypeFor[Rate]():
		return `a rate such as "5/1m"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of mappings (" + strings.Join(yamlKeys(t.Elem()), ", ") + ")"
		}
		return "a list of " + plural(describeType(t.Elem()))
	case reflect.Map:
		return "a mapping of " + plural(describeType(t.Key())) + " to " + plural(describeType(t.Elem()))
	case reflect.Struct:
		return "a mapping of " + strings.Join(yamlKeys(t), ", ")
	}
	return t.String()
}

// plural turns "a string" into "strings".
func plural(s string) string { return strings.TrimPrefix(s, "a ") + "s" }

// describeNode says in words what the file holds at n.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return strconv.Quote(v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// errorf builds an *Error for key, taking its line from the file when known.
func (c *Config) errorf(line int, key, format string, args ...any) *Error {
	if line == 0 {
		line = c.lines[key]
	}
	return &Error{File: c.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// keysSorted returns m's keys in order, for deterministic messages.
func keysSorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
