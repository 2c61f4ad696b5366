package sts

import (
	"errors"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// TestVerifyRefusesEveryDeclaration: the verifier passes tokens through
// the same gate as metadata and explain. Each document below carries a
// valid signature (a declaration before the root is outside it; exclusive
// C14N drops comments and turns CDATA into text), and each was accepted
// by the old verifier, which looked only for a literal "<!DOCTYPE" or
// "<!ENTITY".
func TestVerifyRefusesEveryDeclaration(t *testing.T) {
	wresult := issueTest(t, newTestIssuer(t, "signing"), testRealm, testClaims()).WResult
	if _, err := VerifyWSFedResult([]byte(wresult), verifyOpts(t)); err != nil {
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
			tok, err := VerifyWSFedResult([]byte(doc), verifyOpts(t))
			if err == nil {
				t.Fatalf("accepted, NameID %q", tok.NameID)
			}
			wantFault(t, err, FaultMalformed)
			if !errors.Is(err, xmlsafe.ErrDeclaration) {
				t.Errorf("err = %v, want it to wrap xmlsafe.ErrDeclaration", err)
			}
			// The bare-assertion entry point has the same gate.
			if a := extractAssertion(t, doc); strings.Contains(string(a), "<!") {
				if _, err := VerifySAML11Assertion(a, verifyOpts(t)); !errors.Is(err, xmlsafe.ErrDeclaration) {
					t.Errorf("bare assertion: %v", err)
				}
			}
		})
	}
}

// TestCheckSignatureAlgorithms pins the one algorithm policy the verifier
// and explain share, on SignedInfo alone.
func TestCheckSignatureAlgorithms(t *testing.T) {
	sha256, err := SignatureMethods(AlgRSASHA256)
	if err != nil {
		t.Fatal(err)
	}
	sha1, err := SignatureMethods(AlgRSASHA1)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := SignatureMethods(""); len(d) != 1 || d[0] != SigRSASHA256 {
		t.Errorf(`SignatureMethods("") = %q`, d)
	}
	if _, err := SignatureMethods("rsa-md5"); err == nil {
		t.Error("rsa-md5 has a policy")
	}
	cases := []struct {
		name         string
		sig, digest  string
		allowed      []string
		ok           bool
		wantInRefuse string
	}{
		{"sha256 under sha256", SigRSASHA256, DigestSHA256URI, sha256, true, ""},
		{"sha1 under sha256", SigRSASHA1, DigestSHA1URI, sha256, false, SigRSASHA1},
		{"sha256 signature, sha1 digest, under sha256", SigRSASHA256, DigestSHA1URI, sha256, false, DigestSHA1URI},
		{"sha1 under a sha1 party", SigRSASHA1, DigestSHA1URI, sha1, true, ""},
		{"sha256 under a sha1 party (stronger passes)", SigRSASHA256, DigestSHA256URI, sha1, true, ""},
		{"empty policy means sha256", SigRSASHA1, DigestSHA1URI, nil, false, SigRSASHA1},
		{"no SignatureMethod", "", DigestSHA256URI, sha256, false, "signature method"},
		{"unknown digest", SigRSASHA256, "http://www.w3.org/2001/04/xmldsig-more#md5", sha1, false, "md5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sig := etree.NewElement("ds:Signature")
			sig.CreateAttr("xmlns:ds", NSDSig)
			si := sig.CreateElement("ds:SignedInfo")
			if c.sig != "" {
				si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", c.sig)
			}
			si.CreateElement("ds:Reference").CreateElement("ds:DigestMethod").CreateAttr("Algorithm", c.digest)
			err := CheckSignatureAlgorithms(sig, c.allowed)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && !strings.Contains(err.Error(), c.wantInRefuse) {
				t.Errorf("err = %v, want it to name %q", err, c.wantInRefuse)
			}
		})
	}
}
