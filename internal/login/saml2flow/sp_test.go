package saml2flow_test

import (
	"crypto/x509"
	"encoding/base64"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// samlAnswer is what the test SP reads from a posted SAMLResponse.
type samlAnswer struct {
	xml                                   []byte
	status, subStatus                     string
	destination, inResponseTo, issuer     string
	audience, recipient, confirmIRT       string
	nameID, nameIDFormat, classRef        string
	attrs                                 map[string][]string
	relayState                            string
	assertionSignedByUs, responseSignedOK bool
}

// readResponse plays the SP: the form must go to action; the Response is
// read through the untrusted-XML gate, its signatures checked by xmlsec1
// and by xmlsig against the IdP certificate, and values are read from the
// signed elements only.
func (e *env) readResponse(t testing.TB, ap autoPost, action string) samlAnswer {
	t.Helper()
	if ap.action != action {
		t.Fatalf("form posts to %q, want %q", ap.action, action)
	}
	raw, err := base64.StdEncoding.DecodeString(ap.fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatalf("SAMLResponse: %v", err)
	}
	root, err := xmlsig.ReadUntrusted(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := samlAnswer{xml: raw, relayState: ap.fields.Get("RelayState"), attrs: map[string][]string{}}
	trust := xmlsig.Trust{Certs: []*x509.Certificate{e.idp.Certificate}, Now: e.clk.Now}
	layout := func(name string) xmlsig.Layout {
		return xmlsig.Layout{Name: name, IDAttr: "ID", Place: xmlsig.PlaceAfter, AfterNS: saml2.NSAssertion, AfterTag: "Issuer"}
	}
	msg := root
	if ch(root, xmlsafe.NSDSig, "Signature") != nil {
		v, err := xmlsig.Verify(root, layout("response"), trust)
		if err != nil {
			t.Fatalf("Response signature: %v", err)
		}
		msg, a.responseSignedOK = v.Element, true
		if out, ok := testutil.XMLSecVerify(t, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response", e.certPEM(t)); !ok {
			t.Fatalf("xmlsec1 refuses the Response signature:\n%s", out)
		}
	}
	a.destination, a.inResponseTo = msg.SelectAttrValue("Destination", ""), msg.SelectAttrValue("InResponseTo", "")
	a.issuer = text(ch(msg, saml2.NSAssertion, "Issuer"))
	if sc := ch(ch(msg, saml2.NSProtocol, "Status"), saml2.NSProtocol, "StatusCode"); sc != nil {
		a.status = sc.SelectAttrValue("Value", "")
		if sub := ch(sc, saml2.NSProtocol, "StatusCode"); sub != nil {
			a.subStatus = sub.SelectAttrValue("Value", "")
		}
	}
	as := ch(msg, saml2.NSAssertion, "Assertion")
	if as == nil {
		return a
	}
	detached, err := xmlsafe.Detach(as)
	if err != nil {
		t.Fatal(err)
	}
	v, err := xmlsig.Verify(detached, layout("assertion"), trust)
	if err != nil {
		t.Fatalf("assertion signature: %v", err)
	}
	a.assertionSignedByUs = true
	if out, ok := testutil.XMLSecVerify(t, raw, "--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "+
		"--node-xpath /*/*[local-name()='Assertion']/*[local-name()='Signature']", e.certPEM(t)); !ok {
		t.Fatalf("xmlsec1 refuses the assertion signature:\n%s", out)
	}
	el := v.Element
	subj := ch(el, saml2.NSAssertion, "Subject")
	n := ch(subj, saml2.NSAssertion, "NameID")
	a.nameID, a.nameIDFormat = text(n), attr(n, "Format")
	cd := ch(ch(subj, saml2.NSAssertion, "SubjectConfirmation"), saml2.NSAssertion, "SubjectConfirmationData")
	a.recipient, a.confirmIRT = attr(cd, "Recipient"), attr(cd, "InResponseTo")
	a.audience = text(ch(ch(ch(el, saml2.NSAssertion, "Conditions"), saml2.NSAssertion, "AudienceRestriction"), saml2.NSAssertion, "Audience"))
	an := ch(el, saml2.NSAssertion, "AuthnStatement")
	a.classRef = text(ch(ch(an, saml2.NSAssertion, "AuthnContext"), saml2.NSAssertion, "AuthnContextClassRef"))
	for _, at := range chs(ch(el, saml2.NSAssertion, "AttributeStatement"), saml2.NSAssertion, "Attribute") {
		for _, v := range chs(at, saml2.NSAssertion, "AttributeValue") {
			a.attrs[attr(at, "Name")] = append(a.attrs[attr(at, "Name")], v.Text())
		}
	}
	return a
}

func text(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return el.Text()
}

func attr(el *etree.Element, name string) string {
	if el == nil {
		return ""
	}
	return el.SelectAttrValue(name, "")
}

// ch and chs are xmlsafe.Child and Children that let a missing parent
// through as nil, so a malformed answer fails the assertions, not the
// test binary.
func ch(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	return xmlsafe.Child(el, ns, tag)
}

func chs(el *etree.Element, ns, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	return xmlsafe.Children(el, ns, tag)
}

// decodeMessage reads a posted SAMLResponse through the gate.
func decodeMessage(t testing.TB, ap autoPost) ([]byte, *etree.Element) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(ap.fields.Get("SAMLResponse"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := xmlsig.ReadUntrusted(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	return raw, root
}

func xmlsecVerify(t testing.TB, e *env, doc []byte, idAttr string) (string, bool) {
	t.Helper()
	return testutil.XMLSecVerify(t, doc, idAttr, e.certPEM(t))
}
