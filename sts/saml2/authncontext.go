package saml2

import (
	"slices"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// Comparison values of RequestedAuthnContext (core §3.3.2.2.1).
const (
	ComparisonExact   = "exact"
	ComparisonMinimum = "minimum"
	ComparisonMaximum = "maximum"
	ComparisonBetter  = "better"
)

// maxClassRefs bounds the class references read from one request.
const maxClassRefs = 32

// RequestedAuthnContext is what the SP asked about how the user signs in.
type RequestedAuthnContext struct {
	// Comparison is one of the Comparison constants; exact when absent.
	Comparison string
	// ClassRefs are the AuthnContextClassRef values, in order.
	ClassRefs []string
}

func readRequestedAuthnContext(el *etree.Element) (*RequestedAuthnContext, *StatusError) {
	rac := xmlsafe.Child(el, NSProtocol, "RequestedAuthnContext")
	if rac == nil {
		return nil, nil
	}
	out := &RequestedAuthnContext{Comparison: rac.SelectAttrValue("Comparison", ComparisonExact)}
	if !slices.Contains([]string{ComparisonExact, ComparisonMinimum, ComparisonMaximum, ComparisonBetter}, out.Comparison) {
		return nil, refuse(StatusRequester, "", "RequestedAuthnContext Comparison %q", xmltext.Clip(out.Comparison))
	}
	if xmlsafe.Child(rac, NSAssertion, "AuthnContextDeclRef") != nil {
		return nil, refuse(StatusRequester, StatusRequestUnsupported, "AuthnContextDeclRef is not supported, only AuthnContextClassRef")
	}
	for _, c := range xmlsafe.Children(rac, NSAssertion, "AuthnContextClassRef") {
		out.ClassRefs = append(out.ClassRefs, c.Text())
	}
	if len(out.ClassRefs) == 0 || len(out.ClassRefs) > maxClassRefs {
		return nil, refuse(StatusRequester, "", "RequestedAuthnContext has %d class references, want 1 to %d", len(out.ClassRefs), maxClassRefs)
	}
	return out, nil
}

// strength orders the classes claimgate can deliver: a password over TLS
// (every sign-in), and multipleauthn (a password plus a second factor).
// Password and unspecified are weaker descriptions a password sign-in
// also satisfies. Classes not listed cannot be compared and so never
// match.
func strength(classRef string) (int, bool) {
	switch classRef {
	case ClassUnspecified:
		return 0, true
	case ClassPassword:
		return 1, true
	case ClassPasswordProtectedTransport:
		return 2, true
	case ClassMultipleAuthn:
		return 3, true
	}
	return 0, false
}

// AuthnContextFor is the SAML 2.0 counterpart of wsfed's
// AuthenticationMethodFor: the AuthnContextClassRef to put in the
// AuthnStatement of a sign-in with or without a second factor, and
// whether that satisfies the request (core §3.3.2.2.1).
//
//   - no RequestedAuthnContext: what was done, multipleauthn after two
//     factors (protocol notes §4) and PasswordProtectedTransport otherwise;
//   - exact: the first requested class this sign-in satisfies, echoed
//     exactly, since the SP compares strings;
//   - minimum / better: what was done, when it is at least as strong as
//     (stronger than) one requested class;
//   - maximum: the strongest requested class this sign-in satisfies.
//
// When satisfied is false the caller either asks for the missing factor
// or answers with Responder/NoAuthnContext; the returned class is then
// what was done.
func AuthnContextFor(r *RequestedAuthnContext, secondFactor bool) (classRef string, satisfied bool) {
	done := ClassPasswordProtectedTransport
	if secondFactor {
		done = ClassMultipleAuthn
	}
	if r == nil {
		return done, true
	}
	have, _ := strength(done)
	best, bestStrength := "", -1
	for _, c := range r.ClassRefs {
		s, known := strength(c)
		if !known {
			continue
		}
		switch r.Comparison {
		case ComparisonExact, "":
			if s <= have {
				return c, true
			}
		case ComparisonMinimum:
			if have >= s {
				return done, true
			}
		case ComparisonBetter:
			if have > s {
				return done, true
			}
		case ComparisonMaximum:
			if s <= have && s > bestStrength {
				best, bestStrength = c, s
			}
		}
	}
	if best != "" {
		return best, true
	}
	return done, false
}

// NeedsSecondFactor reports whether the request can be satisfied only by
// a sign-in with a second factor, so the login flow asks for one even
// when its own policy would not.
func (r *AuthnRequest) NeedsSecondFactor() bool {
	_, one := AuthnContextFor(r.RequestedAuthnContext, false)
	_, two := AuthnContextFor(r.RequestedAuthnContext, true)
	return !one && two
}
