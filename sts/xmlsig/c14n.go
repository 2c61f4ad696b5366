package xmlsig

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Names of the namespace machinery, as goxmldsig's etreeutils spells them.
const (
	xmlnsPrefix = "xmlns"
	xmlPrefix   = "xml"
	nsXML       = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS     = "http://www.w3.org/2000/xmlns/"
)

// writeSettings are the settings of xmltext.Serialize and of goxmldsig's
// canonicalSerialize: the two writers below escape through etree's own
// Attr.WriteTo and CharData.WriteTo with them, so escaping cannot differ.
func writeSettings() etree.WriteSettings {
	return etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true, CanonicalEndTags: true}
}

// binding is one prefix → namespace URI pair of a scope stack.
type binding struct{ prefix, uri string }

// lookup finds prefix in a stack, innermost binding first.
func lookup(stack []binding, prefix string) (string, bool) {
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].prefix == prefix {
			return stack[i].uri, true
		}
	}
	return "", false
}

// defaultBindings is goxmldsig's NewDefaultNSContext, quirk included: the
// empty prefix starts bound to the XML namespace, so an unprefixed element
// with no default namespace in scope gets no xmlns="" declaration.
func defaultBindings() []binding {
	return []binding{{"", nsXML}, {xmlPrefix, nsXML}, {xmlnsPrefix, nsXMLNS}}
}

// c14nWriter writes the exclusive XML canonical form (no comments, empty
// InclusiveNamespaces prefix list) of an element without changing or
// copying it. It is goxmldsig's TransformExcC14n followed by its
// canonicalSerialize, done in one pass: the same namespace rules (scope,
// visibly utilized prefixes, declarations already rendered), the same
// attribute order (etreeutils.SortedAttrs) and etree's own escaping. Its
// equality with goxmldsig on every document claimgate signs is tested
// (equiv_test.go). The stacks and the attribute scratch are reused across
// elements, so a document costs a handful of allocations, not a tree.
type c14nWriter struct {
	w        *bytes.Buffer
	scope    []binding  // namespaces in scope in the input
	declared []binding  // namespaces rendered in the output
	attrs    attrSorter // every open element's attributes, innermost last
	cur      attrSorter // the attributes of the start tag being written
}

// attrSorter sorts with goxmldsig's comparator; a pointer to it in the
// writer makes sort.Sort allocation-free.
type attrSorter struct{ a []etree.Attr }

func (s *attrSorter) Len() int           { return len(s.a) }
func (s *attrSorter) Less(i, j int) bool { return etreeutils.SortedAttrs(s.a).Less(i, j) }
func (s *attrSorter) Swap(i, j int)      { s.a[i], s.a[j] = s.a[j], s.a[i] }

// canonicalize appends the exclusive canonical form of el, taken as the
// root of its own document (as goxmldsig takes the element it digests),
// to w.
func canonicalize(w *bytes.Buffer, el *etree.Element) error {
	c := c14nWriter{w: w, scope: defaultBindings(), declared: defaultBindings()}
	c.attrs.a = make([]etree.Attr, 0, 16)
	return c.element(el)
}

func (c *c14nWriter) element(el *etree.Element) error {
	scopeLen, declLen := len(c.scope), len(c.declared)
	defer func() { c.scope, c.declared = c.scope[:scopeLen], c.declared[:declLen] }()
	for _, a := range el.Attr {
		switch {
		case a.Space == xmlnsPrefix:
			if a.Key == xmlnsPrefix || (a.Key == xmlPrefix && a.Value != nsXML) {
				return fmt.Errorf("reserved namespace prefix %q declared", a.Key)
			}
			c.scope = append(c.scope, binding{a.Key, a.Value})
		case a.Space == "" && a.Key == xmlnsPrefix:
			if a.Value == nsXMLNS {
				return fmt.Errorf("invalid default namespace %q", a.Value)
			}
			c.scope = append(c.scope, binding{"", a.Value})
		}
	}
	start := len(c.attrs.a)
	if err := c.declare(el.Space); err != nil {
		return err
	}
	for _, a := range el.Attr {
		if a.Space == xmlnsPrefix || (a.Space == "" && a.Key == xmlnsPrefix) {
			continue // declarations are re-derived from use
		}
		if a.Space != "" {
			if err := c.declare(a.Space); err != nil {
				return err
			}
		}
		c.attrs.a = append(c.attrs.a, a)
	}
	c.writeStart(el, start)
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if err := c.element(t); err != nil {
				return err
			}
		case *etree.Comment:
			// exc-c14n without comments
		default:
			writeToken(c.w, t)
		}
	}
	writeEnd(c.w, el)
	return nil
}

