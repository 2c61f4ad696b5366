package saml2

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/internal/ststest"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// TestParseRedirectADFS: the request AD FS really sends (unsigned,
// HTTP-Redirect, no ACS URL, unspecified NameIDPolicy) is answered at its
// default ACS with the RelayState echoed.
func TestParseRedirectADFS(t *testing.T) {
	r := parseADFSRequest(t)
	if r.ID != requestID || r.Issuer != spEntityID || r.SP.EntityID != spEntityID || r.Binding != BindingRedirect || r.Signed {
		t.Errorf("request %+v", r)
	}
	if r.ACS.Location != spACS || r.ACS.Index != 0 || r.RelayState != relayState {
		t.Errorf("ACS %+v, RelayState %q", r.ACS, r.RelayState)
	}
	if r.NameIDFormat != NameIDUnspecified || !r.AllowCreate || r.ForceAuthn || r.IsPassive || r.RequestedAuthnContext != nil {
		t.Errorf("policy %+v", r)
	}
	if !r.IssueInstant.Equal(time.Date(2025, 5, 1, 9, 59, 58, 739e6, time.UTC)) || r.Destination != ssoURL {
		t.Errorf("header %v %q", r.IssueInstant, r.Destination)
	}
}

// TestParseRedirectSignature: the detached signature covers the raw query
// octets, whatever their percent-encoding; anything changed, another key,
// a refused algorithm or a missing half fails.
func TestParseRedirectSignature(t *testing.T) {
	spKey, _ := ststest.LoadKeyPair(t, "other")
	idpKey, _ := ststest.LoadKeyPair(t, "signing")
	xml := authnRequestXML("", adfsNameIDPolicy)
	signedSPs := testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned = true })
	q := redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA256)
	r, err := ParseRedirect(q, signedSPs, parseOpts())
	if err != nil {
		t.Fatal(err)
	}
	if !r.Signed {
		t.Error("Signed = false")
	}
	// Lower-case percent-escapes are the same values but other octets:
	// signed that way, they verify only if the raw query is what counts.
	lower := lowerEscapes(redirectQuery(t, xml, relayState, nil, ""))
	lower += "&SigAlg=" + strings.ToLower(url.QueryEscape(xmlsig.SigRSASHA256))
	lower += "&Signature=" + url.QueryEscape(b64(signQuery(t, lower, spKey, xmlsig.SigRSASHA256)))
	if _, err := ParseRedirect(lower, signedSPs, parseOpts()); err != nil {
		t.Errorf("lower-case escapes: %v", err)
	}
	sha1SPs := testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned, sp.SignatureAlgorithm = true, xmlsig.AlgRSASHA1 })
	if _, err := ParseRedirect(redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA1), sha1SPs, parseOpts()); err != nil {
		t.Errorf("rsa-sha1 for an rsa-sha1 SP: %v", err)
	}
	for name, tc := range map[string]struct {
		query string
		sps   SPList
	}{
		"RelayState changed":       {strings.Replace(q, "RelayState=7a4e", "RelayState=8a4e", 1), signedSPs},
		"RelayState dropped":       {dropParam(q, "RelayState"), signedSPs},
		"another key":              {redirectQuery(t, xml, relayState, idpKey, xmlsig.SigRSASHA256), signedSPs},
		"another key, not needed":  {redirectQuery(t, xml, relayState, idpKey, xmlsig.SigRSASHA256), testSPs(t)},
		"rsa-sha1 not allowed":     {redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA1), signedSPs},
		"unsigned but required":    {redirectQuery(t, xml, relayState, nil, ""), signedSPs},
		"SigAlg without Signature": {dropParam(q, "Signature"), testSPs(t)},
		"Signature without SigAlg": {dropParam(q, "SigAlg"), testSPs(t)},
		"XML signature in redirect": {redirectQuery(t, strings.Replace(xml, "</Issuer>",
			`</Issuer><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>`, 1), relayState, nil, ""), testSPs(t)},
	} {
		t.Run(name, func(t *testing.T) {
			se := wantRefusal(t, func() error { _, err := ParseRedirect(tc.query, tc.sps, parseOpts()); return err }, StatusRequester)
			if se.Request != nil {
				t.Error("an unproven request must not be answered in SAML")
			}
		})
	}
	// An SP whose certificate is not valid at the time refuses its
	// signatures too.
	_, err = ParseRedirect(q, signedSPs, ParseOptions{Endpoint: ssoURL, Now: func() time.Time { return time.Date(2121, 1, 1, 0, 0, 0, 0, time.UTC) },
		Skew: time.Hour})
	wantRefusal(t, func() error { return err }, StatusRequester)
}

