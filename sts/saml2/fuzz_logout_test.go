package saml2

import (
	"crypto/x509"
	"errors"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// checkLogoutRequest is what must hold for whatever the LogoutRequest
// parsers return: a request from a known SP, signed unless that SP is
// InsecureUnsignedLogout, naming exactly one NameID; a refusal is a
// *StatusError whose LogoutResponse, if it carries one, goes to the SP's
// own registered HTTP-POST logout endpoint and nowhere else.
func checkLogoutRequest(t *testing.T, r *LogoutRequest, err error, sps SPList) {
	t.Helper()
	if err != nil {
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("error %v is not a *StatusError", err)
		}
		if se.Logout == nil {
			return
		}
		r = se.Logout
	}
	sp, ok := sps.SP(r.Issuer)
	if !ok || r.SP == nil || r.SP.EntityID != sp.EntityID {
		t.Fatalf("request from unknown issuer %q", r.Issuer)
	}
	if r.Reply != nil {
		registered := false
		for _, e := range sp.SLO {
			registered = registered || (e.Binding == BindingPOST && (e.Location == r.Reply.Location || e.ResponseLocation == r.Reply.Location))
		}
		if !registered {
			t.Fatalf("reply %+v is not a registered HTTP-POST logout endpoint", r.Reply)
		}
	}
	if err != nil {
		return
	}
	if !r.Signed && !sp.InsecureUnsignedLogout {
		t.Fatal("unsigned LogoutRequest accepted")
	}
	if r.NameID == "" {
		t.Fatalf("LogoutRequest accepted without a NameID: %+v", r)
	}
}

func FuzzParseLogoutRequest(f *testing.F) {
	spKey, spCert := ststest.LoadKeyPair(f, "other")
	good := logoutRequestXML(` NotOnOrAfter="2025-05-01T10:04:59.000Z"`, logoutSubject)
	f.Add(redirectQuery(f, good, relayState, spKey, xmlsig.SigRSASHA256), postForm(f, good, relayState, spKey, spCert).Get("SAMLRequest"), relayState)
	f.Add(redirectQuery(f, good, "", nil, ""), postForm(f, good, "", nil, nil).Get("SAMLRequest"), "")
	f.Add(redirectQuery(f, logoutRequestXML("", ""), "", spKey, xmlsig.SigRSASHA256), "PHg+", "r")
	f.Add("SAMLRequest=%%&SigAlg=x&Signature=y", "", "")
	sps := testSPs(f)
	insecure := testSPs(f, func(sp *SP) { sp.InsecureUnsignedLogout = true })
	f.Fuzz(func(t *testing.T, q, samlRequest, relay string) {
		for _, l := range []SPList{sps, insecure} {
			r, err := ParseLogoutRedirect(q, l, sloOpts())
			checkLogoutRequest(t, r, err, l)
			r, err = ParseLogoutPOST(url.Values{"SAMLRequest": {samlRequest}, "RelayState": {relay}}, l, sloOpts())
			checkLogoutRequest(t, r, err, l)
		}
	})
}

// FuzzSPFromMetadata: whatever SP metadata reads as, pinned to the AD FS
// signer, came with that signer's signature; read unsigned it is still a
// usable SP (an entity ID and at least one HTTP-POST ACS). Nothing panics.
func FuzzSPFromMetadata(f *testing.F) {
	for _, v := range []string{"2", "3", "4"} {
		f.Add(readFixture(f, "adfs-v"+v+"-metadata.xml"))
	}
	f.Add([]byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example/"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><x/>`))
	signer := ststest.LoadCert(f, filepath.Join("testdata", "adfs", "certs", "adfs-v4-signing.pem"))
	pinned := MetadataOptions{TrustedCerts: []*x509.Certificate{signer}, Now: ststest.FixedNow}
	unsigned := MetadataOptions{InsecureAllowUnsigned: true, Now: ststest.FixedNow}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, o := range []MetadataOptions{pinned, unsigned} {
			sp, err := SPFromMetadata(doc, o)
			if err != nil {
				continue
			}
			if sp.EntityID == "" || sp.DefaultACS() == nil {
				t.Fatalf("SP without entity ID or ACS: %+v", sp)
			}
			for _, e := range sp.ACS {
				if e.Binding == "" || e.Location == "" {
					t.Fatalf("ACS without binding or location: %+v", e)
				}
			}
		}
	})
}
