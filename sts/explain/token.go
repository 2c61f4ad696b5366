package explain

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// Namespaces of the token formats explain understands.
const (
	nsTrust2005   = "http://schemas.xmlsoap.org/ws/2005/02/trust"
	nsTrust13     = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
	nsPolicy      = "http://schemas.xmlsoap.org/ws/2004/09/policy"
	nsAddressing  = "http://www.w3.org/2005/08/addressing"
	nsSAML11      = "urn:oasis:names:tc:SAML:1.0:assertion"
	nsSAML2       = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsSAML2P      = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsXMLEnc      = "http://www.w3.org/2001/04/xmlenc#"
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
)

// token is the part of the input the rules look at, for either SAML version.
type token struct {
	kind      string // description of the container
	version   string // "1.1" or "2.0"
	assertion *etree.Element
	idAttr    string // AssertionID (1.1) or ID (2.0)
	rstr      *etree.Element
	appliesTo *string
	shapeErr  string // non-empty when the container is not the single-RSTR shape
	shapeNote string
}

// locate finds the assertion in root. A nil assertion with a shapeErr means
// there is nothing the later rules can look at.
func locate(root *etree.Element) *token {
	t := &token{}
	ns := root.NamespaceURI()
	switch {
	case root.Tag == "RequestSecurityTokenResponse" && (ns == nsTrust2005 || ns == nsTrust13):
		t.kind = "RSTR (WS-Trust " + trustVersion(ns) + ")"
		t.rstr = root
		if ns == nsTrust13 {
			t.shapeErr = "WS-Trust 1.3 RSTR without the RequestSecurityTokenResponseCollection wrapper; WIF refuses it"
		}
	case root.Tag == "RequestSecurityTokenResponseCollection" && (ns == nsTrust13 || ns == nsTrust2005):
		rs := xmlsafe.Children(root, ns, "RequestSecurityTokenResponse")
		t.kind = "RSTR collection (WS-Trust " + trustVersion(ns) + ")"
		if len(rs) != 1 {
			t.shapeErr = fmt.Sprintf("collection holds %d RSTRs; AD FS takes exactly one", len(rs))
		}
		if len(rs) == 0 {
			return t
		}
		t.rstr = rs[0]
		t.shapeNote = "; wrapped in a collection (AD FS itself sends a single WS-Trust 2005/02 RSTR)"
	case root.Tag == "Assertion" && ns == nsSAML11:
		t.kind = "bare SAML 1.1 assertion"
		t.setAssertion(root)
		return t
	case root.Tag == "Assertion" && ns == nsSAML2:
		t.kind = "bare SAML 2.0 assertion"
		t.setAssertion(root)
		return t
	default:
		t.kind = fmt.Sprintf("unrecognised {%s}%s", ns, root.Tag)
		t.shapeErr = "root element is not a WS-Trust RSTR, a SAML assertion or a SAML 2.0 Response"
		return t
	}

	rns := t.rstr.NamespaceURI()
	if a := xmlsafe.Child(t.rstr, nsPolicy, "AppliesTo"); a != nil {
		addr := ""
		if epr := xmlsafe.Child(a, nsAddressing, "EndpointReference"); epr != nil {
			if ad := xmlsafe.Child(epr, nsAddressing, "Address"); ad != nil {
				addr = strings.TrimSpace(ad.Text())
			}
		}
		t.appliesTo = &addr
	}
	rsts := xmlsafe.Children(t.rstr, rns, "RequestedSecurityToken")
	if len(rsts) != 1 {
		t.shapeErr = fmt.Sprintf("RSTR has %d RequestedSecurityToken elements; exactly one is required (MWBF 2.2.4.1)", len(rsts))
		if len(rsts) == 0 {
			return t
		}
	}
	toks := rsts[0].ChildElements()
	switch {
	case len(toks) == 1 && toks[0].Tag == "Assertion" && (toks[0].NamespaceURI() == nsSAML11 || toks[0].NamespaceURI() == nsSAML2):
		t.setAssertion(toks[0])
	case len(toks) == 1 && (toks[0].NamespaceURI() == nsXMLEnc || toks[0].Tag == "EncryptedAssertion"):
		t.shapeErr = "the token is encrypted; AD FS does not accept encrypted tokens from a claims provider over WS-Fed"
	default:
		t.shapeErr = fmt.Sprintf("RequestedSecurityToken holds %d elements; exactly one saml:Assertion is required", len(toks))
		for _, x := range toks {
			if x.Tag == "Assertion" {
				t.setAssertion(x)
				break
			}
		}
	}
	return t
}