// TestParsePOSTSignature: an enveloped signature by the SP's key is
// verified by xmlsig and values are read from the signed element.
func TestParsePOSTSignature(t *testing.T) {
	spKey, spCert := ststest.LoadKeyPair(t, "other")
	idpKey, idpCert := ststest.LoadKeyPair(t, "signing")
	xml := authnRequestXML(` AssertionConsumerServiceURL="`+spACSAlt+`" ProtocolBinding="`+BindingPOST+`"`, adfsNameIDPolicy)
	signedSPs := testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned = true })
	f := postForm(t, xml, relayState, spKey, spCert)
	r, err := ParsePOST(f, signedSPs, parseOpts())
	if err != nil {
		t.Fatal(err)
	}
	if !r.Signed || r.Binding != BindingPOST || r.ACS.Location != spACSAlt || r.ACS.Index != 3 || r.RelayState != relayState {
		t.Errorf("request %+v", r)
	}
	tampered := url.Values{"SAMLRequest": {b64([]byte(strings.Replace(mustB64Decode(t, f.Get("SAMLRequest")), spACSAlt, spACS, 1)))}}
	for name, tc := range map[string]struct {
		form url.Values
		sps  SPList
	}{
		"changed after signing": {tampered, signedSPs},
		"changed, not required": {tampered, testSPs(t)},
		"another key":           {postForm(t, xml, relayState, idpKey, idpCert), signedSPs},
		"unsigned but required": {postForm(t, xml, relayState, nil, nil), signedSPs},
		"two SAMLRequests":      {url.Values{"SAMLRequest": {f.Get("SAMLRequest"), f.Get("SAMLRequest")}}, testSPs(t)},
		"not base64":            {url.Values{"SAMLRequest": {"!!"}}, testSPs(t)},
	} {
		t.Run(name, func(t *testing.T) {
			se := wantRefusal(t, func() error { _, err := ParsePOST(tc.form, tc.sps, parseOpts()); return err }, StatusRequester)
			if se.Request != nil {
				t.Error("an unproven request must not be answered in SAML")
			}
		})
	}
	// A signature from an SP with no certificates configured cannot be
	// checked; when signing is not required the request counts as unsigned.
	noCerts := testSPs(t, func(sp *SP) { sp.SigningCerts = nil })
	if r, err := ParsePOST(f, noCerts, parseOpts()); err != nil || r.Signed {
		t.Errorf("no certificates: %v, %+v", err, r)
	}
}

