package explain

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

func versionCheck(t *token) Check {
	a := t.assertion
	if t.version == "2.0" {
		if v := a.SelectAttrValue("Version", ""); v != "2.0" {
			return fail(CheckVersion, "364/MSIS7000", fmt.Sprintf("SAML 2.0 assertion with Version=%q", v), `set Version="2.0"`)
		}
		return pass(CheckVersion, "SAML 2.0 (AD FS accepts it on a SAML-profile claims provider trust; WS-Fed carries SAML 1.1)")
	}
	maj, min := a.SelectAttrValue("MajorVersion", ""), a.SelectAttrValue("MinorVersion", "")
	if maj != "1" || min != "1" {
		return fail(CheckVersion, "364/MSIS7000", fmt.Sprintf("MajorVersion=%q MinorVersion=%q; AD FS requires SAML 1.1", maj, min),
			`set MajorVersion="1" MinorVersion="1"`)
	}
	return pass(CheckVersion, "SAML 1.1 (MajorVersion=1, MinorVersion=1)")
}

// isNCName reports whether s is an xs:ID / NCName: a letter or underscore, then
// letters, digits, '.', '-', '_' (combining marks and extenders allowed too).
func isNCName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '.' || r == '-' || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Lm, r)):
		default:
			return false
		}
	}
	return true
}

func idCheck(t *token) Check {
	id := t.assertion.SelectAttrValue(t.idAttr, "")
	switch {
	case id == "":
		return fail(CheckAssertionID, "364/MSIS7000", t.idAttr+" is missing", "use \"_\" followed by a UUID, as AD FS does")
	case !isNCName(id):
		why := "is not an NCName"
		if c := id[0]; c >= '0' && c <= '9' {
			why = "starts with a digit, so it is not an xs:ID (NCName)"
		}
		return fail(CheckAssertionID, "364/MSIS7000", fmt.Sprintf("%s %q %s; AD FS rejects such assertions", t.idAttr, id, why),
			"use \"_\" followed by a UUID, as AD FS does")
	}
	return pass(CheckAssertionID, fmt.Sprintf("%s %q is an NCName", t.idAttr, id))
}

func issuerCheck(t *token, opts Options) Check {
	got := t.issuer()
	switch {
	case got == "":
		return fail(CheckIssuer, "364/ID4175", "the assertion has no Issuer", "set Issuer to claimgate's entityID")
	case opts.ExpectedIssuer == "":
		return skip(CheckIssuer, fmt.Sprintf("issuer %q; no expected issuer given", got))
	case got != opts.ExpectedIssuer:
		return fail(CheckIssuer, "364/ID4175", fmt.Sprintf("issuer %q, the claims provider trust's identifier is %q", got, opts.ExpectedIssuer),
			"keep Issuer, the metadata entityID and the trust Identifier identical")
	}
	return pass(CheckIssuer, fmt.Sprintf("issuer %q matches", got))
}

func audienceChecks(t *token, opts Options) []Check {
	conds, auds := t.audiences()
	var out []Check
	if conds == 1 && len(auds) == 1 {
		out = append(out, pass(CheckAudienceCount, "one audience restriction with one Audience"))
	} else {
		out = append(out, fail(CheckAudienceCount, "364/MSIS7000",
			fmt.Sprintf("%d audience restriction condition(s) holding %d Audience element(s); exactly one of each is required (MWBF 2.2.4.2)", conds, len(auds)),
			"emit one AudienceRestrictionCondition with one Audience: the wtrealm AD FS sent"))
	}
	switch {
	case len(auds) == 0:
		out = append(out, fail(CheckAudience, "364/ID1038", "no Audience", "set Audience to the AD FS identifier (wtrealm)"))
	case opts.ExpectedAudience == "":
		out = append(out, skip(CheckAudience, fmt.Sprintf("audience %q; no expected AD FS identifier given", auds[0])))
	case !contains(auds, opts.ExpectedAudience):
		out = append(out, fail(CheckAudience, "364/ID1038", fmt.Sprintf("audience %q is not the AD FS identifier %q", strings.Join(auds, ", "), opts.ExpectedAudience),
			"copy wtrealm verbatim (scheme and case included) into Audience; the AD FS identifier is the entityID of its metadata"))
	default:
		out = append(out, pass(CheckAudience, fmt.Sprintf("audience %q is the AD FS identifier", opts.ExpectedAudience)))
	}
	switch {
	case t.rstr == nil:
		out = append(out, skip(CheckAppliesTo, "no RSTR"))
	case t.appliesTo == nil:
		out = append(out, skip(CheckAppliesTo, "no AppliesTo (optional)"))
	case len(auds) == 0 || *t.appliesTo != auds[0]:
		out = append(out, fail(CheckAppliesTo, "364/MSIS7000", fmt.Sprintf("AppliesTo %q does not duplicate the Audience %q (MWBF 2.2.4.1)", *t.appliesTo, strings.Join(auds, ", ")),
			"write the same wtrealm into AppliesTo/EndpointReference/Address and Audience"))
	default:
		out = append(out, pass(CheckAppliesTo, "AppliesTo equals the Audience"))
	}
	return out
}

func parseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
}

