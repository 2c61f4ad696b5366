package saml2

import (
	"encoding/base64"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"

	"github.com/claimgate/claimgate/sts/internal/ststest"
)

// crewjamRequest is crewjam/saml's IdentityProvider with claimgate's
// signing key and certificate, and a validated-looking request from the
// test SP whose metadata carries the same encryption certificate as
// testSP: the peer does what BenchmarkResponse does (assertion signed and
// encrypted for the SP), plus, by its design, a signature on the
// Response, which it always makes. The fields Validate would fill are set
// directly, so the benchmark measures issuance only, as ours does.
func crewjamRequest(tb testing.TB) crewjam.IdpAuthnRequest {
	tb.Helper()
	k, c := ststest.LoadKeyPair(tb, "signing")
	_, enc := ststest.LoadKeyPair(tb, "other")
	meta, err := url.Parse(ststest.EntityID)
	if err != nil {
		tb.Fatal(err)
	}
	idp := &crewjam.IdentityProvider{Key: k, Certificate: c, MetadataURL: *meta}
	acs := crewjam.IndexedEndpoint{Binding: crewjam.HTTPPostBinding, Location: spACS, Index: 0}
	sp := crewjam.SPSSODescriptor{AssertionConsumerServices: []crewjam.IndexedEndpoint{acs}}
	sp.KeyDescriptors = []crewjam.KeyDescriptor{{Use: "encryption", KeyInfo: crewjam.KeyInfo{
		X509Data: crewjam.X509Data{X509Certificates: []crewjam.X509Certificate{{Data: base64.StdEncoding.EncodeToString(enc.Raw)}}}}}}
	return crewjam.IdpAuthnRequest{
		IDP:                     idp,
		HTTPRequest:             httptest.NewRequest("POST", "https://sts.example/saml/sso", nil),
		Request:                 crewjam.AuthnRequest{ID: "_peer-request", Version: "2.0", IssueInstant: fixedNow()},
		ServiceProviderMetadata: &crewjam.EntityDescriptor{EntityID: spEntityID, SPSSODescriptors: []crewjam.SPSSODescriptor{sp}},
		SPSSODescriptor:         &sp,
		ACSEndpoint:             &acs,
		Now:                     fixedNow(),
	}
}

// crewjamSession carries the test user and, as groups, the values of
// the claims ours issues, so both assertions carry about as much.
func crewjamSession() *crewjam.Session {
	id := ststest.Identity()
	var groups []string
	for _, c := range ststest.Claims() {
		groups = append(groups, c.Values...)
	}
	return &crewjam.Session{
		ID: "peer-session", NameID: id.UPN, UserName: id.Username, UserEmail: id.Email,
		UserCommonName: id.DisplayName, Groups: groups,
	}
}

// crewjamRespond makes one signed Response the way crewjam's ServeSSO
// does (MakeAssertion, MakeResponse), serialized as its POST form would
// carry it.
func crewjamRespond(base crewjam.IdpAuthnRequest, s *crewjam.Session) ([]byte, error) {
	req := base // a fresh request: MakeResponse keeps its results in it
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(&req, s); err != nil {
		return nil, err
	}
	if err := req.MakeResponse(); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(req.ResponseEl)
	return doc.WriteToBytes()
}

// TestCrewjamPeerResponse: the peer benchmark measures a real signed
// Response with an encrypted assertion, not an error path.
func TestCrewjamPeerResponse(t *testing.T) {
	out, err := crewjamRespond(crewjamRequest(t), crewjamSession())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<samlp:Response", "<ds:SignatureValue>", "EncryptedAssertion", "<xenc:CipherValue>"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("crewjam's Response has no %s:\n%s", want, out)
		}
	}
}

// BenchmarkCrewjamResponse is the peer of BenchmarkResponse: crewjam/saml
// making a signed SAML 2.0 Response for the same user with the same
// RSA-2048 key. benchratio reports BenchmarkCrewjamResponse ns/op ÷
// BenchmarkResponse ns/op.
func BenchmarkCrewjamResponse(b *testing.B) {
	base, s := crewjamRequest(b), crewjamSession()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := crewjamRespond(base, s); err != nil {
			b.Fatal(err)
		}
	}
}