// TestParseRefusals: every check, with the status it answers with and
// whether the answer can be a SAML error Response.
func TestParseRefusals(t *testing.T) {
	type tc struct {
		xml       string
		query     string // raw query instead of xml
		opts      func(*ParseOptions)
		code, sub string
		replyable bool
	}
	req := func(attrs, children string) string { return authnRequestXML(attrs, children) }
	withTime := func(v string) string {
		return strings.Replace(req("", ""), `IssueInstant="2025-05-01T09:59:58.739Z"`, `IssueInstant="`+v+`"`, 1)
	}
	bomb := "SAMLRequest=" + url.QueryEscape(b64(deflate(t, []byte(req("", "")+strings.Repeat(" ", DefaultMaxBytes)))))
	cases := map[string]tc{
		"unknown issuer":        {xml: strings.Replace(req("", ""), spEntityID, "http://evil.example/adfs/services/trust", 1), code: StatusRequester, sub: StatusRequestDenied},
		"no issuer":             {xml: strings.Replace(req("", ""), `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">`+spEntityID+`</Issuer>`, "", 1), code: StatusRequester},
		"issuer format":         {xml: strings.Replace(req("", ""), `<Issuer `, `<Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" `, 1), code: StatusRequester},
		"not an AuthnRequest":   {xml: `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`, code: StatusRequester, sub: StatusRequestUnsupported},
		"prefix, not namespace": {xml: `<samlp:AuthnRequest xmlns:samlp="urn:evil"/>`, code: StatusRequester, sub: StatusRequestUnsupported},
		"DOCTYPE":               {xml: `<!DOCTYPE x [<!ENTITY e "boom">]>` + req("", ""), code: StatusRequester},
		"not XML":               {xml: "hello", code: StatusRequester},
		"no ID":                 {xml: strings.Replace(req("", ""), `ID="`+requestID+`"`, "", 1), code: StatusRequester},
		"unregistered ACS URL":  {xml: req(` AssertionConsumerServiceURL="https://evil.example/acs"`, ""), code: StatusRequester, sub: StatusRequestDenied},
		"ACS URL of artifact":   {xml: req(` AssertionConsumerServiceURL="`+spACS+`" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"`, ""), code: StatusRequester, sub: StatusUnsupportedBinding, replyable: true},
		"URL and index":         {xml: req(` AssertionConsumerServiceURL="`+spACS+`" AssertionConsumerServiceIndex="0"`, ""), code: StatusRequester},
		"unknown index":         {xml: req(` AssertionConsumerServiceIndex="7"`, ""), code: StatusRequester, sub: StatusRequestDenied},
		"artifact index":        {xml: req(` AssertionConsumerServiceIndex="1"`, ""), code: StatusRequester, sub: StatusUnsupportedBinding},
		"bad index":             {xml: req(` AssertionConsumerServiceIndex="-1"`, ""), code: StatusRequester},
		"version 1.1":           {xml: strings.Replace(req("", ""), `Version="2.0"`, `Version="1.1"`, 1), code: StatusVersionMismatch, sub: StatusRequestVersionTooLow, replyable: true},
		"version 3.0":           {xml: strings.Replace(req("", ""), `Version="2.0"`, `Version="3.0"`, 1), code: StatusVersionMismatch, sub: StatusRequestVersionTooHigh, replyable: true},
		"foreign Destination":   {xml: strings.Replace(req("", ""), ssoURL, "https://other.example/sso", 1), code: StatusRequester, sub: StatusRequestDenied, replyable: true},
		"too old":               {xml: withTime("2025-05-01T09:54:59.999Z"), code: StatusRequester, sub: StatusRequestDenied, replyable: true},
		"from the future":       {xml: withTime("2025-05-01T10:05:00.001Z"), code: StatusRequester, sub: StatusRequestDenied, replyable: true},
		"bad IssueInstant":      {xml: withTime("yesterday"), code: StatusRequester},
		"ProtocolBinding":       {xml: req(` ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:PAOS"`, ""), code: StatusRequester, sub: StatusUnsupportedBinding, replyable: true},
		"ForceAuthn not bool":   {xml: req(` ForceAuthn="yes"`, ""), code: StatusRequester, replyable: true},
		"Subject":               {xml: req("", `<saml:Subject xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:NameID>bob</saml:NameID></saml:Subject>`), code: StatusRequester, sub: StatusRequestUnsupported, replyable: true},
		"encrypted NameID":      {xml: req("", `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:encrypted"/>`), code: StatusRequester, sub: StatusInvalidNameIDPolicy, replyable: true},
		"format not offered":    {xml: req("", `<samlp:NameIDPolicy Format="`+NameIDTransient+`"/>`), opts: func(o *ParseOptions) { o.NameIDFormats = []string{NameIDUnspecified} }, code: StatusRequester, sub: StatusInvalidNameIDPolicy, replyable: true},
		"affiliation":           {xml: req("", `<samlp:NameIDPolicy SPNameQualifier="urn:affiliation"/>`), code: StatusRequester, sub: StatusInvalidNameIDPolicy, replyable: true},
		"comparison":            {xml: req("", `<samlp:RequestedAuthnContext Comparison="approximately"><saml:AuthnContextClassRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`), code: StatusRequester, replyable: true},
		"declaration reference": {xml: req("", `<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">x</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext>`), code: StatusRequester, sub: StatusRequestUnsupported, replyable: true},
		"no class reference":    {xml: req("", `<samlp:RequestedAuthnContext/>`), code: StatusRequester, replyable: true},
		"deflate bomb":          {query: bomb, code: StatusRequester},
		"not deflate":           {query: "SAMLRequest=" + url.QueryEscape(b64([]byte(req("", "")))), code: StatusRequester},
		"not base64":            {query: "SAMLRequest=%%%", code: StatusRequester},
		"no SAMLRequest":        {query: "RelayState=x", code: StatusRequester},
		"twice":                 {query: "SAMLRequest=a&SAMLRequest=a", code: StatusRequester},
		"RelayState too long":   {query: redirectQuery(t, req("", ""), strings.Repeat("r", MaxRelayState+1), nil, ""), code: StatusRequester},
		"RelayState control":    {query: redirectQuery(t, req("", ""), "a\nb", nil, ""), code: StatusRequester},
		"huge query":            {query: "SAMLRequest=" + strings.Repeat("A", 3*DefaultMaxBytes+1), code: StatusRequester},
		"over MaxBytes":         {xml: req("", ""), opts: func(o *ParseOptions) { o.MaxBytes = 100 }, code: StatusRequester},
		"no endpoint":           {xml: req("", ""), opts: func(o *ParseOptions) { o.Endpoint = "" }, code: StatusResponder},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			o := parseOpts()
			if c.opts != nil {
				c.opts(&o)
			}
			q := c.query
			if q == "" {
				q = redirectQuery(t, c.xml, relayState, nil, "")
			}
			se := wantRefusal(t, func() error { _, err := ParseRedirect(q, testSPs(t), o); return err }, c.code)
			if se.SubCode != c.sub {
				t.Errorf("second-level status %q, want %q", se.SubCode, c.sub)
			}
			if (se.Request != nil) != c.replyable {
				t.Errorf("replyable = %v, want %v", se.Request != nil, c.replyable)
			}
			if se.Request != nil && (se.Request.ACS.Location != spACS || se.Request.RelayState != relayState || se.Request.ID != requestID) {
				t.Errorf("reply to %+v", se.Request)
			}
			if strings.Contains(se.Message, "evil") || strings.Contains(se.Message, "http") || se.Message == "" {
				t.Errorf("user message %q must be fixed text", se.Message)
			}
		})
	}
}

