package saml2

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
)

// TestEncryptedAssertion: xmlsec1, holding the SP's private key, decrypts
// the EncryptedAssertion (AES-256-GCM by default, AES-256-CBC as AD FS
// gets it, AES-128-CBC on request; RSA-OAEP key transport) back to our
// signed assertion, whose signature it then verifies; the encrypted
// Response is schema-valid and, signed, verifies too. The golden files pin
// the structure of both defaults (the ciphertexts are random).
func TestEncryptedAssertion(t *testing.T) {
	for _, tc := range []struct {
		method, uri, golden string
		signResponse        bool
	}{
		{"", EncMethodAES256GCM, "response-encrypted.xml", false},
		{EncAES256CBC, EncMethodAES256CBC, "response-encrypted-cbc.xml", false},
		{EncAES128CBC, EncMethodAES128CBC, "", true},
		{EncAES256GCM, EncMethodAES256GCM, "", false},
	} {
		t.Run(tc.method+" "+tc.uri, func(t *testing.T) {
			req := parseADFSRequest(t)
			req.SP.EncryptAssertions, req.SP.EncryptionMethod, req.SP.SignResponse = true, tc.method, tc.signResponse
			if err := req.SP.Validate(); err != nil {
				t.Fatal(err)
			}
			resp, err := testIdP(t).Respond(testInput(req))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(resp.XML, []byte("alice")) || !bytes.Contains(resp.XML, []byte(`Algorithm="`+tc.uri+`"`)) {
				t.Fatalf("not encrypted with %s:\n%s", tc.uri, resp.XML)
			}
			if tc.golden != "" {
				golden(t, tc.golden, regexp.MustCompile(`<xenc:CipherValue>[^<]*</xenc:CipherValue>`).
					ReplaceAll(resp.XML, []byte("<xenc:CipherValue>(random)</xenc:CipherValue>")))
			}
			if out, ok := ststest.XMLLintValidate(t, resp.XML, protocolSchema); !ok {
				t.Errorf("not schema-valid:\n%s", out)
			}
			if tc.signResponse {
				if out, ok := xmlsecVerify(t, resp.XML, xmlsecResponse, xpathMessageSig); !ok {
					t.Errorf("xmlsec1 rejects the Response signature:\n%s", out)
				}
			}
			plain, ok := xmlsec(t, resp.XML, "--decrypt", "--privkey-pem", ststest.Path("keys/other-key.pem"))
			if !ok {
				t.Fatalf("xmlsec1 cannot decrypt:\n%s", plain)
			}
			if !strings.Contains(plain, "<saml:EncryptedAssertion") || !strings.Contains(plain, "<saml:Assertion ") {
				t.Fatalf("decrypted document:\n%s", plain)
			}
			i := strings.Index(plain, "<saml:Assertion ")
			assertion := []byte(plain[i : strings.Index(plain, "</saml:Assertion>")+len("</saml:Assertion>")])
			if out, ok := xmlsecVerify(t, assertion, xmlsecAssertion, ""); !ok {
				t.Errorf("xmlsec1 rejects the decrypted assertion:\n%s", out)
			}
			if _, ok := xmlsec(t, resp.XML, "--decrypt", "--privkey-pem", ststest.Path("keys/signing-key.pem")); ok {
				t.Error("xmlsec1 decrypts with the wrong key")
			}
		})
	}
}
