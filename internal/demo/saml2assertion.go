package demo

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/templates"
)

// verifySigned checks el's enveloped signature with goxmldsig against the
// trusted certificates and returns the element as the signature covers
// it, the only one values may be read from. Before that it refuses what
// wrapping attacks rely on: an ID that occurs twice in the document, and
// a signature whose Reference is not exactly "#" + el's ID.
func verifySigned(doc *etree.Document, el *etree.Element, trusted []*x509.Certificate, now time.Time) (*etree.Element, error) {
	id := el.SelectAttrValue("ID", "")
	if id == "" {
		return nil, fmt.Errorf("%s has no ID to sign", el.Tag)
	}
	if n := countID(doc.Root(), id); n != 1 {
		return nil, fmt.Errorf("ID %q occurs %d times in the document", id, n)
	}
	sig := xmlsafe.Child(el, xmlsafe.NSDSig, "Signature")
	if sig == nil {
		return nil, fmt.Errorf("%s is not signed", el.Tag)
	}
	var refs []string
	for _, si := range xmlsafe.Children(sig, xmlsafe.NSDSig, "SignedInfo") {
		for _, ref := range xmlsafe.Children(si, xmlsafe.NSDSig, "Reference") {
			refs = append(refs, ref.SelectAttrValue("URI", ""))
		}
	}
	if len(refs) != 1 || refs[0] != "#"+id {
		return nil, fmt.Errorf("the signature references %q, want exactly \"#%s\"", refs, id)
	}
	if len(trusted) == 0 {
		return nil, errors.New("no trusted certificate")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: trusted})
	vc.IdAttribute = "ID"
	// goxmldsig judges the certificate's validity at this clock: ours.
	vc.Clock = dsig.NewFakeClockAt(now)
	signed, err := vc.Validate(el)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return signed, nil
}

// countID counts the elements of el's subtree with an ID attribute of
// value id.
func countID(el *etree.Element, id string) int {
	n := 0
	if el.SelectAttrValue("ID", "") == id {
		n++
	}
	for _, ch := range el.ChildElements() {
		n += countID(ch, id)
	}
	return n
}

// checkConditions checks the lifetime (NotOnOrAfter required) and that
// every AudienceRestriction names this SP (core §2.5.1.4: all must hold).
func checkConditions(c *checklist, a *etree.Element, w responseWant) bool {
	cond := xmlsafe.Child(a, nsAssertion, "Conditions")
	var err error
	var detail string
	if cond == nil {
		err = errors.New("no saml:Conditions: the assertion states no lifetime and no audience")
	} else {
		var nb, noa time.Time
		if nb, err = optionalTime(cond, "NotBefore"); err == nil {
			noa, err = requiredTime(cond, "NotOnOrAfter")
		}
		switch {
		case err != nil:
		case !nb.IsZero() && w.Now.Add(clockSkew).Before(nb):
			err = fmt.Errorf("not valid before %s (now %s)", nb.Format(timeLayout), w.Now.UTC().Format(timeLayout))
		case !w.Now.Add(-clockSkew).Before(noa):
			err = fmt.Errorf("expired at %s (now %s)", noa.Format(timeLayout), w.Now.UTC().Format(timeLayout))
		default:
			detail = nb.Format(timeLayout) + " – " + noa.Format(timeLayout)
		}
	}
	if !c.check("Conditions: NotBefore ≤ now < NotOnOrAfter", err, detail) {
		return false
	}
	ars := xmlsafe.Children(cond, nsAssertion, "AudienceRestriction")
	if len(ars) == 0 {
		err = errors.New("no AudienceRestriction: the assertion would be good at any service provider")
	}
	for _, ar := range ars {
		var seen []string
		for _, au := range xmlsafe.Children(ar, nsAssertion, "Audience") {
			seen = append(seen, au.Text())
		}
		if !slices.Contains(seen, w.EntityID) {
			err = fmt.Errorf("the assertion is for %q, not for %q", seen, w.EntityID)
			break
		}
	}
	return c.check("Audience = this service provider", err, w.EntityID)
}

