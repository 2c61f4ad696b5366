package explain

import (
	"crypto/x509"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// issued is a token from claimgate's own issuer, and what it was issued for.
type issued struct {
	wresult []byte
	query   url.Values
}

// issue runs the issuer exactly as the sign-in does (internal/login): parse
// the request AD FS sent, pick the method with Request.AuthenticationMethod
// unless method overrides it, issue. alg is the party's signature_algorithm.
func issue(t *testing.T, s signer, wauth, alg string, second bool, method string) issued {
	t.Helper()
	q := url.Values{"wa": {wsfed.WaSignIn}, "wtrealm": {adfsID}, "wctx": {"ctx"}}
	if wauth != "" {
		q.Set("wauth", wauth)
	}
	parties := wsfed.PartyList{{Identifier: adfsID, ReplyURL: "https://adfs.example.com/adfs/ls/", SignatureAlgorithm: alg}}
	req, err := wsfed.ParseRequest(q, parties)
	if err != nil {
		t.Fatal(err)
	}
	if method == "" {
		method, _ = req.AuthenticationMethod(second)
	}
	iss, err := sts.NewIssuer(sts.IssuerConfig{EntityID: cgIssuer, Signer: s.key, Certificate: s.cert, Now: func() time.Time { return issueAt }})
	if err != nil {
		t.Fatal(err)
	}
	id := claims.Identity{Username: "alice", UPN: "alice@corp.example", Domain: "CORP"}
	cl := claims.Issue(id, claims.Facts{SecondFactor: second, AuthnInstant: issueAt}, claims.DefaultTypes())
	resp, err := iss.IssueWSFed(req, saml11.Subject{NameID: "alice@corp.example"}, cl, saml11.Authn{Method: method, Instant: issueAt})
	if err != nil {
		t.Fatal(err)
	}
	return issued{[]byte(resp.WResult), q}
}

func issuedOpts(s signer) Options {
	return Options{TrustedCerts: []*x509.Certificate{s.cert}, ExpectedAudience: adfsID, ExpectedIssuer: cgIssuer,
		Now: func() time.Time { return issueAt.Add(time.Minute) }}
}

// TestAuthenticationMethodAgainstRequest: given the request, explain
// fails a token whose method is not the wauth asked for and passes one
// that carries it. The mismatch row is what claimgate sent before for
// PasswordProtectedTransport (multipleauthn), which AD FS refused.
func TestAuthenticationMethodAgainstRequest(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	ppt := claims.SAML2PasswordProtectedTransport
	cases := []struct {
		name, wauth, method string
		second              bool
		words               string // "" means the check passes
	}{
		{"echoed", ppt, ppt, true, ""},
		{"old claimgate: multipleauthn for a password request", ppt, claims.MultipleAuthn, true, "satisfied it"},
		{"password only, asked for MFA", claims.MultipleAuthn, claims.SAMLPassword, false, "requires a second factor"},
		{"a method claimgate cannot do", "urn:ietf:rfc:2246", claims.MultipleAuthn, true, "cannot perform"},
		{"no wauth in the request", "", claims.MultipleAuthn, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := issue(t, s, c.wauth, "", c.second, c.method)
			o := issuedOpts(s)
			o.Request = tk.query
			r := explainOK(t, tk.wresult, o)
			ch := r.Check(CheckAuthnMethod)
			if c.words == "" {
				if !r.Accepted || !ch.OK {
					t.Fatalf("rejected:\n%s", r.Text())
				}
				return
			}
			if got := r.Failed(); !slices.Equal(got, []string{CheckAuthnMethod}) {
				t.Fatalf("failed = %v, want only [%s]:\n%s", got, CheckAuthnMethod, r.Text())
			}
			if ch.Code != "364/MSIS7102" || !strings.Contains(ch.Message, c.words) || !strings.Contains(ch.Message, c.wauth) || ch.Fix == "" {
				t.Errorf("%s = %+v", CheckAuthnMethod, ch)
			}
		})
	}
	// Without the request there is nothing to compare with.
	tk := issue(t, s, ppt, "", true, claims.MultipleAuthn)
	if r := explainOK(t, tk.wresult, issuedOpts(s)); !r.Accepted || !r.Check(CheckAuthnMethod).Skipped {
		t.Fatalf("no request:\n%s", r.Text())
	}
}

