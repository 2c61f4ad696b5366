package xmlsig

import (
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

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
			sig.CreateAttr("xmlns:ds", xmlsafe.NSDSig)
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