// checkSubject reads the NameID and requires one bearer confirmation for
// this ACS and this request that has not expired (profiles §4.1.4.2).
func checkSubject(c *checklist, a *etree.Element, w responseWant, v *assertionValues) bool {
	subj := xmlsafe.Child(a, nsAssertion, "Subject")
	var err error
	if subj == nil {
		err = errors.New("no saml:Subject")
	} else if n := xmlsafe.Child(subj, nsAssertion, "NameID"); n == nil || n.Text() == "" {
		err = errors.New("no NameID (an EncryptedID cannot be read here)")
	} else {
		v.NameID, v.NameIDFormat = n.Text(), n.SelectAttrValue("Format", "")
	}
	if !c.check("Subject NameID", err, "") {
		return false
	}
	err = errors.New("no SubjectConfirmation with Method bearer")
	for _, sc := range xmlsafe.Children(subj, nsAssertion, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != methodBearer {
			continue
		}
		if err = checkBearer(xmlsafe.Child(sc, nsAssertion, "SubjectConfirmationData"), w); err == nil {
			break
		}
	}
	return c.check("bearer SubjectConfirmation: Recipient = ACS, InResponseTo, NotOnOrAfter", err, "")
}

func checkBearer(d *etree.Element, w responseWant) error {
	if d == nil {
		return errors.New("the bearer SubjectConfirmation has no SubjectConfirmationData")
	}
	if err := equal("Recipient", d.SelectAttrValue("Recipient", ""), w.ACS); err != nil {
		return err
	}
	if err := equal("InResponseTo", d.SelectAttrValue("InResponseTo", ""), w.RequestID); err != nil {
		return err
	}
	nb, err := optionalTime(d, "NotBefore")
	if err != nil {
		return err
	}
	noa, err := requiredTime(d, "NotOnOrAfter")
	switch {
	case err != nil:
		return err
	case !nb.IsZero() && w.Now.Add(clockSkew).Before(nb):
		return fmt.Errorf("the confirmation is not valid before %s", nb.Format(timeLayout))
	case !w.Now.Add(-clockSkew).Before(noa):
		return fmt.Errorf("the confirmation expired at %s (now %s)", noa.Format(timeLayout), w.Now.UTC().Format(timeLayout))
	}
	return nil
}

// checkAuthnStatement reads how and when the user signed in.
func checkAuthnStatement(c *checklist, a *etree.Element, now time.Time, v *assertionValues) bool {
	st := xmlsafe.Child(a, nsAssertion, "AuthnStatement")
	var err error
	if st == nil {
		err = errors.New("no AuthnStatement: the assertion does not say the user signed in")
	} else {
		var at, until time.Time
		if at, err = requiredTime(st, "AuthnInstant"); err == nil {
			until, err = optionalTime(st, "SessionNotOnOrAfter")
		}
		if err == nil && !until.IsZero() && !now.Add(-clockSkew).Before(until) {
			err = fmt.Errorf("the session ended at %s", until.Format(timeLayout))
		}
		v.AuthnInstant, v.SessionIndex = at.Format(timeLayout), st.SelectAttrValue("SessionIndex", "")
		if ctx := xmlsafe.Child(st, nsAssertion, "AuthnContext"); ctx != nil {
			if ref := xmlsafe.Child(ctx, nsAssertion, "AuthnContextClassRef"); ref != nil {
				v.ClassRef = ref.Text()
			}
		}
		if err == nil && v.ClassRef == "" {
			err = errors.New("no AuthnContextClassRef: the assertion does not say how the user signed in")
		}
	}
	return c.check("AuthnStatement", err, v.ClassRef)
}

// readAttributes lists the AttributeStatements' attributes in order.
func readAttributes(a *etree.Element) []templates.DemoClaim {
	var out []templates.DemoClaim
	for _, as := range xmlsafe.Children(a, nsAssertion, "AttributeStatement") {
		for _, at := range xmlsafe.Children(as, nsAssertion, "Attribute") {
			cl := templates.DemoClaim{Type: at.SelectAttrValue("Name", "")}
			for _, av := range xmlsafe.Children(at, nsAssertion, "AttributeValue") {
				cl.Values = append(cl.Values, av.Text())
			}
			out = append(out, cl)
		}
	}
	return out
}

func optionalTime(el *etree.Element, attr string) (time.Time, error) {
	v := el.SelectAttrValue(attr, "")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an xs:dateTime", attr, v)
	}
	return t.UTC(), nil
}

func requiredTime(el *etree.Element, attr string) (time.Time, error) {
	t, err := optionalTime(el, attr)
	if err == nil && t.IsZero() {
		err = fmt.Errorf("%s has no %s", el.Tag, attr)
	}
	return t, err
}
