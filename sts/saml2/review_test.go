package saml2

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// Regression tests for the attacker review of the SAML 2.0 core (the
// scratch proofs were zz_attack_test.go in a clone).

var sessionKey = bytes.Repeat([]byte{0x53}, 32)

func sessionIdP(t testing.TB) *IdP {
	t.Helper()
	k, c := ststest.LoadKeyPair(t, "signing")
	p, err := NewIdP(IdPConfig{
		EntityID: ststest.EntityID, Signer: k, Certificate: c,
		Now: ststest.FixedNow, NewID: ststest.SeqIDs(), Rand: &detRand{}, PersistentKey: persistentKey, SessionIndexKey: sessionKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSessionIndexPerSP: one login session signed in at two SPs gives
// each its own SessionIndex (persistent NameIDs already differ, so an
// equal SessionIndex would link them), derived so that a LogoutRequest
// from either SP still finds the session, and only from that SP.
func TestSessionIndexPerSP(t *testing.T) {
	const session = "_login-session-7f3a"
	sp1 := testSP(t)
	sp2 := testSP(t)
	sp2.EntityID = "https://other-sp.example/"
	sps := SPList{sp1, sp2}
	p := sessionIdP(t)
	got := map[string]string{}
	for _, sp := range sps {
		xml := strings.Replace(authnRequestXML("", ""), spEntityID, sp.EntityID, 1)
		r, err := ParseRedirect(redirectQuery(t, xml, "", nil, ""), sps, parseOpts())
		if err != nil {
			t.Fatal(err)
		}
		in := testInput(r)
		in.Authn.SessionIndex = session
		resp, err := p.Respond(in)
		if err != nil {
			t.Fatal(err)
		}
		if resp.SessionIndex == session || !strings.HasPrefix(resp.SessionIndex, "_") ||
			!bytes.Contains(resp.XML, []byte(`SessionIndex="`+resp.SessionIndex+`"`)) {
			t.Errorf("%s: SessionIndex %q (session %q)", sp.EntityID, resp.SessionIndex, session)
		}
		if want, err := p.SessionIndex(session, sp.EntityID); err != nil || want != resp.SessionIndex {
			t.Errorf("SessionIndex(%s) = %q, %v; the Response says %q", sp.EntityID, want, err, resp.SessionIndex)
		}
		got[sp.EntityID] = resp.SessionIndex
	}
	if got[sp1.EntityID] == got[sp2.EntityID] {
		t.Fatalf("both SPs see SessionIndex %q", got[sp1.EntityID])
	}
	logout := func(sp *SP, indexes ...string) *LogoutRequest {
		return &LogoutRequest{SP: sp, SessionIndexes: indexes}
	}
	for name, tc := range map[string]struct {
		req     *LogoutRequest
		session string
		want    bool
	}{
		"own index":            {logout(&sp1, got[sp1.EntityID]), session, true},
		"among others":         {logout(&sp2, "_x", got[sp2.EntityID]), session, true},
		"another SP's index":   {logout(&sp1, got[sp2.EntityID]), session, false},
		"raw session":          {logout(&sp1, session), session, false},
		"another session":      {logout(&sp1, got[sp1.EntityID]), "_login-session-other", false},
		"no index, every one":  {logout(&sp1), session, true},
		"empty index is none":  {logout(&sp1, ""), session, false},
		"index of the session": {logout(&sp2, got[sp1.EntityID]), session, false},
	} {
		if ok, err := p.LogoutMatches(tc.req, tc.session); err != nil || ok != tc.want {
			t.Errorf("%s: %v, %v; want %v", name, ok, err, tc.want)
		}
	}
	// Without a key the session cannot be given: every SP would see it.
	r := parseADFSRequest(t)
	in := testInput(r)
	in.Authn.SessionIndex = session
	if _, err := testIdP(t).Respond(in); err == nil {
		t.Error("Authn.SessionIndex accepted without a SessionIndexKey")
	}
	if _, err := NewIdP(IdPConfig{EntityID: "x", SessionIndexKey: []byte("short")}); err == nil || !strings.Contains(err.Error(), "session") {
		t.Errorf("short SessionIndexKey: %v", err)
	}
}

// TestEncryptionFromMetadata: an SP whose metadata names no content
// algorithm (AD FS: .NET EncryptedXml has no GCM) gets AES-256-CBC; the
// first algorithm the SP lists that we implement wins otherwise.
func TestEncryptionFromMetadata(t *testing.T) {
	doc := readFixture(t, "adfs-v4-metadata.xml")
	signer := ststest.LoadCert(t, "testdata/adfs/certs/adfs-v4-signing.pem")
	sp, err := SPFromMetadata(doc, MetadataOptions{TrustedCerts: []*x509.Certificate{signer}, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	sp.EncryptAssertions = true
	r, err := ParseRedirect(redirectQuery(t, strings.Replace(authnRequestXML("", adfsNameIDPolicy), spEntityID, sp.EntityID, 1), "", nil, ""), SPList{*sp}, parseOpts())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := testIdP(t).Respond(testInput(r))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(resp.XML, []byte(`Algorithm="`+EncMethodAES256CBC+`"`)) || bytes.Contains(resp.XML, []byte("gcm")) {
		t.Errorf("AD FS SP without EncryptionMethod: not AES-256-CBC\n%s", resp.XML)
	}
	for name, tc := range map[string]struct {
		methods string
		want    string
	}{
		"GCM listed":             {`<md:EncryptionMethod Algorithm="` + EncMethodAES256GCM + `"/>`, EncAES256GCM},
		"key transport only":     {`<md:EncryptionMethod Algorithm="` + KeyTransportRSAOAEP + `"/>`, ""},
		"unknown, then 128-CBC":  {`<md:EncryptionMethod Algorithm="urn:x:aes512"/><md:EncryptionMethod Algorithm="` + EncMethodAES128CBC + `"/>`, EncAES128CBC},
		"256-CBC before GCM":     {`<md:EncryptionMethod Algorithm="` + EncMethodAES256CBC + `"/><md:EncryptionMethod Algorithm="` + EncMethodAES256GCM + `"/>`, EncAES256CBC},
		"only on a signing key":  {"", ""},
		"none we can do, stated": {`<md:EncryptionMethod Algorithm="urn:x:aes512"/>`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			kd := `<md:KeyDescriptor use="encryption">` + keyInfoXML(t) + tc.methods + `</md:KeyDescriptor>`
			if name == "only on a signing key" {
				kd = `<md:KeyDescriptor use="encryption">` + keyInfoXML(t) + `</md:KeyDescriptor>` +
					`<md:KeyDescriptor use="signing">` + keyInfoXML(t) + `<md:EncryptionMethod Algorithm="` + EncMethodAES256GCM + `"/></md:KeyDescriptor>`
			}
			sp, err := SPFromMetadata(spMetadata(t, "", kd+acsXML(0, "", "https://sp.example/acs")), MetadataOptions{InsecureAllowUnsigned: true, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			if sp.EncryptionMethod != tc.want || sp.EncryptionCert == nil {
				t.Errorf("EncryptionMethod %q, want %q", sp.EncryptionMethod, tc.want)
			}
		})
	}
}

// TestNameIDFormatPinned: the request does not choose the identifier
// namespace. AD FS from its metadata (which lists several formats) is
// pinned to unspecified; a format the SP is not configured for is
// InvalidNameIDPolicy, answered to the SP.
func TestNameIDFormatPinned(t *testing.T) {
	doc := readFixture(t, "adfs-v4-metadata.xml")
	signer := ststest.LoadCert(t, "testdata/adfs/certs/adfs-v4-signing.pem")
	sp, err := SPFromMetadata(doc, MetadataOptions{TrustedCerts: []*x509.Certificate{signer}, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	request := func(sp *SP, format string) (*AuthnRequest, error) {
		xml := strings.Replace(authnRequestXML("", `<samlp:NameIDPolicy Format="`+format+`"/>`), spEntityID, sp.EntityID, 1)
		return ParseRedirect(redirectQuery(t, xml, relayState, nil, ""), SPList{*sp}, parseOpts())
	}
	if r, err := request(sp, NameIDUnspecified); err != nil || r.NameIDFormat != NameIDUnspecified {
		t.Errorf("unspecified: %v %+v", err, r)
	}
	for _, f := range []string{NameIDEmailAddress, NameIDPersistent, NameIDTransient} {
		_, err := request(sp, f)
		se := wantRefusal(t, func() error { return err }, StatusRequester)
		if se.SubCode != StatusInvalidNameIDPolicy || se.Request == nil {
			t.Errorf("%s: %v (replyable %v)", f, se, se.Request != nil)
		}
	}
	allowed := *sp
	allowed.NameIDFormats = []string{NameIDPersistent}
	if err := allowed.Validate(); err != nil {
		t.Fatal(err)
	}
	if r, err := request(&allowed, NameIDPersistent); err != nil || r.NameIDFormat != NameIDPersistent {
		t.Errorf("persistent allowed: %v %+v", err, r)
	}
	if _, err := request(&allowed, NameIDTransient); err == nil {
		t.Error("transient accepted where only persistent is allowed")
	}
	allowed.NameIDFormats = []string{"urn:x"}
	if allowed.Validate() == nil {
		t.Error("unknown allowed format passes Validate")
	}
}

// TestSignedRequestNeedsDestination: a signed request must say where it
// is going (bindings §3.4.5.2, §3.5.5.2), or a signature meant for
// another IdP's endpoint would be good here.
func TestSignedRequestNeedsDestination(t *testing.T) {
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	signedSPs := testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned = true })
	xml := strings.Replace(authnRequestXML("", adfsNameIDPolicy), ` Destination="`+ssoURL+`"`, "", 1)
	lx := strings.Replace(logoutRequestXML("", logoutSubject), ` Destination="`+sloURL+`"`, "", 1)
	for name, f := range map[string]func() error{
		"redirect": func() error {
			_, err := ParseRedirect(redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA256), signedSPs, parseOpts())
			return err
		},
		"POST": func() error {
			_, err := ParsePOST(postForm(t, xml, relayState, spKey, spCert), signedSPs, parseOpts())
			return err
		},
		"logout": func() error {
			_, err := ParseLogoutRedirect(redirectQuery(t, lx, relayState, spKey, xmlsig.SigRSASHA256), testSPs(t), sloOpts())
			return err
		},
	} {
		if se := wantRefusal(t, f, StatusRequester); se.SubCode != StatusRequestDenied {
			t.Errorf("%s: %v", name, se)
		}
	}
	// Unsigned, Destination stays optional (AD FS always sends it, others
	// may not).
	if _, err := ParseRedirect(redirectQuery(t, xml, relayState, nil, ""), testSPs(t), parseOpts()); err != nil {
		t.Errorf("unsigned without Destination: %v", err)
	}
}

// TestRequireSignedRequests: ParseOptions.RequireSignedRequests (our
// metadata's WantAuthnRequestsSigned) refuses unsigned requests from an
// SP that does not sign by itself.
func TestRequireSignedRequests(t *testing.T) {
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	o := parseOpts()
	o.RequireSignedRequests = true
	xml := authnRequestXML("", adfsNameIDPolicy)
	if _, err := ParseRedirect(redirectQuery(t, xml, relayState, nil, ""), testSPs(t), o); err == nil {
		t.Error("unsigned redirect accepted")
	}
	if _, err := ParsePOST(postForm(t, xml, relayState, nil, nil), testSPs(t), o); err == nil {
		t.Error("unsigned POST accepted")
	}
	if r, err := ParsePOST(postForm(t, xml, relayState, spKey, spCert), testSPs(t), o); err != nil || !r.Signed {
		t.Errorf("signed POST: %v", err)
	}
	// An SP with nothing to check a signature against cannot pass.
	if _, err := ParsePOST(postForm(t, xml, relayState, spKey, spCert), testSPs(t, func(sp *SP) { sp.SigningCerts = nil }), o); err == nil {
		t.Error("SP without certificates accepted")
	}
}

func certFor(t *testing.T, key *rsa.PrivateKey, serial int64, nb, na time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "adfs signing"}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRedirectSignatureRenewedKey: an SP that renewed its certificate
// for the same key lists the expired one first; the valid one behind it
// must still count.
func TestRedirectSignatureRenewedKey(t *testing.T) {
	spKey, _ := ststest.LoadKeyPair(t, "other")
	now := fixedNow()
	old := certFor(t, spKey, 1, now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1))
	cur := certFor(t, spKey, 2, now.AddDate(0, 0, -1), now.AddDate(1, 0, 0))
	q := redirectQuery(t, authnRequestXML("", adfsNameIDPolicy), relayState, spKey, xmlsig.SigRSASHA256)
	with := func(cs ...*x509.Certificate) SPList {
		return testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned = true; sp.SigningCerts = cs })
	}
	if r, err := ParseRedirect(q, with(old, cur), parseOpts()); err != nil || !r.Signed {
		t.Errorf("[expired, valid]: %v", err)
	}
	if _, err := ParseRedirect(q, with(old), parseOpts()); err == nil {
		t.Error("expired only: accepted")
	}
}

// spMetadata is an unsigned SP EntityDescriptor around an SPSSODescriptor
// holding inner.
func spMetadata(t testing.TB, attrs, inner string) []byte {
	t.Helper()
	return []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_m" entityID="https://sp.example/"` + attrs + `>` +
		`<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + inner + `</md:SPSSODescriptor></md:EntityDescriptor>`)
}

func acsXML(index int, isDefault, location string) string {
	s := `<md:AssertionConsumerService Binding="` + BindingPOST + `" Location="` + location + `" index="` + string(rune('0'+index)) + `"`
	if isDefault != "" {
		s += ` isDefault="` + isDefault + `"`
	}
	return s + `/>`
}

func keyInfoXML(t testing.TB) string {
	t.Helper()
	_, c := ststest.LoadKeyPair(t, "other")
	return `<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + b64(c.Raw) +
		`</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`
}

func signMetadata(t testing.TB, doc []byte) []byte {
	t.Helper()
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	s, err := xmlsig.NewSigner(spKey, spCert, xmlsig.Layout{Name: "metadata", IDAttr: "ID", Place: xmlsig.PlaceFirst})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Sign(d.Root(), "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSPMetadataValidUntil: signed metadata past its validUntil (on the
// EntityDescriptor or the SPSSODescriptor) is refused, judged by the
// injected clock; a bad validUntil is refused too.
func TestSPMetadataValidUntil(t *testing.T) {
	_, spCert := ststest.LoadKeyPair(t, "other")
	acs := acsXML(0, "", "https://sp.example/acs")
	trusted := MetadataOptions{TrustedCerts: []*x509.Certificate{spCert}, Now: fixedNow}
	stale := signMetadata(t, spMetadata(t, ` validUntil="2001-01-01T00:00:00Z"`, acs))
	if _, err := SPFromMetadata(stale, trusted); err == nil || !strings.Contains(err.Error(), "validUntil") {
		t.Errorf("validUntil 2001: %v", err)
	}
	then := trusted
	then.Now = func() time.Time { return time.Date(2000, 12, 31, 0, 0, 0, 0, time.UTC) }
	if _, err := SPFromMetadata(stale, then); err != nil {
		t.Errorf("before validUntil: %v", err)
	}
	roleStale := strings.Replace(string(spMetadata(t, "", acs)), `<md:SPSSODescriptor `, `<md:SPSSODescriptor validUntil="2025-05-01T09:59:59Z" `, 1)
	for name, doc := range map[string][]byte{
		"descriptor stale": []byte(roleStale),
		"not a dateTime":   spMetadata(t, ` validUntil="soon"`, acs),
	} {
		if _, err := SPFromMetadata(doc, MetadataOptions{InsecureAllowUnsigned: true, Now: fixedNow}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := SPFromMetadata(spMetadata(t, ` validUntil="2025-05-01T10:00:01Z"`, acs), MetadataOptions{InsecureAllowUnsigned: true, Now: fixedNow}); err != nil {
		t.Errorf("still valid: %v", err)
	}
}

// TestDefaultACSOrder: metadata §2.2.3: isDefault="true" first, else the
// first endpoint without isDefault="false", else the first one, in
// document order (not by index).
func TestDefaultACSOrder(t *testing.T) {
	for name, tc := range map[string]struct {
		acs  string
		want string
	}{
		"false, then unmarked":   {acsXML(0, "false", "https://old.example/acs") + acsXML(1, "", "https://sp.example/acs"), "https://sp.example/acs"},
		"document order":         {acsXML(5, "", "https://first.example/acs") + acsXML(1, "", "https://second.example/acs"), "https://first.example/acs"},
		"all false: first":       {acsXML(2, "false", "https://a.example/acs") + acsXML(1, "false", "https://b.example/acs"), "https://a.example/acs"},
		"true wins":              {acsXML(0, "", "https://a.example/acs") + acsXML(1, "true", "https://b.example/acs"), "https://b.example/acs"},
		"false 0, unmarked 1, 2": {acsXML(0, "0", "https://a.example/acs") + acsXML(2, "", "https://c.example/acs") + acsXML(1, "", "https://b.example/acs"), "https://c.example/acs"},
	} {
		sp, err := SPFromMetadata(spMetadata(t, "", tc.acs), MetadataOptions{InsecureAllowUnsigned: true, Now: fixedNow})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := sp.DefaultACS(); d == nil || d.Location != tc.want {
			t.Errorf("%s: default %+v, want %s", name, d, tc.want)
		}
	}
}

// TestValidateHTTPS: a bearer assertion is not sent over plain http
// unless the SP is explicitly InsecureHTTP.
func TestValidateHTTPS(t *testing.T) {
	for name, mut := range map[string]func(*SP){
		"http ACS":              func(sp *SP) { sp.ACS[0].Location = "http://adfs.example.com/adfs/ls/" },
		"http SLO":              func(sp *SP) { sp.SLO[1].Location = "http://adfs.example.com/adfs/ls/" },
		"http ResponseLocation": func(sp *SP) { sp.SLO[1].ResponseLocation = "http://adfs.example.com/adfs/ls/" },
	} {
		sp := testSP(t)
		mut(&sp)
		if err := sp.Validate(); err == nil || !strings.Contains(err.Error(), "https") {
			t.Errorf("%s: %v", name, err)
		}
		sp.InsecureHTTP = true
		if err := sp.Validate(); err != nil {
			t.Errorf("%s, InsecureHTTP: %v", name, err)
		}
	}
	// From metadata, an http ACS is refused as well.
	if _, err := SPFromMetadata(spMetadata(t, "", acsXML(0, "", "http://sp.example/acs")), MetadataOptions{InsecureAllowUnsigned: true, Now: fixedNow}); err == nil {
		t.Error("http ACS from metadata accepted")
	}
}

// TestRequestIDNCName: request IDs are xs:ID (NCName); anything else is
// refused before it is echoed as InResponseTo (which would make our
// Response schema-invalid).
func TestRequestIDNCName(t *testing.T) {
	for _, id := range []string{`a&#10;b&#13;c&#9;d&quot;e&lt;f`, "1abc", "a:b", "a b", "-x"} {
		xml := strings.Replace(authnRequestXML("", adfsNameIDPolicy), `ID="`+requestID+`"`, `ID="`+id+`"`, 1)
		se := wantRefusal(t, func() error {
			_, err := ParseRedirect(redirectQuery(t, xml, relayState, nil, ""), testSPs(t), parseOpts())
			return err
		}, StatusRequester)
		if se.Request != nil {
			t.Errorf("%q: replyable", id)
		}
		lx := strings.Replace(logoutRequestXML("", logoutSubject), `ID="`+logoutID+`"`, `ID="`+id+`"`, 1)
		spKey, _ := ststest.LoadKeyPair(t, "other")
		if _, err := ParseLogoutRedirect(redirectQuery(t, lx, relayState, spKey, xmlsig.SigRSASHA256), testSPs(t), sloOpts()); err == nil {
			t.Errorf("logout %q: accepted", id)
		}
	}
}

// TestLogoutStatusMessages: PartialLogout says what happened; Success
// carries no message; logout refusals do not talk about sign-in.
func TestLogoutStatusMessages(t *testing.T) {
	partial := NewStatusError(nil, StatusSuccess, StatusPartialLogout, "one SP did not answer")
	if partial.Message == "" || strings.Contains(partial.Message, "sign-in") || strings.Contains(partial.Message, "not valid") {
		t.Errorf("PartialLogout message %q", partial.Message)
	}
	if m := NewStatusError(nil, StatusSuccess, "", "").Message; m != "" {
		t.Errorf("Success message %q", m)
	}
	req, err := ParseLogoutRedirect(redirectQuery(t, logoutRequestXML("", logoutSubject), relayState, mustKey(t), xmlsig.SigRSASHA256), testSPs(t), sloOpts())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := testIdP(t).LogoutResponse(req, partial)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(resp.XML, []byte("<samlp:StatusMessage>"+partial.Message+"</samlp:StatusMessage>")) {
		t.Errorf("LogoutResponse:\n%s", resp.XML)
	}
	if out, ok := ststest.XMLLintValidate(t, resp.XML, protocolSchema); !ok {
		t.Errorf("not schema-valid:\n%s", out)
	}
	_, err = ParseLogoutRedirect(redirectQuery(t, logoutRequestXML(` NotOnOrAfter="2025-05-01T09:50:00.000Z"`, logoutSubject), relayState, mustKey(t), xmlsig.SigRSASHA256), testSPs(t), sloOpts())
	se := wantRefusal(t, func() error { return err }, StatusRequester)
	if strings.Contains(se.Message, "sign-in") || !strings.Contains(se.Message, "sign-out") {
		t.Errorf("logout refusal message %q", se.Message)
	}
}

func mustKey(t testing.TB) *rsa.PrivateKey {
	k, _ := ststest.LoadKeyPair(t, "other")
	return k
}

// TestReplayExpiryMargin: a request ID is remembered past the last moment
// the request could still be accepted: max(IssueInstant, now) + Skew +
// a margin, so a request issued "in the future" (within the skew) or
// checked right at the edge cannot be replayed once the entry expires.
func TestReplayExpiryMargin(t *testing.T) {
	for name, instant := range map[string]string{
		"past":   "2025-05-01T09:56:00.000Z",
		"future": "2025-05-01T10:04:00.000Z",
	} {
		var expires time.Time
		o := parseOpts()
		o.Replay = idCache(func(_ string, e time.Time) bool { expires = e; return false })
		xml := strings.Replace(authnRequestXML("", ""), `IssueInstant="2025-05-01T09:59:58.739Z"`, `IssueInstant="`+instant+`"`, 1)
		// Signed: only a signed request's ID is remembered.
		spKey, _ := ststest.LoadKeyPair(t, "other")
		signedSPs := testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned = true })
		if _, err := ParseRedirect(redirectQuery(t, xml, "", spKey, xmlsig.SigRSASHA256), signedSPs, o); err != nil {
			t.Fatal(err)
		}
		it, _ := time.Parse(time.RFC3339, instant)
		latest := fixedNow()
		if it.After(latest) {
			latest = it
		}
		if min := latest.Add(DefaultSkew); !expires.After(min) {
			t.Errorf("%s: remembered until %s, want after %s", name, expires, min)
		}
	}
}
