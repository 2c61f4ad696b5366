package demo

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/templates"
)

// responseWant is what a Response at the ACS must match.
type responseWant struct {
	IdP, EntityID, ACS string
	// RequestID and RelayState are the pending request's, from the
	// browser's cookie ("" when it has none); GotRelayState came with
	// the Response.
	RequestID, RelayState, GotRelayState string
	Trusted                              []*x509.Certificate
	Now                                  time.Time
}

// received is what verifyResponse found: the checks in the order made,
// the status of an error Response, and the assertion's values only when
// every check passed.
type received struct {
	checks                checklist
	status, statusMessage string
	assertion             *assertionValues
}

// assertionValues are read from the verified assertion only.
type assertionValues struct {
	Issuer, Audience       string
	NameID, NameIDFormat   string
	SessionIndex, ClassRef string
	AuthnInstant           string
	Attributes             []templates.DemoClaim
}

// verifyResponse checks a samlp:Response as a careful SP does, in the
// order that trusts nothing before it is proven: the XML gate, the
// Response's signature when it has one, its Destination, InResponseTo,
// RelayState, Issuer and Status, then exactly one assertion, its
// signature, and from the signed assertion alone its Issuer, Audience,
// Conditions window, bearer confirmation and AuthnStatement.
//
// It uses nothing of claimgate's identity-provider code: the gate and
// element lookups of sts/xmlsafe, goxmldsig for the signatures, and its
// own reading of the SAML specification.
func verifyResponse(raw []byte, w responseWant) *received {
	got := &received{}
	c := &got.checks
	doc, err := xmlsafe.Read(raw, xmlsafe.DefaultMaxBytes)
	var root *etree.Element
	if err == nil {
		root = doc.Root()
		err = isMessage(root, nsProtocol, "Response")
	}
	if !c.check("the Response passes the XML gate (size, no DOCTYPE, comment or CDATA, round trip)", err, "") {
		return got
	}
	root, ok := checkMessageSignature(c, doc, root, w.Trusted, w.Now)
	if !ok || !checkMessageHeader(c, root, w.ACS, w.IdP, w.RequestID) {
		return got
	}
	if !c.check("RelayState returned unchanged", equal("RelayState", w.GotRelayState, w.RelayState), "") {
		return got
	}
	if !checkStatus(c, root, got) {
		return got
	}
	a, ok := checkAssertion(c, doc, root, w)
	if ok {
		got.assertion = a
	}
	return got
}

// checkMessageSignature verifies the message's own enveloped signature,
// when it has one, and returns the element to read from: the signed one,
// or root when the message is unsigned (a Response whose assertion is
// signed need not be).
func checkMessageSignature(c *checklist, doc *etree.Document, root *etree.Element, trusted []*x509.Certificate, now time.Time) (*etree.Element, bool) {
	const name = "message signature by claimgate's certificate"
	switch len(xmlsafe.Children(root, xmlsafe.NSDSig, "Signature")) {
	case 0:
		return root, c.check(name, nil, "not signed (the assertion's own signature is checked below)")
	case 1:
		signed, err := verifySigned(doc, root, trusted, now)
		return signed, c.check(name, err, "signed")
	default:
		return nil, c.check(name, errors.New("more than one ds:Signature"), "")
	}
}

// checkMessageHeader checks what every answer from claimgate carries:
// Destination = our endpoint, InResponseTo = the request this browser
// sent, and the Issuer (optional on a message, but then it must be
// claimgate).
func checkMessageHeader(c *checklist, root *etree.Element, endpoint, idp, requestID string) bool {
	if !c.check("Destination = this endpoint", equal("Destination", root.SelectAttrValue("Destination", ""), endpoint), endpoint) {
		return false
	}
	var err error
	if requestID == "" {
		err = errors.New("this browser has no request waiting for an answer (the request cookie is gone: answered already, or sent from another browser)")
	} else {
		err = equal("InResponseTo", root.SelectAttrValue("InResponseTo", ""), requestID)
	}
	if !c.check("InResponseTo = the request this browser sent", err, requestID) {
		return false
	}
	switch iss := xmlsafe.Children(root, nsAssertion, "Issuer"); len(iss) {
	case 0:
		return c.check("Issuer = claimgate", nil, "absent (optional on the message; the assertion's is required)")
	case 1:
		return c.check("Issuer = claimgate", equal("Issuer", iss[0].Text(), idp), idp)
	default:
		return c.check("Issuer = claimgate", errors.New("more than one saml:Issuer"), "")
	}
}

