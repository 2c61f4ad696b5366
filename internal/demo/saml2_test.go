package demo_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/saml2"
)

const acsPath = "/demo/saml2/acs"

// TestSAML2Accepts: a Response claimgate's IdP builds for the demo's own
// AuthnRequest is accepted, and the page shows the NameID, SessionIndex,
// AuthnContextClassRef and attributes it carries. The request works once.
func TestSAML2Accepts(t *testing.T) {
	for _, signResponse := range []bool{false, true} {
		p := newSAMLRP(t)
		c := p.client()
		req := p.begin(c)
		req.SP.SignResponse = signResponse
		resp := p.respond(p.idp(p.trusted, idpEntity, p.now), req)
		status, body := p.post(c, acsPath, resp.XML, resp.RelayState)
		if status != http.StatusOK || !strings.Contains(body, p.pages.T("demo.saml_accepted")) {
			t.Fatalf("signed Response %v: %d\n%s", signResponse, status, body)
		}
		for _, want := range []string{
			`data-claim="nameid">alice@example.test<`, `data-claim="sessionindex">` + resp.SessionIndex + `<`,
			`data-claim="authncontextclassref">` + claims.MultipleAuthn + `<`,
			`data-claim="` + claims.UPN + `">alice@example.test<`, `data-claim="` + claims.GroupSID + `">S-1-5-32-545<`,
			idpEntity, spEntity, `href="/demo/saml2/logout"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("signed Response %v: the page lacks %s", signResponse, want)
			}
		}
		if signResponse != strings.Contains(body, "message signature by claimgate&#39;s certificate: signed") {
			t.Errorf("signed Response %v: the page does not say whether the Response was signed", signResponse)
		}
		status, body = p.post(c, acsPath, resp.XML, resp.RelayState)
		if status != http.StatusForbidden || !strings.Contains(body, "no request waiting") {
			t.Errorf("replayed Response: %d\n%s", status, body)
		}
	}
}

// TestSAML2Refuses: each single deviation from a good Response is refused
// with a message that names it, and no claim is shown.
func TestSAML2Refuses(t *testing.T) {
	p := newSAMLRP(t)
	good := func(req *saml2.AuthnRequest) []byte { return p.respond(p.idp(p.trusted, idpEntity, p.now), req).XML }
	for _, tc := range []struct {
		name string
		// doc makes the Response for the request the browser has pending.
		doc   func(t *testing.T, req *saml2.AuthnRequest) []byte
		relay func(req *saml2.AuthnRequest) string
		want  string
	}{
		{name: "wrong InResponseTo", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			other := *req
			other.ID = "_another_request"
			return good(&other)
		}, want: `✘ InResponseTo = the request this browser sent: InResponseTo is &#34;_another_request&#34;`},
		{name: "wrong audience", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			sp := *req.SP
			sp.EntityID = "urn:another:sp"
			req.SP = &sp
			return good(req)
		}, want: `Audience = this service provider: the assertion is for`},
		{name: "signed by another key", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return p.respond(p.idp(p.other, idpEntity, p.now), req).XML
		}, want: "assertion signature by claimgate&#39;s certificate: signature: Could not verify certificate"},
		{name: "Response signed by another key", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			req.SP.SignResponse = true
			return p.respond(p.idp(p.other, idpEntity, p.now), req).XML
		}, want: "message signature by claimgate&#39;s certificate: signature: Could not verify certificate"},
		{name: "a signed value changed", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return bytes.Replace(good(req), []byte(">S-1-5-32-545<"), []byte(">S-1-5-32-544<"), 1)
		}, want: "assertion signature by claimgate&#39;s certificate: signature: Signature could not be verified"},
		{name: "a second, unsigned assertion before the signed one", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return wrap(t, good(req), false)
		}, want: "the Response holds 2 assertions (2 as its children)"},
		{name: "the signed assertion hidden inside a forged one", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return wrap(t, good(req), true)
		}, want: "the Response holds 2 assertions (1 as its children)"},
		{name: "bearer confirmation for another request", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			// The unsigned Response is made to answer the right request;
			// the signed confirmation inside still names the other one.
			other := *req
			other.ID = "_another_request"
			return bytes.Replace(good(&other), []byte(`InResponseTo="_another_request"`), []byte(`InResponseTo="`+req.ID+`"`), 1)
		}, want: "✘ bearer SubjectConfirmation: Recipient = ACS, InResponseTo, NotOnOrAfter: InResponseTo is &#34;_another_request&#34;"},
		{name: "bearer confirmation for another ACS", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			other := *req
			other.ACS = saml2.Endpoint{Binding: saml2.BindingPOST, Location: "https://evil.example/acs"}
			return bytes.Replace(good(&other), []byte(`Destination="https://evil.example/acs"`), []byte(`Destination="`+spACS+`"`), 1)
		}, want: "✘ bearer SubjectConfirmation: Recipient = ACS, InResponseTo, NotOnOrAfter: Recipient is &#34;https://evil.example/acs&#34;"},
		{name: "expired", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return p.respond(p.idp(p.trusted, idpEntity, p.now.Add(-3*time.Hour)), req).XML
		}, want: "Conditions: NotBefore ≤ now &lt; NotOnOrAfter: expired at"},
		{name: "bearer confirmation expired", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			// The Conditions still hold; only the 5-minute confirmation has passed.
			return p.respond(p.idp(p.trusted, idpEntity, p.now.Add(-10*time.Minute)), req).XML
		}, want: "bearer SubjectConfirmation: Recipient = ACS, InResponseTo, NotOnOrAfter: the confirmation expired at"},
		{name: "not yet valid", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return p.respond(p.idp(p.trusted, idpEntity, p.now.Add(time.Hour)), req).XML
		}, want: "not valid before"},
		{name: "another issuer", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return p.respond(p.idp(p.trusted, "https://evil.example/", p.now), req).XML
		}, want: "✘ Issuer = claimgate: Issuer is &#34;https://evil.example/&#34;"},
		{name: "assertion from another issuer", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			// The Response is unsigned: its own Issuer can be made right,
			// the signed assertion's cannot.
			doc := p.respond(p.idp(p.trusted, "https://evil.example/", p.now), req).XML
			return bytes.Replace(doc, []byte(">https://evil.example/<"), []byte(">"+idpEntity+"<"), 1)
		}, want: "✘ assertion Issuer = claimgate: Issuer is &#34;https://evil.example/&#34;"},
		{name: "another Destination", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			// The Response itself is not signed, so this changes no digest:
			// only the Destination check can catch it.
			return bytes.Replace(good(req), []byte(`Destination="`+spACS+`"`), []byte(`Destination="https://evil.example/acs"`), 1)
		}, want: "Destination = this endpoint: Destination is &#34;https://evil.example/acs&#34;"},
		{name: "RelayState changed", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte { return good(req) },
			relay: func(req *saml2.AuthnRequest) string { return req.RelayState + "x" }, want: "RelayState returned unchanged: RelayState is"},
		{name: "encrypted assertion", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			req.SP.EncryptAssertions, req.SP.EncryptionCert = true, p.spKey.Certificate
			return good(req)
		}, want: "the assertion is encrypted"},
		{name: "DOCTYPE", doc: func(t *testing.T, req *saml2.AuthnRequest) []byte {
			return append([]byte(`<!DOCTYPE x [<!ENTITY e "alice">]>`), good(req)...)
		}, want: "the Response passes the XML gate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := p.client()
			req := p.begin(c)
			sp := *req.SP
			req.SP = &sp
			relay := req.RelayState
			if tc.relay != nil {
				relay = tc.relay(req)
			}
			status, body := p.post(c, acsPath, tc.doc(t, req), relay)
			refused(t, p, status, body, tc.want)
		})
	}

	t.Run("no request cookie", func(t *testing.T) {
		req := p.begin(p.client())
		status, body := p.post(p.client(), acsPath, good(req), req.RelayState)
		refused(t, p, status, body, "this browser has no request waiting")
	})
	t.Run("not base64", func(t *testing.T) {
		c := p.client()
		p.begin(c)
		if status, body := p.postForm(c, acsPath, "SAMLResponse=%25%25"); status != http.StatusBadRequest || !strings.Contains(body, "not base64") {
			t.Errorf("%d\n%s", status, body)
		}
	})
	t.Run("oversized", func(t *testing.T) {
		c := p.client()
		p.begin(c)
		if status, _ := p.postForm(c, acsPath, "SAMLResponse="+strings.Repeat("A", 5<<20)); status != http.StatusBadRequest {
			t.Errorf("%d", status)
		}
	})
}

