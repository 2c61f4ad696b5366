package explain

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The real AD FS token (testdata/FIXTURES-README.md): issued 2017-07-28T15:13:11.331Z
// by sts.sub2.fracas365 for an application (not a claims-provider token, so its
// Audience is the app), with a raw CR LF in the streetAddress value.
const (
	realIssuer   = "http://sts.sub2.fracas365.msftonlinerepro.com/adfs/services/trust"
	realAudience = "https://app1.sub2.fracas365.msftonlinerepro.com/sampapp/"
	streetClaim  = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/streetAddress"
)

func realNow() time.Time { return time.Date(2017, 7, 28, 15, 20, 0, 0, time.UTC) }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func realCert(t testing.TB) *x509.Certificate {
	blk, _ := pem.Decode(readTestdata(t, "certs/adfs-sts-sub2-fracas365-signing.pem"))
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func realOpts(t testing.TB) Options {
	return Options{TrustedCerts: []*x509.Certificate{realCert(t)}, ExpectedIssuer: realIssuer, ExpectedAudience: realAudience, Now: realNow}
}

func explainOK(t *testing.T, in []byte, o Options) *Report {
	t.Helper()
	r, err := Explain(in, o)
	if err != nil {
		t.Fatal(err)
	}
	names := CheckNames()
	if strings.HasSuffix(r.Input, ": SAML 2.0 Response") {
		names = SAML2CheckNames()
	}
	if len(r.Checks) != len(names) {
		t.Fatalf("%d checks, want %d:\n%s", len(r.Checks), len(names), r.Text())
	}
	for i, n := range names {
		if r.Checks[i].Name != n {
			t.Fatalf("check %d is %q, want %q", i, r.Checks[i].Name, n)
		}
	}
	return r
}

func TestRealTokenCREscapedIsAccepted(t *testing.T) {
	r := explainOK(t, readTestdata(t, "adfs-saml11-assertion-cr-escaped.xml"), realOpts(t))
	if !r.Accepted {
		t.Fatalf("rejected:\n%s", r.Text())
	}
	if c := r.Check(CheckSignature); !c.OK || !strings.Contains(c.Message, "CB25B8EDFBAC2218B4EBF884337DEEF0A923DBD1") {
		t.Errorf("signature: %+v", c)
	}
	if c := r.Check(CheckShape); !c.Skipped {
		t.Errorf("bare assertion should skip the RSTR shape: %+v", c)
	}
	i := slices.IndexFunc(r.Claims, func(c Claim) bool { return c.Type == streetClaim })
	if i < 0 || r.Claims[i].Values[0] != "street\r\nVia Roggia Arzona 1" {
		t.Errorf("claims = %+v", r.Claims)
	}
}

func TestRealTokenRawCRIsExplained(t *testing.T) {
	for _, f := range []string{"adfs-wsignin-crlf.txt", "adfs-wresult-crlf.xml", "adfs-saml11-assertion-crlf.xml"} {
		t.Run(f, func(t *testing.T) {
			r := explainOK(t, readTestdata(t, f), realOpts(t))
			if got := r.Failed(); !slices.Equal(got, []string{CheckCR}) {
				t.Fatalf("failed = %v, want only %s:\n%s", got, CheckCR, r.Text())
			}
			c := r.Check(CheckCR)
			if c.Code != "364/MSIS7012" || !strings.Contains(c.Message, streetClaim) || !strings.Contains(c.Message, "raw CR") {
				t.Errorf("cr-handling: %+v", c)
			}
			if s := r.Check(CheckSignature); !s.OK || !strings.Contains(s.Message, "&#13;") {
				t.Errorf("signature: %+v", s)
			}
			if strings.HasSuffix(f, ".txt") {
				if !strings.HasPrefix(r.Input, "WS-Fed form POST (wa=wsignin1.0): RSTR (WS-Trust 2005/02)") {
					t.Errorf("input = %q", r.Input)
				}
				if !r.Check(CheckShape).OK || !r.Check(CheckAppliesTo).OK {
					t.Errorf("RSTR checks:\n%s", r.Text())
				}
			}
		})
	}
}

// TestRealTokenAgainstADFSExpectations runs the app-bound token as if it had been
// posted to AD FS as a claims-provider token: the audience is wrong, and with no
// trust certificates or clock the checks that need them are skipped or fail.
func TestRealTokenAgainstADFSExpectations(t *testing.T) {
	in := readTestdata(t, "adfs-saml11-assertion-cr-escaped.xml")
	r := explainOK(t, in, Options{ExpectedAudience: "http://adfs.example.com/adfs/services/trust", Now: realNow})
	if got := r.Failed(); !slices.Equal(got, []string{CheckAudience}) {
		t.Fatalf("failed = %v:\n%s", got, r.Text())
	}
	if r.Check(CheckAudience).Code != "364/ID1038" || !r.Check(CheckSigningKey).Skipped || !r.Check(CheckIssuer).Skipped {
		t.Errorf("\n%s", r.Text())
	}
	// Today the token is long expired.
	r = explainOK(t, in, Options{})
	if got := r.Failed(); !slices.Equal(got, []string{CheckLifetime}) || r.Check(CheckLifetime).Code != "364/ID4148" {
		t.Fatalf("failed = %v:\n%s", got, r.Text())
	}
}

func TestTextRendering(t *testing.T) {
	r := explainOK(t, readTestdata(t, "adfs-wsignin-crlf.txt"), realOpts(t))
	txt := r.Text()
	for _, want := range []string{"✔ signature", "✘ cr-handling", "[364/MSIS7012]", "fix: write CR as &#13;", "Verdict: AD FS would reject this token: cr-handling.", "streetAddress = \"street\\nVia Roggia Arzona 1\""} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q:\n%s", want, txt)
		}
	}
}

func BenchmarkExplainWSignIn(b *testing.B) {
	in := readTestdata(b, "adfs-wsignin-crlf.txt")
	o := realOpts(b)
	for b.Loop() {
		if _, err := Explain(in, o); err != nil {
			b.Fatal(err)
		}
	}
}