func trustVersion(ns string) string {
	if ns == nsTrust13 {
		return "1.3"
	}
	return "2005/02"
}

func (t *token) setAssertion(a *etree.Element) {
	t.assertion = a
	if a.NamespaceURI() == nsSAML2 {
		t.version, t.idAttr = "2.0", "ID"
	} else {
		t.version, t.idAttr = "1.1", "AssertionID"
	}
}

// ns is the assertion namespace for the token's SAML version.
func (t *token) ns() string {
	if t.version == "2.0" {
		return nsSAML2
	}
	return nsSAML11
}

// issuer returns the assertion issuer (attribute in 1.1, element in 2.0).
func (t *token) issuer() string {
	if t.version == "2.0" {
		if i := xmlsafe.Child(t.assertion, nsSAML2, "Issuer"); i != nil {
			return strings.TrimSpace(i.Text())
		}
		return ""
	}
	return t.assertion.SelectAttrValue("Issuer", "")
}

// audiences returns the number of audience restriction conditions and all audiences.
func (t *token) audiences() (conds int, auds []string) {
	cond := xmlsafe.Child(t.assertion, t.ns(), "Conditions")
	if cond == nil {
		return 0, nil
	}
	tag := "AudienceRestrictionCondition"
	if t.version == "2.0" {
		tag = "AudienceRestriction"
	}
	for _, arc := range xmlsafe.Children(cond, t.ns(), tag) {
		conds++
		for _, a := range xmlsafe.Children(arc, t.ns(), "Audience") {
			auds = append(auds, strings.TrimSpace(a.Text()))
		}
	}
	return conds, auds
}

// authn returns the authentication statements and the method of the first
// (AuthenticationMethod in SAML 1.1, AuthnContextClassRef in 2.0).
func (t *token) authn() (stmts []*etree.Element, method string) {
	if t.version == "2.0" {
		stmts = xmlsafe.Children(t.assertion, nsSAML2, "AuthnStatement")
		if len(stmts) > 0 {
			if ac := xmlsafe.Child(stmts[0], nsSAML2, "AuthnContext"); ac != nil {
				if cr := xmlsafe.Child(ac, nsSAML2, "AuthnContextClassRef"); cr != nil {
					method = strings.TrimSpace(cr.Text())
				}
			}
		}
		return stmts, method
	}
	stmts = xmlsafe.Children(t.assertion, nsSAML11, "AuthenticationStatement")
	if len(stmts) > 0 {
		method = stmts[0].SelectAttrValue("AuthenticationMethod", "")
	}
	return stmts, method
}

// claims lists the attributes: 1.1 type = AttributeNamespace + "/" + AttributeName.
func (t *token) claims() []Claim {
	var out []Claim
	for _, st := range xmlsafe.Children(t.assertion, t.ns(), "AttributeStatement") {
		for _, a := range xmlsafe.Children(st, t.ns(), "Attribute") {
			c := Claim{Type: a.SelectAttrValue("Name", "")}
			if t.version == "1.1" {
				c.Type = a.SelectAttrValue("AttributeNamespace", "") + "/" + a.SelectAttrValue("AttributeName", "")
			}
			for _, v := range xmlsafe.Children(a, t.ns(), "AttributeValue") {
				c.Values = append(c.Values, v.Text())
			}
			out = append(out, c)
		}
	}
	return out
}