// declare renders prefix's declaration on the element being written unless
// the output already has the same binding in scope. It appends the
// declaration at most once per element (a prefix used by the element and
// an attribute, or by two attributes, is one visibly utilized prefix).
func (c *c14nWriter) declare(prefix string) error {
	uri, ok := lookup(c.scope, prefix)
	if !ok {
		return fmt.Errorf("undeclared namespace prefix %q", prefix)
	}
	if have, ok := lookup(c.declared, prefix); ok && have == uri {
		return nil
	}
	c.declared = append(c.declared, binding{prefix, uri})
	if prefix == "" {
		c.attrs.a = append(c.attrs.a, etree.Attr{Key: xmlnsPrefix, Value: uri})
	} else {
		c.attrs.a = append(c.attrs.a, etree.Attr{Space: xmlnsPrefix, Key: prefix, Value: uri})
	}
	return nil
}

// writeStart writes el's start tag with the attributes collected from
// index start of the scratch, sorted, then drops them from the scratch:
// they are written before any child is visited.
func (c *c14nWriter) writeStart(el *etree.Element, start int) {
	c.cur.a = c.attrs.a[start:]
	sort.Sort(&c.cur)
	c.w.WriteByte('<')
	writeFullTag(c.w, el)
	for i := range c.cur.a {
		writeAttr(c.w, &c.cur.a[i])
	}
	c.w.WriteByte('>')
	c.attrs.a = c.attrs.a[:start]
}

func writeFullTag(w *bytes.Buffer, el *etree.Element) {
	if el.Space != "" {
		w.WriteString(el.Space)
		w.WriteByte(':')
	}
	w.WriteString(el.Tag)
}

func writeEnd(w *bytes.Buffer, el *etree.Element) {
	w.WriteString("</")
	writeFullTag(w, el)
	w.WriteByte('>')
}

// serializeWith writes el exactly as xmltext.Serialize would write it
// after inserting a child at token index at (-1: appended), with the
// child's bytes given: etree's writer, canonical settings, attributes in
// their stored order, an empty element as a start and an end tag. It
// neither copies el nor re-parents it, so the caller's tree is untouched.
func serializeWith(w *bytes.Buffer, el *etree.Element, at int, child []byte) {
	writeStartTag(w, el)
	for i, t := range el.Child {
		if i == at {
			w.Write(child)
		}
		writeAny(w, t)
	}
	if at < 0 || at >= len(el.Child) {
		w.Write(child)
	}
	writeEnd(w, el)
}

// serialize writes el as xmltext.Serialize does.
func serialize(w *bytes.Buffer, el *etree.Element) {
	writeStartTag(w, el)
	for _, t := range el.Child {
		writeAny(w, t)
	}
	writeEnd(w, el)
}

func writeAny(w *bytes.Buffer, t etree.Token) {
	if e, ok := t.(*etree.Element); ok {
		serialize(w, e)
		return
	}
	writeToken(w, t)
}

func writeStartTag(w *bytes.Buffer, el *etree.Element) {
	w.WriteByte('<')
	writeFullTag(w, el)
	for i := range el.Attr {
		writeAttr(w, &el.Attr[i])
	}
	w.WriteByte('>')
}