// checkStatus requires Status Success. Anything else is an error
// Response, whose status and message are kept to be shown as such; a
// second-level code under Success (PartialLogout) is shown as detail.
func checkStatus(c *checklist, root *etree.Element, got *received) bool {
	code, sub, msg := readStatus(root)
	if code == statusSuccess {
		return c.check("Status Success", nil, sub)
	}
	got.status, got.statusMessage = code, msg
	if code == "" {
		got.status = "(none)"
	}
	if sub != "" {
		got.status += " / " + sub
	}
	return c.check("Status Success", fmt.Errorf("status %s", got.status), "")
}

// readStatus returns the top-level and second-level status codes and the
// StatusMessage.
func readStatus(root *etree.Element) (code, sub, msg string) {
	st := xmlsafe.Child(root, nsProtocol, "Status")
	if st == nil {
		return "", "", ""
	}
	if sc := xmlsafe.Child(st, nsProtocol, "StatusCode"); sc != nil {
		code = sc.SelectAttrValue("Value", "")
		if sc2 := xmlsafe.Child(sc, nsProtocol, "StatusCode"); sc2 != nil {
			sub = sc2.SelectAttrValue("Value", "")
		}
	}
	if m := xmlsafe.Child(st, nsProtocol, "StatusMessage"); m != nil {
		msg = m.Text()
	}
	return code, sub, msg
}

// checkAssertion finds the one assertion, verifies its signature and
// checks it; every value comes from the element the signature covers.
func checkAssertion(c *checklist, doc *etree.Document, root *etree.Element, w responseWant) (*assertionValues, bool) {
	var err error
	all := descendants(doc.Root(), nsAssertion, "Assertion")
	direct := xmlsafe.Children(root, nsAssertion, "Assertion")
	switch {
	case len(descendants(doc.Root(), nsAssertion, "EncryptedAssertion")) > 0:
		err = errors.New("the assertion is encrypted; this service provider has no decryption key")
	case len(all) != 1 || len(direct) != 1:
		// A second assertion, wherever it hides, is how signature wrapping
		// works: one is signed, another is read.
		err = fmt.Errorf("the Response holds %d assertions (%d as its children); exactly one, a child of the Response, is accepted", len(all), len(direct))
	}
	if !c.check("exactly one assertion, not encrypted", err, "") {
		return nil, false
	}
	a, err := xmlsafe.Detach(direct[0])
	if err == nil {
		if n := len(xmlsafe.Children(a, xmlsafe.NSDSig, "Signature")); n != 1 {
			err = fmt.Errorf("the assertion has %d ds:Signature children, want 1", n)
		} else {
			a, err = verifySigned(doc, a, w.Trusted, w.Now)
		}
	}
	if !c.check("assertion signature by claimgate's certificate", err, "values below are read from the signed assertion only") {
		return nil, false
	}
	v := &assertionValues{Audience: w.EntityID}
	if iss := xmlsafe.Child(a, nsAssertion, "Issuer"); iss == nil {
		err = errors.New("the assertion has no saml:Issuer")
	} else {
		v.Issuer, err = iss.Text(), equal("Issuer", iss.Text(), w.IdP)
	}
	if !c.check("assertion Issuer = claimgate", err, w.IdP) {
		return nil, false
	}
	if !checkConditions(c, a, w) || !checkSubject(c, a, w, v) || !checkAuthnStatement(c, a, w.Now, v) {
		return nil, false
	}
	v.Attributes = readAttributes(a)
	return v, true
}

// descendants returns every element {ns}tag in el's subtree, el included.
func descendants(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	if xmlsafe.Is(el, ns, tag) {
		out = append(out, el)
	}
	for _, ch := range el.ChildElements() {
		out = append(out, descendants(ch, ns, tag)...)
	}
	return out
}

func isMessage(el *etree.Element, ns, tag string) error {
	if !xmlsafe.Is(el, ns, tag) {
		return fmt.Errorf("the document is %s, want {%s}%s", el.FullTag(), ns, tag)
	}
	if v := el.SelectAttrValue("Version", ""); v != "2.0" {
		return fmt.Errorf("Version %q, want 2.0", v)
	}
	return nil
}

func equal(what, got, want string) error {
	if got != want {
		return fmt.Errorf("%s is %q, want %q", what, got, want)
	}
	return nil
}

// checklist records checks in order and stops at the first failure: a
// later check would read data an earlier one did not prove.
type checklist struct {
	list   []templates.DemoCheck
	failed bool
}

// check records one result and reports whether it passed. After a
// failure it records nothing more.
func (c *checklist) check(name string, err error, detail string) bool {
	if c.failed {
		return false
	}
	if err != nil {
		c.failed = true
		c.list = append(c.list, templates.DemoCheck{Name: name, Detail: err.Error()})
		return false
	}
	c.list = append(c.list, templates.DemoCheck{Name: name, OK: true, Detail: detail})
	return true
}