// TestSAML2ErrorResponse: a signed error Response is shown as an error
// status with its code and message, not as a broken token.
func TestSAML2ErrorResponse(t *testing.T) {
	p := newSAMLRP(t)
	c := p.client()
	req := p.begin(c)
	resp, err := p.idp(p.trusted, idpEntity, p.now).ErrorResponse(saml2.NewStatusError(req, saml2.StatusResponder, saml2.StatusNoPassive, "test"))
	if err != nil {
		t.Fatal(err)
	}
	status, body := p.post(c, acsPath, resp.XML, resp.RelayState)
	if status != http.StatusForbidden || !strings.Contains(body, p.pages.T("demo.saml_error_status")) || strings.Contains(body, `id="claims"`) {
		t.Fatalf("%d\n%s", status, body)
	}
	for _, want := range []string{saml2.StatusResponder + " / " + saml2.StatusNoPassive, "You need to sign in, but the application asked for no sign-in page.",
		"✔ message signature by claimgate&#39;s certificate: signed", "✘ Status Success"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// refused checks a refusal page: 403, the verdict, the failed check with
// its reason, and no claims.
func refused(t *testing.T, p *samlRP, status int, body, want string) {
	t.Helper()
	if status != http.StatusForbidden || !strings.Contains(body, p.pages.T("demo.saml_rejected")) || strings.Contains(body, p.pages.T("demo.saml_accepted")) {
		t.Errorf("%d\n%s", status, body)
	}
	if !strings.Contains(body, "✘") || !strings.Contains(body, want) {
		t.Errorf("the page does not say %q:\n%s", want, body)
	}
	if strings.Contains(body, `id="claims"`) || strings.Contains(body, "alice@example.test") {
		t.Error("values of a refused Response are shown")
	}
}

// wrap adds a forged, unsigned assertion for "admin" to a good Response:
// before the signed one, or (inside) holding the signed one in its
// Subject, where a careless SP finds a valid signature and reads the
// forged values.
func wrap(t *testing.T, doc []byte, inside bool) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	root := d.Root()
	signed := root.FindElement("./saml:Assertion")
	forged := signed.Copy()
	forged.RemoveChild(forged.FindElement("./ds:Signature"))
	forged.FindElement("./saml:Subject/saml:NameID").SetText("admin@example.test")
	forged.CreateAttr("ID", "_forged")
	root.InsertChildAt(signed.Index(), forged)
	if inside {
		root.RemoveChild(signed)
		forged.FindElement("./saml:Subject").AddChild(signed)
	}
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSAML2StartPage: the start page shows both protocols side by side
// when the SAML SP is configured, and WS-Fed alone when it is not.
func TestSAML2StartPage(t *testing.T) {
	get := func(url string) string {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	both := get(newSAMLRP(t).srv.URL + "/demo/")
	for _, want := range []string{`class="protocols"`, `id="start" href="/demo/begin"`, `id="start-saml2" href="/demo/saml2/begin"`, spEntity, demoRealm} {
		if !strings.Contains(both, want) {
			t.Errorf("start page lacks %s", want)
		}
	}
	if wsfedOnly := get(newRP(t).srv.URL + "/demo/"); strings.Contains(wsfedOnly, "start-saml2") {
		t.Error("a demo without a SAML SP offers a SAML sign-in")
	}
}
