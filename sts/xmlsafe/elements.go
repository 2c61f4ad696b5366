package xmlsafe

import (
	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// NSDSig is the XML-DSig namespace.
const NSDSig = "http://www.w3.org/2000/09/xmldsig#"

// Is reports whether el is {ns}tag. The namespace is compared by URI, so a
// document cannot pass off another element by reusing an expected prefix.
func Is(el *etree.Element, ns, tag string) bool {
	return el.Tag == tag && el.NamespaceURI() == ns
}

// Children returns the child elements {ns}tag of el, in document order.
func Children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if Is(c, ns, tag) {
			out = append(out, c)
		}
	}
	return out
}

// Child returns the first child element {ns}tag of el, or nil.
func Child(el *etree.Element, ns, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if Is(c, ns, tag) {
			return c
		}
	}
	return nil
}

// Detach returns a copy of el that stands alone, carrying the namespace
// declarations of its ancestors. Exclusive C14N renders only the
// namespaces the element uses, so this cannot change a digest over it; it
// lets an assertion be verified or compared outside its wrapper.
func Detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(ctx, el)
}