// TestParsePolicy: NameIDPolicy against the SP's settings, the
// RequestedAuthnContext, ForceAuthn and IsPassive are read as sent.
func TestParsePolicy(t *testing.T) {
	rac := `<samlp:RequestedAuthnContext Comparison="minimum"><saml:AuthnContextClassRef xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` + ClassMultipleAuthn + `</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`
	xml := authnRequestXML(` ForceAuthn="true" IsPassive="1" AssertionConsumerServiceIndex="3"`, `<samlp:NameIDPolicy Format="`+NameIDPersistent+`" AllowCreate="false"/>`+rac)
	persistentSP := testSPs(t, func(sp *SP) { sp.NameIDFormats = []string{NameIDPersistent} })
	r, err := ParsePOST(postForm(t, xml, "", nil, nil), persistentSP, parseOpts())
	if err != nil {
		t.Fatal(err)
	}
	if !r.ForceAuthn || !r.IsPassive || r.AllowCreate || r.NameIDFormat != NameIDPersistent || r.ACS.Location != spACSAlt {
		t.Errorf("request %+v", r)
	}
	if r.RequestedAuthnContext == nil || r.RequestedAuthnContext.Comparison != ComparisonMinimum || len(r.RequestedAuthnContext.ClassRefs) != 1 || !r.NeedsSecondFactor() {
		t.Errorf("requested context %+v", r.RequestedAuthnContext)
	}
	emailSP := testSPs(t, func(sp *SP) { sp.NameIDFormat = NameIDEmailAddress })
	r, err = ParseRedirect(redirectQuery(t, authnRequestXML("", adfsNameIDPolicy), "", nil, ""), emailSP, parseOpts())
	if err != nil || r.NameIDFormat != NameIDEmailAddress {
		t.Errorf("unspecified asked, SP set to email: %v %+v", err, r)
	}
	for name, sps := range map[string]SPList{"SP set to email": emailSP, "SP not configured": testSPs(t)} {
		_, err = ParsePOST(postForm(t, xml, "", nil, nil), sps, parseOpts())
		if se := wantRefusal(t, func() error { return err }, StatusRequester); se.SubCode != StatusInvalidNameIDPolicy {
			t.Errorf("persistent asked, %s: %v", name, se)
		}
	}
}

