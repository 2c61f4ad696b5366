package saml11

import (
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// readAssertion reads a signature-verified SAML 1.1 assertion and checks
// the shape MWBF 2.2.4.2 requires: one Conditions with both bounds, one
// AuthenticationStatement, at most one AttributeStatement, nothing else,
// and identical Subjects.
func readAssertion(a *etree.Element) (*Token, error) {
	if !xmlsafe.Is(a, NSAssertion, "Assertion") {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "signed element is %s, not a SAML 1.1 assertion", a.FullTag())
	}
	if a.SelectAttrValue("MajorVersion", "") != "1" || a.SelectAttrValue("MinorVersion", "") != "1" {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "not SAML version 1.1")
	}
	tok := &Token{AssertionID: a.SelectAttrValue(assertionIDAttr, ""), Issuer: a.SelectAttrValue("Issuer", "")}
	if tok.AssertionID == "" || tok.Issuer == "" {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "AssertionID or Issuer missing")
	}
	var err error
	if tok.IssueInstant, err = attrTime(a, "IssueInstant"); err != nil {
		return nil, err
	}
	conds := xmlsafe.Children(a, NSAssertion, "Conditions")
	if len(conds) != 1 {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "%d Conditions, want 1", len(conds))
	}
	if tok.NotBefore, err = attrTime(conds[0], "NotBefore"); err != nil {
		return nil, err
	}
	if tok.NotOnOrAfter, err = attrTime(conds[0], "NotOnOrAfter"); err != nil {
		return nil, err
	}
	var subjects []string
	nAttr, nAuthn := 0, 0
	for _, c := range a.ChildElements() {
		switch {
		case xmlsafe.Is(c, NSAssertion, "Conditions"), xmlsafe.Is(c, NSAssertion, "Advice"):
		case xmlsafe.Is(c, NSAssertion, "AttributeStatement"):
			nAttr++
			if err := readAttributes(c, tok); err != nil {
				return nil, err
			}
		case xmlsafe.Is(c, NSAssertion, "AuthenticationStatement"):
			nAuthn++
			tok.AuthMethod = c.SelectAttrValue("AuthenticationMethod", "")
			if tok.AuthMethod == "" {
				return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "AuthenticationStatement without AuthenticationMethod")
			}
			if tok.AuthInstant, err = attrTime(c, "AuthenticationInstant"); err != nil {
				return nil, err
			}
		default:
			return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "unexpected %s in assertion", c.FullTag())
		}
		if xmlsafe.Is(c, NSAssertion, "AttributeStatement") || xmlsafe.Is(c, NSAssertion, "AuthenticationStatement") {
			s, err := readSubject(c, tok)
			if err != nil {
				return nil, err
			}
			subjects = append(subjects, s)
		}
	}
	if nAuthn != 1 || nAttr > 1 {
		return nil, xmlsig.Reject(xmlsig.FaultStructure, nil, "%d AuthenticationStatement (want 1), %d AttributeStatement (want at most 1)", nAuthn, nAttr)
	}
	for _, s := range subjects[1:] {
		if s != subjects[0] {
			return nil, xmlsig.Reject(xmlsig.FaultSubjectMismatch, nil, "statements name different subjects")
		}
	}
	return tok, nil
}

// readSubject returns a comparison key of the statement's Subject (every
// element, attribute and text in order) and fills NameID from it.
func readSubject(stmt *etree.Element, tok *Token) (string, error) {
	subj := xmlsafe.Children(stmt, NSAssertion, "Subject")
	if len(subj) != 1 {
		return "", xmlsig.Reject(xmlsig.FaultStructure, nil, "%s has %d Subjects, want 1", stmt.Tag, len(subj))
	}
	if n := xmlsafe.Children(subj[0], NSAssertion, "NameIdentifier"); len(n) == 1 {
		tok.NameID = n[0].Text()
		tok.NameIDFormat = n[0].SelectAttrValue("Format", "")
	}
	var b strings.Builder
	writeKey(&b, subj[0])
	return b.String(), nil
}

func writeKey(b *strings.Builder, el *etree.Element) {
	b.WriteString("<{" + el.NamespaceURI() + "}" + el.Tag)
	for _, a := range el.Attr {
		if a.Space != "xmlns" && a.Key != "xmlns" {
			b.WriteString(" " + a.Space + ":" + a.Key + "=" + a.Value)
		}
	}
	b.WriteString(">" + el.Text())
	for _, c := range el.ChildElements() {
		writeKey(b, c)
	}
	b.WriteString("</>")
}

func readAttributes(stmt *etree.Element, tok *Token) error {
	for _, at := range xmlsafe.Children(stmt, NSAssertion, "Attribute") {
		ns, name := at.SelectAttrValue("AttributeNamespace", ""), at.SelectAttrValue("AttributeName", "")
		if name == "" {
			return xmlsig.Reject(xmlsig.FaultStructure, nil, "Attribute without AttributeName")
		}
		c := claims.Claim{Type: ns + "/" + name}
		for _, v := range xmlsafe.Children(at, NSAssertion, "AttributeValue") {
			if len(v.ChildElements()) > 0 {
				return xmlsig.Reject(xmlsig.FaultStructure, nil, "structured AttributeValue in %s is not supported", xmltext.Clip(c.Type))
			}
			c.Values = append(c.Values, v.Text())
		}
		tok.Claims = append(tok.Claims, c)
	}
	return nil
}

// checkAudience requires want in every AudienceRestrictionCondition (SAML
// conditions all have to hold) and refuses conditions it does not know.
func checkAudience(a *etree.Element, want string) error {
	cond := xmlsafe.Children(a, NSAssertion, "Conditions")[0]
	n := 0
	for _, c := range cond.ChildElements() {
		switch {
		case xmlsafe.Is(c, NSAssertion, "AudienceRestrictionCondition"):
			n++
			found := false
			for _, aud := range xmlsafe.Children(c, NSAssertion, "Audience") {
				found = found || aud.Text() == want
			}
			if !found {
				return xmlsig.Reject(xmlsig.FaultAudience, nil, "audience %q not in AudienceRestrictionCondition", xmltext.Clip(want))
			}
		case xmlsafe.Is(c, NSAssertion, "DoNotCacheCondition"):
		default:
			return xmlsig.Reject(xmlsig.FaultStructure, nil, "unsupported condition %s", c.FullTag())
		}
	}
	if n == 0 {
		return xmlsig.Reject(xmlsig.FaultAudience, nil, "no AudienceRestrictionCondition")
	}
	return nil
}

func attrTime(el *etree.Element, name string) (time.Time, error) {
	v := el.SelectAttrValue(name, "")
	if v == "" {
		return time.Time{}, xmlsig.Reject(xmlsig.FaultStructure, nil, "%s@%s missing", el.Tag, name)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, xmlsig.Reject(xmlsig.FaultStructure, err, "%s@%s", el.Tag, name)
	}
	return t, nil
}
