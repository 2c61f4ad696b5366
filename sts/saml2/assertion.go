package saml2

import (
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
)

// maxClaimTypes bounds the attributes of one assertion.
const maxClaimTypes = 1000

// assertionInput is everything one saml:Assertion is made of.
type assertionInput struct {
	ID, Issuer, Audience    string
	IssueInstant            time.Time
	NotBefore, NotOnOrAfter time.Time
	// Subject: the NameID and its bearer confirmation.
	NameID       nameID
	InResponseTo string
	Recipient    string // the ACS location
	ConfirmUntil time.Time
	// AuthnStatement.
	AuthnInstant time.Time
	SessionIndex string
	ClassRef     string
	Claims       []claims.Claim
}

type nameID struct {
	Value, Format                  string
	NameQualifier, SPNameQualifier string
}

// buildAssertion makes the unsigned saml:Assertion in AD FS's own order
// (Issuer, Subject, Conditions, AttributeStatement, AuthnStatement; the
// signature goes after Issuer when it is signed). The element declares
// xmlns:saml itself so that it can be signed, encrypted or verified on
// its own. Every string is checked for XML 1.0 first.
func buildAssertion(in assertionInput) (*etree.Element, error) {
	if err := checkAssertionInput(in); err != nil {
		return nil, err
	}
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", NSAssertion)
	a.CreateAttr("ID", in.ID)
	a.CreateAttr("Version", version)
	a.CreateAttr("IssueInstant", xmltext.FormatTime(in.IssueInstant))
	a.CreateElement("saml:Issuer").SetText(in.Issuer)

	subj := a.CreateElement("saml:Subject")
	n := subj.CreateElement("saml:NameID")
	n.CreateAttr("Format", in.NameID.Format)
	if in.NameID.NameQualifier != "" {
		n.CreateAttr("NameQualifier", in.NameID.NameQualifier)
	}
	if in.NameID.SPNameQualifier != "" {
		n.CreateAttr("SPNameQualifier", in.NameID.SPNameQualifier)
	}
	n.SetText(in.NameID.Value)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", ConfirmationBearer)
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("InResponseTo", in.InResponseTo)
	scd.CreateAttr("NotOnOrAfter", xmltext.FormatTime(in.ConfirmUntil))
	scd.CreateAttr("Recipient", in.Recipient)

	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", xmltext.FormatTime(in.NotBefore))
	cond.CreateAttr("NotOnOrAfter", xmltext.FormatTime(in.NotOnOrAfter))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(in.Audience)

	if hasValues(in.Claims) {
		as := a.CreateElement("saml:AttributeStatement")
		for _, c := range in.Claims {
			if len(c.Values) == 0 {
				continue
			}
			attr := as.CreateElement("saml:Attribute")
			attr.CreateAttr("Name", c.Type)
			attr.CreateAttr("NameFormat", AttrNameFormatURI)
			for _, v := range c.Values {
				attr.CreateElement("saml:AttributeValue").SetText(v)
			}
		}
	}

	st := a.CreateElement("saml:AuthnStatement")
	st.CreateAttr("AuthnInstant", xmltext.FormatTime(in.AuthnInstant))
	st.CreateAttr("SessionIndex", in.SessionIndex)
	st.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText(in.ClassRef)
	return a, nil
}

func checkAssertionInput(in assertionInput) error {
	if !xmltext.IsNCName(in.ID) {
		return fmt.Errorf("saml2: assertion ID %q is not an NCName", in.ID)
	}
	for _, f := range []struct{ name, v string }{
		{"issuer", in.Issuer}, {"audience", in.Audience}, {"name ID", in.NameID.Value}, {"name ID format", in.NameID.Format},
		{"InResponseTo", in.InResponseTo}, {"recipient", in.Recipient}, {"session index", in.SessionIndex}, {"class reference", in.ClassRef},
	} {
		if f.v == "" {
			return fmt.Errorf("saml2: %s is empty", f.name)
		}
		if err := xmltext.CheckText("saml2: "+f.name, f.v); err != nil {
			return err
		}
	}
	if !in.NotBefore.Before(in.NotOnOrAfter) {
		return fmt.Errorf("saml2: NotBefore %s is not before NotOnOrAfter %s", xmltext.FormatTime(in.NotBefore), xmltext.FormatTime(in.NotOnOrAfter))
	}
	if len(in.Claims) > maxClaimTypes {
		return fmt.Errorf("saml2: %d claim types, limit %d", len(in.Claims), maxClaimTypes)
	}
	for _, c := range in.Claims {
		if c.Type == "" {
			return fmt.Errorf("saml2: claim with an empty type")
		}
		if err := xmltext.CheckText("saml2: claim type", c.Type); err != nil {
			return err
		}
		for i, v := range c.Values {
			if err := xmltext.CheckText(fmt.Sprintf("saml2: claim %s value %d", xmltext.Clip(c.Type), i), v); err != nil {
				return err
			}
		}
	}
	return nil
}

func hasValues(cl []claims.Claim) bool {
	for _, c := range cl {
		if len(c.Values) > 0 {
			return true
		}
	}
	return false
}
