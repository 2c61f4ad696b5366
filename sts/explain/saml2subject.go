package explain

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

func childText(el *etree.Element, ns, tag string) (string, bool) {
	if c := xmlsafe.Child(el, ns, tag); c != nil {
		return strings.TrimSpace(c.Text()), true
	}
	return "", false
}

// issuerCheck: the assertion's Issuer is required; the Response's is
// optional (core §3.2.2) but, when present, names the same party.
func (s *samlResponse) issuerCheck(opts Options) Check {
	const fix = "set every Issuer to claimgate's entityID, the claims provider trust's identifier"
	ri, hasRI := childText(s.base(), nsSAML2, "Issuer")
	var ai string
	if s.tok != nil {
		if ai = s.tok.issuer(); ai == "" {
			return fail(CheckIssuer, codeSAML, "the assertion has no Issuer", fix)
		}
	}
	switch {
	case hasRI && ai != "" && ri != ai:
		return fail(CheckIssuer, codeSAML, fmt.Sprintf("the Response's Issuer %q is not the assertion's %q", ri, ai), fix)
	case !hasRI && ai == "":
		return fail(CheckIssuer, codeSAML, "the error Response has no Issuer", fix)
	}
	got, of := ai, "assertion"
	switch {
	case ai == "":
		got, of = ri, "Response"
	case hasRI:
		of = "Response and assertion"
	}
	switch {
	case opts.ExpectedIssuer == "":
		return skip(CheckIssuer, fmt.Sprintf("issuer %q (%s); no expected issuer given", got, of))
	case got != opts.ExpectedIssuer:
		return fail(CheckIssuer, codeSAML, fmt.Sprintf("issuer %q (%s), the claims provider trust's identifier is %q", got, of, opts.ExpectedIssuer), fix)
	}
	return pass(CheckIssuer, fmt.Sprintf("issuer %q matches (%s)", got, of))
}

// destinationCheck: Destination is required on a signed Response
// (bindings §3.5.5.2) and must be the ACS the Response was posted to.
func (s *samlResponse) destinationCheck(opts Options) Check {
	d := s.base().SelectAttrValue("Destination", "")
	switch {
	case d == "" && s.resp.sig != nil:
		return fail(CheckDestination, codeSAML, "the Response is signed but has no Destination (required, SAML bindings §3.5.5.2)", "set Destination to the ACS URL the Response is posted to")
	case d == "":
		return skip(CheckDestination, "no Destination (optional on an unsigned Response)")
	case opts.ExpectedDestination == "":
		return skip(CheckDestination, fmt.Sprintf("Destination %q; no expected ACS given (--acs)", d))
	case d != opts.ExpectedDestination:
		return fail(CheckDestination, codeSAML, fmt.Sprintf("Destination %q is not the assertion consumer service %q", d, opts.ExpectedDestination),
			"post the Response to the ACS registered for the service provider (acs_url, or its metadata) and name that URL, exactly, in Destination")
	}
	return pass(CheckDestination, fmt.Sprintf("Destination %q is the ACS", d))
}

// confirmationData is the bearer SubjectConfirmationData, or nil.
func (s *samlResponse) confirmationData() *etree.Element {
	if s.tok == nil {
		return nil
	}
	subj := xmlsafe.Child(s.tok.assertion, nsSAML2, "Subject")
	if subj == nil {
		return nil
	}
	for _, sc := range xmlsafe.Children(subj, nsSAML2, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") == saml2.ConfirmationBearer {
			return xmlsafe.Child(sc, nsSAML2, "SubjectConfirmationData")
		}
	}
	return nil
}

