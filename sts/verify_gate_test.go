package sts

import (
	"errors"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// TestVerifyRefusesEveryDeclaration: the verifier passes tokens through
// the same gate as metadata and explain. Each document below carries a
// valid signature (a declaration before the root is outside it; exclusive
// C14N drops comments and turns CDATA into text), and each was accepted
// by the old verifier, which looked only for a literal "<!DOCTYPE" or
// "<!ENTITY".
func TestVerifyRefusesEveryDeclaration(t *testing.T) {
	wresult := issueTest(t, newTestIssuer(t, "signing"), testRealm, testClaims()).WResult
	if _, err := wsfed.VerifyResult([]byte(wresult), verifyOpts(t)); err != nil {
		t.Fatalf("the unchanged token: %v", err)
	}
	const name = ">alice@corp.example</saml:NameIdentifier>"
	if strings.Count(wresult, name) != 2 {
		t.Fatalf("fixture changed: %d NameIdentifiers", strings.Count(wresult, name))
	}
	for label, doc := range map[string]string{
		"lower-case doctype":       `<!doctype t:RequestSecurityTokenResponse>` + wresult,
		"ATTLIST declaration":      `<!ATTLIST saml:Assertion AssertionID ID #IMPLIED>` + wresult,
		"ELEMENT declaration":      `<!ELEMENT x ANY>` + wresult,
		"comment inside a subject": strings.ReplaceAll(wresult, name, ">alice@corp<!---->.example</saml:NameIdentifier>"),
		"CDATA inside a subject":   strings.ReplaceAll(wresult, name, "><![CDATA[alice@corp.example]]></saml:NameIdentifier>"),
	} {
		t.Run(label, func(t *testing.T) {
			tok, err := wsfed.VerifyResult([]byte(doc), verifyOpts(t))
			if err == nil {
				t.Fatalf("accepted, NameID %q", tok.NameID)
			}
			wantFault(t, err, xmlsig.FaultMalformed)
			if !errors.Is(err, xmlsafe.ErrDeclaration) {
				t.Errorf("err = %v, want it to wrap xmlsafe.ErrDeclaration", err)
			}
			// The bare-assertion entry point has the same gate.
			if a := extractAssertion(t, doc); strings.Contains(string(a), "<!") {
				if _, err := saml11.VerifyAssertion(a, verifyOpts(t)); !errors.Is(err, xmlsafe.ErrDeclaration) {
					t.Errorf("bare assertion: %v", err)
				}
			}
		})
	}
}