func lifetimeCheck(t *token, now time.Time, skew time.Duration) Check {
	cond := xmlsafe.Child(t.assertion, t.ns(), "Conditions")
	if cond == nil {
		return fail(CheckLifetime, "364/ID4148", "no Conditions element", "emit Conditions with NotBefore and NotOnOrAfter")
	}
	nbS, naS := cond.SelectAttrValue("NotBefore", ""), cond.SelectAttrValue("NotOnOrAfter", "")
	if nbS == "" || naS == "" {
		return fail(CheckLifetime, "364/MSIS7000", "Conditions lacks NotBefore or NotOnOrAfter; both are required (MWBF 2.2.4.2)", "set both, in UTC with a Z")
	}
	nb, err1 := parseTime(nbS)
	na, err2 := parseTime(naS)
	if err1 != nil || err2 != nil {
		return fail(CheckLifetime, "364/MSIS7000", fmt.Sprintf("NotBefore %q / NotOnOrAfter %q are not xs:dateTime", nbS, naS), "use YYYY-MM-DDThh:mm:ss.fffZ")
	}
	window := fmt.Sprintf("valid %s .. %s, now %s, skew allowed %s", nbS, naS, now.UTC().Format(time.RFC3339), skew)
	switch {
	case now.Add(skew).Before(nb):
		return fail(CheckLifetime, "364/ID4148", "not yet valid: "+window, "synchronise clocks (NTP) and back-date NotBefore by 2-5 minutes")
	case !now.Add(-skew).Before(na):
		return fail(CheckLifetime, "364/ID4148", "expired: "+window, "synchronise clocks (NTP); post the token promptly; keep NotOnOrAfter 10-60 minutes ahead")
	}
	return pass(CheckLifetime, window)
}

func authnCheck(t *token) Check {
	tag, method, instant := "AuthenticationStatement", "AuthenticationMethod", "AuthenticationInstant"
	if t.version == "2.0" {
		tag, method, instant = "AuthnStatement", "AuthnContextClassRef", "AuthnInstant"
	}
	sts, m := t.authn()
	if len(sts) != 1 {
		return fail(CheckAuthnStatement, "364/MSIS7000", fmt.Sprintf("%d %s elements; exactly one is required", len(sts), tag),
			"emit one "+tag+" with the method AD FS asked for (wauth) and the sign-in instant")
	}
	in := sts[0].SelectAttrValue(instant, "")
	if m == "" || in == "" {
		return fail(CheckAuthnStatement, "364/MSIS7000", fmt.Sprintf("%s lacks %s or %s", tag, method, instant), "set both")
	}
	return pass(CheckAuthnStatement, fmt.Sprintf("%s %s at %s", tag, m, in))
}

// subjectsCheck compares the statements' Subjects canonically: WIF builds one
// identity per distinct Subject, so a mismatch splits the user in two.
func subjectsCheck(t *token) Check {
	if t.version == "2.0" {
		if xmlsafe.Child(t.assertion, nsSAML2, "Subject") == nil {
			return fail(CheckSubjects, "364/MSIS7070", "the assertion has no Subject", "emit Subject/NameID")
		}
		return pass(CheckSubjects, "one Subject (SAML 2.0)")
	}
	var forms []string
	for _, st := range t.assertion.ChildElements() {
		if st.NamespaceURI() != nsSAML11 || !strings.HasSuffix(st.Tag, "Statement") {
			continue
		}
		s := xmlsafe.Child(st, nsSAML11, "Subject")
		if s == nil {
			return fail(CheckSubjects, "364/MSIS7000", st.Tag+" has no Subject", "give every statement the same Subject")
		}
		forms = append(forms, canonical(s))
	}
	if len(forms) == 0 {
		return fail(CheckSubjects, "364/MSIS7000", "no statement carries a Subject", "emit the Subject in each statement")
	}
	for _, f := range forms[1:] {
		if f != forms[0] {
			return fail(CheckSubjects, "", "the statements' Subjects differ; AD FS (WIF) then builds two identities and the rules see the claims split between them",
				"write byte-for-byte the same Subject (NameIdentifier, Format, SubjectConfirmation) in every statement")
		}
	}
	return pass(CheckSubjects, fmt.Sprintf("%d statement Subject(s), identical", len(forms)))
}

func canonical(el *etree.Element) string {
	d, err := xmlsafe.Detach(el)
	if err != nil {
		return el.Text()
	}
	b, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(d)
	if err != nil {
		return el.Text()
	}
	return string(b)
}

func forbiddenCheck(t *token) Check {
	if t.version == "2.0" {
		return skip(CheckForbidden, "SAML 1.1 rule")
	}
	var found []string
	counts := map[string]int{}
	for _, st := range t.assertion.ChildElements() {
		if st.NamespaceURI() == nsSAML11 && strings.HasSuffix(st.Tag, "Statement") {
			counts[st.Tag]++
		}
	}
	for tag, n := range counts {
		if tag != "AttributeStatement" && tag != "AuthenticationStatement" {
			found = append(found, tag)
		} else if tag == "AttributeStatement" && n > 1 {
			found = append(found, fmt.Sprintf("%d AttributeStatements", n))
		}
	}
	for _, e := range t.assertion.FindElements(".//*") {
		switch {
		case e.NamespaceURI() != nsSAML11:
		case e.Tag == "NameIdentifier" && e.SelectAttr("NameQualifier") != nil:
			found = append(found, "NameIdentifier@NameQualifier")
		case e.Tag == "SubjectLocality" || e.Tag == "AuthorityBinding":
			found = append(found, e.Tag)
		}
	}
	if len(found) > 0 {
		return fail(CheckForbidden, "364/MSIS7000", "not allowed by AD FS's SAML 1.1 profile (MWBF 2.2.4.2): "+strings.Join(found, ", "),
			"remove them: one AttributeStatement, one AuthenticationStatement, no NameQualifier, SubjectLocality or AuthorityBinding")
	}
	return pass(CheckForbidden, "no NameQualifier, SubjectLocality, AuthorityBinding or extra statements")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
