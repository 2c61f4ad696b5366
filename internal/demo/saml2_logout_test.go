package demo_test

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/demo"
	"github.com/claimgate/claimgate/sts/saml2"
)

// seqReader is deterministic "randomness": 0, 1, 2, … so golden files
// do not change from run to run.
type seqReader struct{ n byte }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

// TestSAML2RequestsGolden: the AuthnRequest and LogoutRequest the demo
// sends are the golden ones for a fixed clock and fixed randomness, and
// both are valid against the OASIS SAML 2.0 protocol schema.
func TestSAML2RequestsGolden(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// A signing key valid at the fixed instant, which the shared test
	// keys (made today) are not.
	kp, err := certs.Generate(certs.GenerateOptions{Now: func() time.Time { return fixed.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	p := newSAMLRP(t, func(o *demo.Options) {
		o.Rand = &seqReader{}
		o.Now = func() time.Time { return fixed }
		o.Trusted = []*x509.Certificate{kp.Certificate}
	})
	p.now, p.trusted = fixed, kp
	c := p.client()
	loc := p.redirect(c, "/demo/saml2/begin", ssoURL)
	authn := inflate(t, loc, "SAMLRequest")
	golden(t, "authnrequest.xml", authn)
	if got := loc.Query().Get("RelayState"); got != "101112131415161718191a1b1c1d1e1f" {
		t.Errorf("RelayState %q", got)
	}
	req, err := saml2.ParseRedirect(loc.RawQuery, saml2.SPList{p.sp}, p.parseOpts(ssoURL))
	if err != nil {
		t.Fatal(err)
	}
	resp := p.respond(p.idp(p.trusted, idpEntity, fixed), req)
	if status, body := p.post(c, acsPath, resp.XML, resp.RelayState); status != http.StatusOK {
		t.Fatalf("%d\n%s", status, body)
	}
	logout := inflate(t, p.redirect(c, "/demo/saml2/logout", sloURL), "SAMLRequest")
	golden(t, "logoutrequest.xml", logout)
	for name, doc := range map[string][]byte{"AuthnRequest": authn, "LogoutRequest": logout} {
		if out, ok := xmllintProtocol(t, doc); !ok {
			t.Errorf("%s is not schema-valid: %s", name, out)
		}
	}
	// The schema check bites: a request with its Issuer after NameIDPolicy
	// breaks the protocol schema's sequence.
	bad := strings.Replace(string(authn), "<saml:Issuer>"+spEntity+"</saml:Issuer>", "", 1)
	bad = strings.Replace(bad, "</samlp:AuthnRequest>", "<saml:Issuer>"+spEntity+"</saml:Issuer></samlp:AuthnRequest>", 1)
	if out, ok := xmllintProtocol(t, []byte(bad)); ok || !strings.Contains(out, "Issuer") {
		t.Errorf("xmllint accepts a misordered AuthnRequest: %s", out)
	}
}

// TestSAML2Logout: after an accepted sign-in the demo sends a signed
// LogoutRequest for that session which claimgate's parser accepts (its
// NameID and SessionIndex), accepts claimgate's signed LogoutResponse,
// and forgets the session; a LogoutResponse that is unsigned, signed by
// another key, for another request or with an error status is refused.
func TestSAML2Logout(t *testing.T) {
	p := newSAMLRP(t)
	// signIn returns a browser with an accepted SAML sign-in, and its
	// Response.
	signIn := func() (*http.Client, *saml2.Response) {
		c := p.client()
		resp := p.respond(p.idp(p.trusted, idpEntity, p.now), p.begin(c))
		if status, body := p.post(c, acsPath, resp.XML, resp.RelayState); status != http.StatusOK {
			t.Fatalf("sign-in: %d\n%s", status, body)
		}
		return c, resp
	}
	// logout starts the sign-out and returns the LogoutRequest as
	// claimgate reads it.
	logout := func(c *http.Client) *saml2.LogoutRequest {
		t.Helper()
		loc := p.redirect(c, "/demo/saml2/logout", sloURL)
		if loc.Query().Get("Signature") == "" {
			t.Fatal("LogoutRequest is not signed")
		}
		req, err := saml2.ParseLogoutRedirect(loc.RawQuery, saml2.SPList{p.sp}, p.parseOpts(sloURL))
		if err != nil {
			t.Fatalf("claimgate refuses the demo's LogoutRequest: %v", err)
		}
		return req
	}
	logoutResponse := func(req *saml2.LogoutRequest, se *saml2.StatusError, key bool) []byte {
		t.Helper()
		signer := p.trusted
		if !key {
			signer = p.other
		}
		resp, err := p.idp(signer, idpEntity, p.now).LogoutResponse(req, se)
		if err != nil {
			t.Fatal(err)
		}
		return resp.XML
	}

	c, resp := signIn()
	req := logout(c)
	if !req.Signed || req.NameID != resp.NameID || len(req.SessionIndexes) != 1 || req.SessionIndexes[0] != resp.SessionIndex || req.Reply == nil || req.Reply.Location != spSLO {
		t.Fatalf("LogoutRequest %+v does not name the session of %+v", req, resp)
	}
	status, body := p.post(c, "/demo/saml2/slo", logoutResponse(req, nil, true), "")
	if status != http.StatusOK || !strings.Contains(body, p.pages.T("demo.saml_logged_out")) {
		t.Fatalf("LogoutResponse: %d\n%s", status, body)
	}
	// The SP's session is gone: nothing left to sign out of.
	res, err := c.Get(p.srv.URL + "/demo/saml2/logout")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("second sign-out: %d, want 400 (no session)", res.StatusCode)
	}

	rejected := p.pages.T("demo.saml_logout_rejected")
	for _, tc := range []struct {
		name string
		doc  func(req *saml2.LogoutRequest) []byte
		want string
	}{
		{"unsigned", func(req *saml2.LogoutRequest) []byte {
			doc := string(logoutResponse(req, nil, true))
			i, j := strings.Index(doc, "<ds:Signature"), strings.Index(doc, "</ds:Signature>")
			return []byte(doc[:i] + doc[j+len("</ds:Signature>"):])
		}, "a LogoutResponse must be signed"},
		{"signed by another key", func(req *saml2.LogoutRequest) []byte { return logoutResponse(req, nil, false) }, "Could not verify certificate"},
		{"for another request", func(req *saml2.LogoutRequest) []byte {
			other := *req
			other.ID = "_another_request"
			return logoutResponse(&other, nil, true)
		}, "InResponseTo is &#34;_another_request&#34;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := signIn()
			status, body := p.post(c, "/demo/saml2/slo", tc.doc(logout(c)), "")
			if status != http.StatusForbidden || !strings.Contains(body, rejected) || !strings.Contains(body, tc.want) {
				t.Errorf("%d, want 403 saying %q\n%s", status, tc.want, body)
			}
		})
	}
	t.Run("error status", func(t *testing.T) {
		c, _ := signIn()
		req := logout(c)
		se := &saml2.StatusError{Code: saml2.StatusRequester, SubCode: saml2.StatusRequestDenied, Message: "The sign-out request was refused.", Logout: req}
		status, body := p.post(c, "/demo/saml2/slo", logoutResponse(req, se, true), "")
		if status != http.StatusForbidden || !strings.Contains(body, p.pages.T("demo.saml_error_status")) || !strings.Contains(body, saml2.StatusRequestDenied) {
			t.Errorf("%d\n%s", status, body)
		}
	})
}