// TestIssuerAndExplainAgreeOnMethods: for every wauth, with and without a
// second factor, explain passes the token claimgate's issuer makes exactly
// when the issuer says it satisfied the request. They share
// wsfed.AuthenticationMethodFor, so a rule added to one is seen by the other.
func TestIssuerAndExplainAgreeOnMethods(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	for _, wauth := range []string{claims.SAMLPassword, claims.SAML2PasswordProtectedTransport, claims.SAML2Password, claims.AMRPassword,
		claims.MultipleAuthn, claims.WIAOrMultipleAuthn, "urn:federation:authentication:windows", "urn:ietf:rfc:2246"} {
		for _, second := range []bool{false, true} {
			tk := issue(t, s, wauth, "", second, "")
			o := issuedOpts(s)
			o.Request = tk.query
			r := explainOK(t, tk.wresult, o)
			_, satisfied := wsfed.AuthenticationMethodFor(wauth, second)
			if r.Check(CheckAuthnMethod).OK != satisfied || r.Accepted != satisfied {
				t.Errorf("wauth %s, second factor %v: issuer satisfied=%v, explain:\n%s", wauth, second, satisfied, r.Text())
			}
		}
	}
}

// TestSignatureAlgorithmAgainstTrust: a valid RSA-SHA1 token is refused
// against an rsa-sha256 trust (before, explain said AD FS would accept it)
// and accepted for a party configured for rsa-sha1; an RSA-SHA256 token
// passes both. The verifier, given the same setting, agrees every time.
func TestSignatureAlgorithmAgainstTrust(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	sha1 := issue(t, s, "", xmlsig.AlgRSASHA1, true, "").wresult
	sha256 := issue(t, s, "", xmlsig.AlgRSASHA256, true, "").wresult
	for _, c := range []struct {
		name, trust string
		token       []byte
		ok          bool
	}{
		{"sha1 token, default trust", "", sha1, false},
		{"sha1 token, rsa-sha256 trust", xmlsig.AlgRSASHA256, sha1, false},
		{"sha1 token, rsa-sha1 party", xmlsig.AlgRSASHA1, sha1, true},
		{"sha256 token, rsa-sha256 trust", xmlsig.AlgRSASHA256, sha256, true},
		{"sha256 token, rsa-sha1 party", xmlsig.AlgRSASHA1, sha256, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := issuedOpts(s)
			o.SignatureAlgorithm = c.trust
			r := explainOK(t, c.token, o)
			if !r.Check(CheckSignature).OK {
				t.Fatalf("the signature itself must verify:\n%s", r.Text())
			}
			ch := r.Check(CheckSigAlgorithm)
			if c.ok {
				if !r.Accepted {
					t.Fatalf("rejected:\n%s", r.Text())
				}
			} else {
				if got := r.Failed(); !slices.Equal(got, []string{CheckSigAlgorithm}) {
					t.Fatalf("failed = %v, want only [%s]:\n%s", got, CheckSigAlgorithm, r.Text())
				}
				if !strings.Contains(ch.Code, "372") || !strings.Contains(ch.Message, xmlsig.SigRSASHA1) || !strings.Contains(ch.Message, "rsa-sha256") ||
					!strings.Contains(ch.Fix, "Set-AdfsClaimsProviderTrust") {
					t.Errorf("%s = %+v", CheckSigAlgorithm, ch)
				}
			}
			allowed, err := xmlsig.SignatureMethods(c.trust)
			if err != nil {
				t.Fatal(err)
			}
			_, err = wsfed.VerifyResult(c.token, saml11.VerifyOptions{TrustedCerts: o.TrustedCerts, Audience: adfsID, IgnoreTime: true, SignatureAlgorithms: allowed})
			if (err == nil) != c.ok {
				t.Errorf("verifier disagrees: %v", err)
			}
		})
	}
	if _, err := Explain(sha256, Options{SignatureAlgorithm: "rsa-md5"}); err == nil {
		t.Error("an unknown trust algorithm is not an error")
	}
}