// inResponseToCheck: the Response and its bearer confirmation answer the
// same request, the one AD FS sent when it is known.
func (s *samlResponse) inResponseToCheck(opts Options) Check {
	const fix = "copy the AuthnRequest's ID into the Response's InResponseTo and the SubjectConfirmationData's"
	r := s.base().SelectAttrValue("InResponseTo", "")
	ids := []string{"Response " + quoteOrNone(r)}
	c := r
	if scd := s.confirmationData(); scd != nil {
		sc := scd.SelectAttrValue("InResponseTo", "")
		ids = append(ids, "SubjectConfirmationData "+quoteOrNone(sc))
		if sc != r {
			return fail(CheckInResponseTo, codeSAML, "InResponseTo differs: "+strings.Join(ids, ", "), fix)
		}
	}
	switch {
	case c == "" && opts.ExpectedRequestID != "":
		return fail(CheckInResponseTo, codeSAML, fmt.Sprintf("no InResponseTo; the request's ID was %q (an unsolicited Response)", opts.ExpectedRequestID), fix)
	case c == "":
		return pass(CheckInResponseTo, "no InResponseTo: an unsolicited (IdP-initiated) Response; AD FS expects an answer to its own AuthnRequest")
	case opts.ExpectedRequestID == "":
		return skip(CheckInResponseTo, "InResponseTo "+strings.Join(ids, ", ")+", consistent; no request ID given (--request-id)")
	case c != opts.ExpectedRequestID:
		return fail(CheckInResponseTo, codeSAML, fmt.Sprintf("InResponseTo %q is not the request's ID %q", c, opts.ExpectedRequestID), fix)
	}
	return pass(CheckInResponseTo, fmt.Sprintf("InResponseTo %q is the request's ID (%s)", c, strings.Join(ids, ", ")))
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

// confirmationCheck is the bearer rule (profiles §4.1.4.2): a bearer
// SubjectConfirmationData with Recipient = the ACS, NotOnOrAfter in the
// future and no NotBefore.
func (s *samlResponse) confirmationCheck(opts Options, now time.Time, skew time.Duration) Check {
	const fix = "emit SubjectConfirmation Method=bearer with SubjectConfirmationData Recipient (the ACS), InResponseTo and NotOnOrAfter (a few minutes ahead), and no NotBefore"
	scd := s.confirmationData()
	if scd == nil {
		return fail(CheckConfirmation, codeSAML, "no bearer SubjectConfirmation with SubjectConfirmationData", fix)
	}
	rcpt, na := scd.SelectAttrValue("Recipient", ""), scd.SelectAttrValue("NotOnOrAfter", "")
	want := opts.ExpectedDestination
	if want == "" {
		want = s.base().SelectAttrValue("Destination", "")
	}
	switch {
	case rcpt == "":
		return fail(CheckConfirmation, codeSAML, "SubjectConfirmationData has no Recipient", fix)
	case want != "" && rcpt != want:
		return fail(CheckConfirmation, codeSAML, fmt.Sprintf("Recipient %q is not the ACS %q", rcpt, want), fix)
	case scd.SelectAttr("NotBefore") != nil:
		return fail(CheckConfirmation, codeSAML, "bearer SubjectConfirmationData has NotBefore, which the Web SSO profile forbids", fix)
	case na == "":
		return fail(CheckConfirmation, codeSAML, "SubjectConfirmationData has no NotOnOrAfter", fix)
	}
	t, err := parseTime(na)
	switch {
	case err != nil:
		return fail(CheckConfirmation, codeSAML, fmt.Sprintf("NotOnOrAfter %q is not an xs:dateTime", na), fix)
	case !now.Add(-skew).Before(t):
		return fail(CheckConfirmation, codeSAML, fmt.Sprintf("the bearer confirmation expired: NotOnOrAfter %s, now %s, skew allowed %s", na, now.UTC().Format(time.RFC3339), skew),
			"synchronise the clocks (NTP) and post the Response promptly")
	}
	return pass(CheckConfirmation, fmt.Sprintf("bearer, Recipient %q, NotOnOrAfter %s", rcpt, na))
}

// samlAudienceCheck: every AudienceRestriction must name the service
// provider (core §2.5.1.4: each restriction must be met, any Audience in
// it meets it).
func samlAudienceCheck(t *token, opts Options) Check {
	cond := xmlsafe.Child(t.assertion, nsSAML2, "Conditions")
	var restrictions [][]string
	if cond != nil {
		for _, ar := range xmlsafe.Children(cond, nsSAML2, "AudienceRestriction") {
			var auds []string
			for _, a := range xmlsafe.Children(ar, nsSAML2, "Audience") {
				auds = append(auds, strings.TrimSpace(a.Text()))
			}
			restrictions = append(restrictions, auds)
		}
	}
	const fix = "set Audience to the service provider's entity ID (AD FS: its identifier, http://<adfs>/adfs/services/trust)"
	switch {
	case len(restrictions) == 0:
		return fail(CheckAudience, codeSAML, "no AudienceRestriction: the assertion would be good at any service provider", fix)
	case opts.ExpectedAudience == "":
		return skip(CheckAudience, fmt.Sprintf("audience %v; no expected AD FS identifier given", restrictions))
	}
	for _, auds := range restrictions {
		if !slices.Contains(auds, opts.ExpectedAudience) {
			return fail(CheckAudience, codeSAML, fmt.Sprintf("an AudienceRestriction names %q, not the AD FS identifier %q", strings.Join(auds, ", "), opts.ExpectedAudience), fix)
		}
	}
	return pass(CheckAudience, fmt.Sprintf("audience %q is the AD FS identifier", opts.ExpectedAudience))
}

func samlAuthnCheck(t *token) Check {
	const fix = "emit one AuthnStatement with AuthnInstant, SessionIndex and AuthnContextClassRef (multipleauthn after a second factor)"
	sts, ref := t.authn()
	if len(sts) != 1 {
		return fail(CheckAuthnStatement, codeSAML, fmt.Sprintf("%d AuthnStatement elements; exactly one is expected", len(sts)), fix)
	}
	at, si := sts[0].SelectAttrValue("AuthnInstant", ""), sts[0].SelectAttrValue("SessionIndex", "")
	switch {
	case at == "" || ref == "":
		return fail(CheckAuthnStatement, codeSAML, "AuthnStatement lacks AuthnInstant or AuthnContextClassRef", fix)
	case si == "":
		return fail(CheckAuthnStatement, codeSAML, "AuthnStatement has no SessionIndex: AD FS cannot send a LogoutRequest for this session", fix)
	}
	if _, err := parseTime(at); err != nil {
		return fail(CheckAuthnStatement, codeSAML, fmt.Sprintf("AuthnInstant %q is not an xs:dateTime", at), fix)
	}
	mfa := ""
	if ref == claims.MultipleAuthn {
		mfa = " (a second factor was used)"
	}
	return pass(CheckAuthnStatement, fmt.Sprintf("AuthnInstant %s, SessionIndex %q, class %s%s", at, si, ref, mfa))
}

func nameIDCheck(t *token) Check {
	const fix = "emit Subject/NameID with a value and one of the formats AD FS offers"
	subj := xmlsafe.Child(t.assertion, nsSAML2, "Subject")
	if subj == nil {
		return fail(CheckNameID, codeSAML, "the assertion has no Subject", fix)
	}
	n := xmlsafe.Child(subj, nsSAML2, "NameID")
	if n == nil {
		if xmlsafe.Child(subj, nsSAML2, "EncryptedID") != nil {
			return skip(CheckNameID, "the NameID is encrypted (EncryptedID)")
		}
		return fail(CheckNameID, "364/MSIS7070", "the Subject has no NameID", fix)
	}
	format := n.SelectAttrValue("Format", saml2.NameIDUnspecified)
	v := strings.TrimSpace(n.Text())
	switch {
	case v == "":
		return fail(CheckNameID, "364/MSIS7070", "the NameID is empty", fix)
	case !slices.Contains(saml2.NameIDFormats(), format):
		return fail(CheckNameID, "364/MSIS7070", fmt.Sprintf("NameID format %q is none of unspecified, emailAddress, persistent, transient", format), fix)
	}
	return pass(CheckNameID, fmt.Sprintf("NameID %q, format %s (AD FS makes it the Name ID claim)", v, format))
}

// isSID reports whether s is a SID in string form: S-1-<authority>-<sub>...
func isSID(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 4 || parts[0] != "S" || parts[1] != "1" {
		return false
	}
	for _, p := range parts[2:] {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// attributesCheck: AD FS makes each attribute's Name the claim type, so
// the names must be the claim URIs; primarysid must be a SID and upn there.
func attributesCheck(t *token) Check {
	var bad []string
	seen := map[string]bool{}
	for _, st := range xmlsafe.Children(t.assertion, nsSAML2, "AttributeStatement") {
		for _, a := range xmlsafe.Children(st, nsSAML2, "Attribute") {
			name := a.SelectAttrValue("Name", "")
			seen[name] = true
			if u, err := url.Parse(name); err != nil || !u.IsAbs() {
				bad = append(bad, fmt.Sprintf("attribute name %q is not a claim type URI", name))
			}
			if nf := a.SelectAttrValue("NameFormat", saml2.AttrNameFormatURI); nf != saml2.AttrNameFormatURI {
				bad = append(bad, fmt.Sprintf("attribute %q has NameFormat %q, not uri", name, nf))
			}
			if name == claims.PrimarySID {
				for _, v := range xmlsafe.Children(a, nsSAML2, "AttributeValue") {
					if !isSID(strings.TrimSpace(v.Text())) {
						bad = append(bad, fmt.Sprintf("primarysid %q is not a SID (S-1-5-21-…)", v.Text()))
					}
				}
			}
		}
	}
	if !seen[claims.UPN] {
		bad = append(bad, "no upn attribute; most relying parties (Office 365, Exchange, Skype) need it")
	}
	if len(bad) > 0 {
		return fail(CheckAttributes, codeSAML, strings.Join(bad, "; "), "issue each claim as an Attribute whose Name is the claim URI, NameFormat uri (claims.issue)")
	}
	return pass(CheckAttributes, fmt.Sprintf("%d attributes with claim URI names; upn present", len(seen)))
}
