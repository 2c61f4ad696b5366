package claims

import "time"

// Claim is one claim type with its values, in the order they are emitted.
type Claim struct {
	Type   string
	Values []string
}

// Facts are what happened during one sign-in, beyond who the user is.
type Facts struct {
	// SecondFactor is true when the user proved a second factor.
	SecondFactor bool
	// AuthnInstant is when the user finished authenticating.
	AuthnInstant time.Time
}

// DefaultTypes are the claim types issued when the configuration does not
// choose: everything the issue of the product asks for.
func DefaultTypes() []string {
	return []string{NameIdentifier, UPN, PrimarySID, Name, WindowsAccountName, GroupSID, PrimaryGroupSID, EmailAddress, AuthnMethodsReferences}
}

// AMR returns the authnmethodsreferences values for a sign-in.
func AMR(f Facts) []string {
	if f.SecondFactor {
		return []string{AMRPassword, MultipleAuthn}
	}
	return []string{AMRPassword}
}

// Issue maps an identity and the facts of its sign-in to the claims of the
// given types, skipping types with no value. nameidentifier is not
// returned as a claim: it becomes the token's subject (see NameID). Extra
// claims from the directory are appended when their type is selected.
func Issue(id Identity, f Facts, types []string) []Claim {
	var out []Claim
	add := func(t string, vs ...string) {
		var keep []string
		for _, v := range vs {
			if v != "" {
				keep = append(keep, v)
			}
		}
		if len(keep) > 0 {
			out = append(out, Claim{Type: t, Values: keep})
		}
	}
	for _, t := range types {
		switch t {
		case NameIdentifier:
			// carried by the subject
		case UPN:
			add(t, id.UPN)
		case PrimarySID:
			add(t, id.SID)
		case Name:
			add(t, id.NameValue())
		case WindowsAccountName:
			add(t, id.WindowsAccountName())
		case GroupSID:
			add(t, id.GroupSIDs...)
		case PrimaryGroupSID:
			add(t, id.PrimaryGroupSID)
		case EmailAddress:
			add(t, id.Email)
		case AuthnMethodsReferences:
			add(t, AMR(f)...)
		case MFAInstant:
			if f.SecondFactor && !f.AuthnInstant.IsZero() {
				add(t, f.AuthnInstant.UTC().Format("2006-01-02T15:04:05.000Z"))
			}
		default:
			add(t, id.Extra[t]...)
		}
	}
	return out
}

// NameID returns the value for the token subject's NameIdentifier: the UPN
// when there is one, otherwise DOMAIN\user.
func NameID(id Identity) string {
	if id.UPN != "" {
		return id.UPN
	}
	return id.WindowsAccountName()
}
