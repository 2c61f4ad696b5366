package main

import (
	"bytes"
	"encoding/base64"
	"html"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// The regular expressions the scanners replace: the oracle they must agree
// with.
var (
	oldCSRF   = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	oldAction = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	oldField  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
)

func oldFormAction(body string) (string, bool) {
	m := oldAction.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

func oldCSRFField(body string) (string, bool) {
	m := oldCSRF.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

func oldHiddenField(body, name string) (string, bool) {
	for _, m := range oldField.FindAllStringSubmatch(body, -1) {
		if m[1] == name {
			return html.UnescapeString(m[2]), true
		}
	}
	return "", false
}

func renderPage(t testing.TB, page string, data any) string {
	t.Helper()
	s, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.Render(&b, page, data); err != nil {
		t.Fatalf("render %s: %v", page, err)
	}
	return b.String()
}

// tokenWresult is a wresult shaped like claimgate's: an RSTR around a
// signed SAML 1.1 assertion, with the signature and certificate (the
// signature is not valid: only the size and the characters matter here).
func tokenWresult() string {
	blob := func(n int) string {
		return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa5, 0x3c, 0x7e, 0x01}, n/4))
	}
	claims := ""
	for _, c := range []struct{ ns, name string }{{"xmlsoap.org/ws/2005/05", "upn"}, {"microsoft.com/ws/2008/06", "primarysid"},
		{"microsoft.com/ws/2008/06", "windowsaccountname"}, {"microsoft.com/ws/2008/06", "groupsid"}} {
		claims += `<saml:Attribute AttributeName="` + c.name + `" AttributeNamespace="http://schemas.` + c.ns + `/identity/claims">` +
			strings.Repeat(`<saml:AttributeValue>S-1-5-21-3813552434-2663668716-662309698-1110</saml:AttributeValue>`, 7) + `</saml:Attribute>`
	}
	assertion := `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" MajorVersion="1" MinorVersion="1" ` +
		`AssertionID="_0123456789abcdef0123456789abcdef" Issuer="https://claimgate.example.test/" IssueInstant="2026-12-03T14:00:00Z">` +
		`<saml:Conditions NotBefore="2026-12-03T14:00:00Z" NotOnOrAfter="2026-12-03T15:00:00Z"><saml:AudienceRestrictionCondition>` +
		`<saml:Audience>urn:loadgen:rp</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>` +
		`<saml:AttributeStatement><saml:Subject><saml:NameIdentifier>lg0001@example.test</saml:NameIdentifier></saml:Subject>` +
		`<saml:Attribute AttributeName="name" AttributeNamespace="http://schemas.xmlsoap.org/ws/2005/05/identity/claims">` +
		`<saml:AttributeValue>O'Brien &amp; "Søren" &lt;x&gt;</saml:AttributeValue></saml:Attribute>` + claims +
		`</saml:AttributeStatement>` +
		`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
		`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
		`<ds:Reference URI="#_0123456789abcdef0123456789abcdef"><ds:DigestValue>` + blob(32) + `</ds:DigestValue></ds:Reference>` +
		`</ds:SignedInfo><ds:SignatureValue>` + blob(256) + `</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` +
		blob(800) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature></saml:Assertion>`
	t := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	return wsfed.BuildRSTRString([]byte(assertion), "urn:loadgen:rp", t, t.Add(time.Hour))
}

// The pages a sign-in reads, rendered by claimgate's own templates, with
// values that need unescaping and decoys the scanners must not take: the
// code page's second form (resend), the hidden fields around wresult.
func signInPages(t testing.TB) (login, code, token, wres string) {
	login = renderPage(t, templates.PageLogin, templates.LoginData{
		Common: templates.Common{CSRF: "login+csrf/&=", RequestID: "0123456789abcdef"},
		Action: "/login?a=1&b=2", Username: `alice"<x>`, ErrorKey: "error.credentials", HintExamples: "alice"})
	code = renderPage(t, templates.PageCode, templates.CodeData{
		Common: templates.Common{CSRF: "code-csrf'\"", RequestID: "0123456789abcdef"},
		Action: "/code?step=2&r=1", ResendAction: "/code/resend", ChooseAction: "/choose", Method: "Authenticator app", Digits: 6,
		ErrorKey: "error.code"})
	wres = tokenWresult()
	token = renderPage(t, templates.PageAutoPost, templates.AutoPostData{Action: "https://rp.example.test/?a=1&b=2",
		Fields: []templates.Field{{Name: "wa", Value: "wsignin1.0"}, {Name: "wresult", Value: wres}, {Name: "wctx", Value: "loadgen&x"}}})
	return login, code, token, wres
}