func TestAuthnContextFor(t *testing.T) {
	rac := func(cmp string, refs ...string) *RequestedAuthnContext {
		return &RequestedAuthnContext{Comparison: cmp, ClassRefs: refs}
	}
	for _, tc := range []struct {
		name  string
		r     *RequestedAuthnContext
		mfa   bool
		want  string
		satis bool
	}{
		{"none, one factor", nil, false, ClassPasswordProtectedTransport, true},
		{"none, two factors", nil, true, ClassMultipleAuthn, true},
		{"exact PPT after MFA echoes PPT", rac(ComparisonExact, ClassPasswordProtectedTransport), true, ClassPasswordProtectedTransport, true},
		{"exact MFA, one factor", rac(ComparisonExact, ClassMultipleAuthn), false, ClassPasswordProtectedTransport, false},
		{"exact MFA, two", rac("", ClassMultipleAuthn), true, ClassMultipleAuthn, true},
		{"exact unknown then Password", rac(ComparisonExact, "urn:x:smartcard", ClassPassword), false, ClassPassword, true},
		{"exact unknown only", rac(ComparisonExact, "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"), true, ClassMultipleAuthn, false},
		{"minimum PPT, one factor", rac(ComparisonMinimum, ClassPasswordProtectedTransport), false, ClassPasswordProtectedTransport, true},
		{"minimum PPT, two", rac(ComparisonMinimum, ClassPasswordProtectedTransport), true, ClassMultipleAuthn, true},
		{"minimum MFA, one", rac(ComparisonMinimum, ClassMultipleAuthn), false, ClassPasswordProtectedTransport, false},
		{"better PPT, one", rac(ComparisonBetter, ClassPasswordProtectedTransport), false, ClassPasswordProtectedTransport, false},
		{"better PPT, two", rac(ComparisonBetter, ClassPasswordProtectedTransport), true, ClassMultipleAuthn, true},
		{"maximum PPT, two", rac(ComparisonMaximum, ClassPassword, ClassPasswordProtectedTransport), true, ClassPasswordProtectedTransport, true},
		{"maximum MFA, one", rac(ComparisonMaximum, ClassMultipleAuthn), false, ClassPasswordProtectedTransport, false},
	} {
		got, ok := AuthnContextFor(tc.r, tc.mfa)
		if got != tc.want || ok != tc.satis {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.satis)
		}
	}
}

type idCache func(string, time.Time) bool

func (f idCache) Seen(k string, exp time.Time) bool { return f(k, exp) }

var _ IDCache = idCache(nil)

func wantRefusal(t *testing.T, f func() error, code string) *StatusError {
	t.Helper()
	err := f()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *StatusError", err)
	}
	if se.Code != code {
		t.Fatalf("status %q, want %q (%v)", se.Code, code, se)
	}
	return se
}

func lowerEscapes(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '%' && i+2 < len(q) {
			b.WriteString("%" + strings.ToLower(q[i+1:i+3]))
			i += 2
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func dropParam(q, name string) string {
	var keep []string
	for _, p := range strings.Split(q, "&") {
		if !strings.HasPrefix(p, name+"=") {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "&")
}

func mustB64Decode(t *testing.T, s string) string {
	t.Helper()
	b, err := decodeBase64(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReplayOnlyOfSignedRequests: a signed request's ID is answered once
// (its replay is RequestDenied, replyable); an unsigned request is not
// remembered at all: anyone can make it again with a fresh ID, so the
// cache protected nothing and let anyone write a durable row per request
// before any budget (attacker review 3).
func TestReplayOnlyOfSignedRequests(t *testing.T) {
	spKey, _ := ststest.LoadKeyPair(t, "other")
	signedSPs := testSPs(t, func(sp *SP) { sp.AuthnRequestsSigned = true })
	var remembered int
	seen := map[string]bool{}
	o := parseOpts()
	o.Replay = idCache(func(k string, _ time.Time) bool { remembered++; old := seen[k]; seen[k] = true; return old })
	xml := authnRequestXML("", adfsNameIDPolicy)
	for range 3 {
		if _, err := ParseRedirect(redirectQuery(t, xml, relayState, nil, ""), testSPs(t), o); err != nil {
			t.Fatalf("unsigned request again: %v", err)
		}
	}
	if remembered != 0 {
		t.Fatalf("%d unsigned request IDs given to the replay cache", remembered)
	}
	q := redirectQuery(t, xml, relayState, spKey, xmlsig.SigRSASHA256)
	if _, err := ParseRedirect(q, signedSPs, o); err != nil {
		t.Fatal(err)
	}
	se := wantRefusal(t, func() error { _, err := ParseRedirect(q, signedSPs, o); return err }, StatusRequester)
	if se.SubCode != StatusRequestDenied || se.Request == nil {
		t.Errorf("signed replay: %q, replyable %v", se.SubCode, se.Request != nil)
	}
}
