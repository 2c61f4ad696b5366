package explain

import (
	"fmt"
	"net/url"
	"slices"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// codeMethod is what AD FS logs when the relying party required a method
// (wauth) that the claims provider's token does not carry; the admin sees
// "Required authentication type: <wauth>" (docs/adfs.md §8).
const codeMethod = "364/MSIS7102"

// authnMethodCheck compares the token's method with the request's wauth.
// AD FS compares exact URIs, so anything but equality fails. What the fix
// says comes from wsfed.AuthenticationMethodFor, the rule claimgate issues
// with: whether the sign-in the token describes satisfied wauth (and the
// claims provider should have echoed it) or could not have.
func authnMethodCheck(t *token, req url.Values) Check {
	if req == nil {
		return skip(CheckAuthnMethod, "no sign-in request given (explain --request or --wauth); AD FS requires the method it asked for in wauth")
	}
	wauth := req.Get("wauth")
	_, got := t.authn()
	switch {
	case wauth == "":
		return pass(CheckAuthnMethod, "the request named no method (no wauth), so any is accepted")
	case got == "":
		return skip(CheckAuthnMethod, "the token names no method; see "+CheckAuthnStatement)
	case got == wauth:
		return pass(CheckAuthnMethod, fmt.Sprintf("method %q is the one the request asked for (wauth)", got))
	}
	msg := fmt.Sprintf("the request asked for %q (wauth) and the token carries %q; AD FS refuses it (\"Required authentication type: %s\")", wauth, got, wauth)
	second := secondFactorShown(t, got)
	if _, ok := wsfed.AuthenticationMethodFor(wauth, second); ok {
		what := "a password"
		if second {
			what = "a password and a second factor"
		}
		return fail(CheckAuthnMethod, codeMethod, msg+"; the sign-in ("+what+") satisfied it, so the token must carry exactly that URI",
			"echo the satisfied wauth verbatim in AuthenticationMethod (claimgate does for every password method and, after a second factor, for multipleauthn and wiaormultiauthn)")
	}
	if _, ok := wsfed.AuthenticationMethodFor(wauth, true); ok {
		return fail(CheckAuthnMethod, codeMethod, msg+"; it requires a second factor, which this sign-in shows no sign of",
			"sign the user in with a second factor and say so: AuthenticationMethod multipleauthn, or authnmethodsreferences listing it")
	}
	return fail(CheckAuthnMethod, codeMethod, msg+"; claimgate cannot perform that method (only a password and a second factor)",
		"change what the relying party requires in AD FS, or send its users to a provider that performs that method")
}

// secondFactorShown reports whether the token says a second factor was
// used: its method, or authnmethodsreferences listing multipleauthn.
func secondFactorShown(t *token, method string) bool {
	if method == claims.MultipleAuthn || method == claims.WIAOrMultipleAuthn {
		return true
	}
	for _, c := range t.claims() {
		if c.Type == claims.AuthnMethodsReferences && slices.Contains(c.Values, claims.MultipleAuthn) {
			return true
		}
	}
	return false
}