func TestScanSignInPages(t *testing.T) {
	login, code, token, wres := signInPages(t)
	if len(token) < 8000 { // claimgate's are ~8.8 kB
		t.Fatalf("the token page is %d bytes: not the large page it stands for", len(token))
	}
	check := func(what, got string, ok bool, want string) {
		t.Helper()
		if !ok || got != want {
			t.Errorf("%s = %.80q, %v; want %.80q", what, got, ok, want)
		}
	}
	a, ok := formAction(login)
	check("login action", a, ok, "/login?a=1&b=2")
	c, ok := csrfField(login)
	check("login csrf", c, ok, "login+csrf/&=")
	a, ok = formAction(code)
	check("code action", a, ok, "/code?step=2&r=1")
	c, ok = csrfField(code)
	check("code csrf", c, ok, "code-csrf'\"")
	w, ok := hiddenField(token, "wresult")
	check("wresult", w, ok, wres)
	w, ok = hiddenField(token, "wctx")
	check("wctx", w, ok, "loadgen&x")
	if _, ok := hiddenField(token, "csrf"); ok {
		t.Error("the token page has a csrf field")
	}
	if _, ok := hiddenField(code, "wresult"); ok {
		t.Error("the code page has a wresult")
	}
	for name, body := range map[string]string{"login": login, "code": code, "token": token} {
		agree(t, name, body)
	}
}

// agree fails when a scanner and the regexp it replaces differ on body.
func agree(t *testing.T, name, body string) {
	t.Helper()
	type res struct {
		v  string
		ok bool
	}
	r := func(v string, ok bool) res { return res{v, ok} }
	if got, want := r(formAction(body)), r(oldFormAction(body)); got != want {
		t.Errorf("%s: formAction = %+v, regexp %+v", name, got, want)
	}
	if got, want := r(csrfField(body)), r(oldCSRFField(body)); got != want {
		t.Errorf("%s: csrfField = %+v, regexp %+v", name, got, want)
	}
	for _, f := range []string{"wresult", "wa", "x"} {
		if got, want := r(hiddenField(body, f)), r(oldHiddenField(body, f)); got != want {
			t.Errorf("%s: hiddenField(%s) = %+v, regexp %+v", name, f, got, want)
		}
	}
}

// TestScanLikeRegexp holds the scanners to the regexps on the odd cases
// the templates do not emit today.
func TestScanLikeRegexp(t *testing.T) {
	for name, body := range map[string]string{
		"empty":                 ``,
		"no action first":       `<form method="post"><form method="post" action="/b">`,
		"data-action":           `<form data-action="/a" action="/b">`,
		"action past the tag":   `<form method="post">x action="/a"`,
		"action no close quote": `<form action="/a`,
		"two actions no close":  `<form action="/a" action="/b`,
		"action crosses >":      `<form action="/a>b">`,
		"tag never closed":      `<form method="post" action="/a"`,
		"formaction":            `<formaction="/a">`,
		"csrf twice":            `<input type="hidden" name="csrf" value="1"><input type="hidden" name="csrf" value="2">`,
		"csrf no close":         `<input type="hidden" name="csrf" value="1`,
		"wresult second":        `<input type="hidden" name="wa" value="w"><input type="hidden" name="wresult" value="r&amp;">`,
		"wresult twice":         `<input type="hidden" name="wresult" value="1"><input type="hidden" name="wresult" value="2">`,
		"wresult prefix name":   `<input type="hidden" name="wresultx" value="1"><input type="hidden" name="wresult" value="2">`,
		"no value":              `<input type="hidden" name="wresult"><input type="hidden" name="wresult" value="2">`,
		"other attr order":      `<input name="wresult" type="hidden" value="1">`,
		"newline in value":      "<input type=\"hidden\" name=\"wresult\" value=\"a&#xD;\nb\">",
		"input in a name":       `<input type="hidden" name="q<input type="hidden" name="wresult" value="3">`,
		"value in the name":     `<input type="hidden" name="wa" value="<input type="hidden" name="wresult" value="4">`,
	} {
		agree(t, name, body)
	}
}

// TestScanRandom holds the scanners to the regexps on random pages made of
// the pieces they look for.
func TestScanRandom(t *testing.T) {
	pieces := []string{`<form`, ` action="`, `action="`, ` method="post"`, `>`, `"`, `/a`, `&amp;`, `<input type="hidden" name="`,
		`wresult`, `wa`, `csrf`, `" value="`, ` value="`, `name="csrf" value="`, `x`, "\n", `<`}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.Intn(14); n > 0; n-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		agree(t, b.String(), b.String())
		if t.Failed() {
			return
		}
	}
}

// BenchmarkScanTokenPage is what the generator does with the token page,
// the scanner against the regexps it replaced.
func BenchmarkScanTokenPage(b *testing.B) {
	_, _, token, wres := signInPages(b)
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(token)))
		for i := 0; i < b.N; i++ {
			if w, _ := hiddenField(token, "wresult"); len(w) != len(wres) {
				b.Fatal("wrong wresult")
			}
		}
	})
	b.Run("regexp", func(b *testing.B) {
		b.SetBytes(int64(len(token)))
		for i := 0; i < b.N; i++ {
			if w, _ := oldHiddenField(token, "wresult"); len(w) != len(wres) {
				b.Fatal("wrong wresult")
			}
		}
	})
}

// BenchmarkScanForms is the login and code pages' form and csrf.
func BenchmarkScanForms(b *testing.B) {
	login, code, _, _ := signInPages(b)
	b.Run("scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, p := range []string{login, code} {
				if _, ok := formAction(p); !ok {
					b.Fatal("no action")
				}
				if _, ok := csrfField(p); !ok {
					b.Fatal("no csrf")
				}
			}
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, p := range []string{login, code} {
				if _, ok := oldFormAction(p); !ok {
					b.Fatal("no action")
				}
				if _, ok := oldCSRFField(p); !ok {
					b.Fatal("no csrf")
				}
			}
		}
	})
}
