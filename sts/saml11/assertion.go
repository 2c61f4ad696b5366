package saml11

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
)

// SAML 1.1 names used in the token.
const (
	NSAssertion         = "urn:oasis:names:tc:SAML:1.0:assertion"
	NameIDUnspecified   = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	ConfirmationBearer  = "urn:oasis:names:tc:SAML:1.0:cm:bearer"
	TokenType           = "urn:oasis:names:tc:SAML:1.0:assertion"
	assertionIDAttr     = "AssertionID"
	samlPrefix          = "saml"
	maxClaimTypesPerTok = 1000
)

// Subject is who the token is about: the NameIdentifier of both
// statements.
type Subject struct {
	NameID string
	// Format defaults to urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified.
	Format string
}

// Authn is how and when the user authenticated.
type Authn struct {
	// Method is the AuthenticationStatement's AuthenticationMethod; see
	// wsfed.Request.AuthenticationMethod.
	Method string
	// Instant is when authentication finished; zero means the issue time.
	Instant time.Time
}

// AssertionInput is everything one SAML 1.1 assertion is made of. Times
// are written in UTC with milliseconds.
type AssertionInput struct {
	ID           string // AssertionID, an NCName such as "_" + UUID
	Issuer       string // our entity ID
	Audience     string // wtrealm verbatim
	IssueInstant time.Time
	NotBefore    time.Time
	NotOnOrAfter time.Time
	Subject      Subject
	Claims       []claims.Claim
	Authn        Authn
}

// BuildAssertion makes the unsigned saml:Assertion in AD FS's layout:
// Conditions, AttributeStatement (omitted when no claim has a value),
// AuthenticationStatement, both statements with identical Subjects. The
// element declares xmlns:saml itself so it can be signed on its own and
// spliced into any wrapper. Every string is checked for XML 1.0
// characters first.
func BuildAssertion(in AssertionInput) (*etree.Element, error) {
	if err := checkAssertionInput(in); err != nil {
		return nil, err
	}
	format := in.Subject.Format
	if format == "" {
		format = NameIDUnspecified
	}
	a := samlEl(nil, "Assertion")
	a.CreateAttr("xmlns:saml", NSAssertion)
	a.CreateAttr("MajorVersion", "1")
	a.CreateAttr("MinorVersion", "1")
	a.CreateAttr(assertionIDAttr, in.ID)
	a.CreateAttr("Issuer", in.Issuer)
	a.CreateAttr("IssueInstant", xmltext.FormatTime(in.IssueInstant))

	cond := samlEl(a, "Conditions")
	cond.CreateAttr("NotBefore", xmltext.FormatTime(in.NotBefore))
	cond.CreateAttr("NotOnOrAfter", xmltext.FormatTime(in.NotOnOrAfter))
	samlEl(samlEl(cond, "AudienceRestrictionCondition"), "Audience").SetText(in.Audience)

	if hasValues(in.Claims) {
		as := samlEl(a, "AttributeStatement")
		addSubject(as, in.Subject.NameID, format)
		for _, c := range in.Claims {
			if len(c.Values) == 0 {
				continue
			}
			ns, name := splitClaimType(c.Type)
			attr := samlEl(as, "Attribute")
			attr.CreateAttr("AttributeName", name)
			attr.CreateAttr("AttributeNamespace", ns)
			for _, v := range c.Values {
				samlEl(attr, "AttributeValue").SetText(v)
			}
		}
	}

	authn := samlEl(a, "AuthenticationStatement")
	authn.CreateAttr("AuthenticationMethod", in.Authn.Method)
	instant := in.Authn.Instant
	if instant.IsZero() {
		instant = in.IssueInstant
	}
	authn.CreateAttr("AuthenticationInstant", xmltext.FormatTime(instant))
	addSubject(authn, in.Subject.NameID, format)
	return a, nil
}

func checkAssertionInput(in AssertionInput) error {
	if !xmltext.IsNCName(in.ID) {
		return fmt.Errorf("sts: assertion ID %q is not an NCName", in.ID)
	}
	for _, f := range []struct{ name, v string }{
		{"issuer", in.Issuer}, {"audience", in.Audience}, {"subject name ID", in.Subject.NameID},
		{"authentication method", in.Authn.Method},
	} {
		if f.v == "" {
			return fmt.Errorf("sts: %s is empty", f.name)
		}
		if err := xmltext.CheckText("sts: "+f.name, f.v); err != nil {
			return err
		}
	}
	if err := xmltext.CheckText("sts: subject name ID format", in.Subject.Format); err != nil {
		return err
	}
	if !in.NotBefore.Before(in.NotOnOrAfter) {
		return fmt.Errorf("sts: NotBefore %s is not before NotOnOrAfter %s", xmltext.FormatTime(in.NotBefore), xmltext.FormatTime(in.NotOnOrAfter))
	}
	if len(in.Claims) > maxClaimTypesPerTok {
		return fmt.Errorf("sts: %d claim types, limit %d", len(in.Claims), maxClaimTypesPerTok)
	}
	for _, c := range in.Claims {
		ns, name := splitClaimType(c.Type)
		if ns == "" || name == "" {
			return fmt.Errorf("sts: claim type %q has no namespace/name split at its last '/'", c.Type)
		}
		if err := xmltext.CheckText("sts: claim type", c.Type); err != nil {
			return err
		}
		for i, v := range c.Values {
			if err := xmltext.CheckText(fmt.Sprintf("sts: claim %s value %d", c.Type, i), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitClaimType splits a claim URI at its last '/', the way WIF and AD FS
// rebuild it as AttributeNamespace + "/" + AttributeName.
func splitClaimType(t string) (ns, name string) {
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "", t
	}
	return t[:i], t[i+1:]
}

func hasValues(cl []claims.Claim) bool {
	for _, c := range cl {
		if len(c.Values) > 0 {
			return true
		}
	}
	return false
}

func addSubject(parent *etree.Element, nameID, format string) {
	s := samlEl(parent, "Subject")
	n := samlEl(s, "NameIdentifier")
	n.CreateAttr("Format", format)
	n.SetText(nameID)
	samlEl(samlEl(s, "SubjectConfirmation"), "ConfirmationMethod").SetText(ConfirmationBearer)
}

func samlEl(parent *etree.Element, tag string) *etree.Element {
	if parent == nil {
		return etree.NewElement(samlPrefix + ":" + tag)
	}
	return parent.CreateElement(samlPrefix + ":" + tag)
}
