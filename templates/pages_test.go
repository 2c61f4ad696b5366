package templates_test

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

// everyPage is each page with data that takes all its branches.
func everyPage() map[string]any {
	c := templates.Common{CSRF: "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5", RequestID: "0123456789abcdef"}
	return map[string]any{
		templates.PageLogin:          loginData(),
		"login.html (app passwords)": templates.LoginData{Common: c, Action: "/login", AppPasswordsOnly: true},
		templates.PageCode: templates.CodeData{Common: c, Action: "/login/code", ErrorKey: "error.code", InfoKey: "code.sent",
			Method: "a text message to …12", Digits: 6, ResendAction: "/login/resend", ChooseAction: "/login/method"},
		templates.PageChoose: templates.ChooseData{Common: c, Action: "/login/method",
			Methods: []templates.Method{{ID: "a", Label: "your authenticator app"}, {ID: "b", Label: "a text message to …12"}}},
		templates.PageEnrol: templates.EnrolData{Common: c, Action: "/login/enrol", ErrorKey: "error.code",
			QRImage: "data:image/png;base64,iVBORw0KGgo=", Secret: "ABCD EFGH", URI: "otpauth://totp/x?secret=ABCDEFGH", NeedEnrolmentCode: true},
		templates.PageError:     templates.ErrorData{Common: c, Status: 400, TitleKey: "error.title", MessageKey: "error.bad_request"},
		templates.PageAutoPost:  autoPostData(),
		templates.PageSignedOut: templates.InfoData{Common: c, TitleKey: "signedout.title", MessageKey: "signedout.message"},
		templates.PageInfo:      templates.InfoData{Common: c, TitleKey: "enrol.title", MessageKey: "enrol.saved"},
		templates.PageDemo: templates.DemoData{Common: c, StartURL: "/demo/begin", Realm: "urn:demo", SAML2StartURL: "/demo/saml2/begin", SAML2EntityID: "urn:sp",
			Users: []templates.DemoUser{{Username: "alice", Password: "pw", OTPAuthURI: "otpauth://totp/a", QRImage: "data:image/png;base64,iVBORw0KGgo="}}},
		templates.PageDemoToken: templates.DemoTokenData{Common: c, Accepted: true, Checks: []templates.DemoCheck{{Name: "a", OK: true}, {Name: "b", Detail: "d"}},
			Subject: "alice", Method: "m", Claims: []templates.DemoClaim{{Type: "t", Values: []string{"v1", "v2"}}}, StartURL: "/demo/"},
		templates.PageDemoSAML2: templates.DemoSAML2Data{Common: c, Accepted: true, Checks: []templates.DemoCheck{{Name: "a", OK: true}},
			NameID: "alice", SessionIndex: "_s", ClassRef: "m", Attributes: []templates.DemoClaim{{Type: "t", Values: []string{"v1"}}},
			StartURL: "/demo/", SignOutURL: "/demo/saml2/logout"},
		"demo_saml2.html (error status)": templates.DemoSAML2Data{Common: c, Status: "urn:oasis:names:tc:SAML:2.0:status:Responder", StatusMessage: "m",
			Checks: []templates.DemoCheck{{Name: "b", Detail: "d"}}, StartURL: "/demo/"},
		"demo_saml2.html (logout)": templates.DemoSAML2Data{Common: c, Logout: true, Accepted: true, StartURL: "/demo/"},
	}
}

// TestPagesAreCSPAndPhoneFriendly renders every page and checks what the
// CSP and small browsers need: no inline script or style, no event
// handlers, a viewport, labelled inputs with the right autocomplete, a
// CSRF field in every form that posts back to us, and a script only on
// the auto-POST page, which also submits without it.
func TestPagesAreCSPAndPhoneFriendly(t *testing.T) {
	s := embedded(t)
	for name, data := range everyPage() {
		page := strings.Fields(name)[0]
		html := render(t, s, page, data)
		els := elements(t, html)
		viewport, scripts, labels := false, 0, map[string]bool{}
		for _, e := range els {
			for k := range e.attr {
				if k == "style" || strings.HasPrefix(k, "on") {
					t.Errorf("%s: <%s %s>", name, e.tag, k)
				}
			}
			switch e.tag {
			case "style":
				t.Errorf("%s: <style> element", name)
			case "script":
				scripts++
				if e.attr["src"] != "/static/autopost.js" || strings.TrimSpace(e.text) != "" || page != templates.PageAutoPost {
					t.Errorf("%s: script %v %q", name, e.attr, e.text)
				}
			case "meta":
				viewport = viewport || e.attr["name"] == "viewport"
			case "label":
				labels[e.attr["for"]] = true
			}
		}
		if !viewport {
			t.Errorf("%s: no viewport", name)
		}
		if page == templates.PageAutoPost && scripts != 1 {
			t.Errorf("auto-POST page has %d scripts", scripts)
		}
		for _, f := range forms(els) {
			if f.attr["id"] == "autopost" {
				if f.csrf || !f.submit {
					t.Errorf("auto-POST form: csrf=%v (must not leak to the relying party) submit=%v", f.csrf, f.submit)
				}
				continue
			}
			if f.attr["method"] != "post" || !strings.HasPrefix(f.attr["action"], "/") || !f.csrf || !f.submit {
				t.Errorf("%s: form %v csrf=%v submit=%v", name, f.attr, f.csrf, f.submit)
			}
		}
		want := map[string]string{"username": "username", "password": "current-password", "code": "one-time-code", "enrolment_code": "off"}
		for _, e := range els {
			if e.tag != "input" || e.attr["type"] == "hidden" {
				continue
			}
			if ac, ok := want[e.attr["name"]]; !ok || e.attr["autocomplete"] != ac {
				t.Errorf("%s: input %q autocomplete %q", name, e.attr["name"], e.attr["autocomplete"])
			}
			if !labels[e.attr["id"]] {
				t.Errorf("%s: input %q has no label", name, e.attr["name"])
			}
		}
	}
}

type element struct {
	tag   string
	attr  map[string]string
	text  string
	depth int
}

// elements lists a page's elements in order, read by encoding/xml in its
// lenient HTML mode.
func elements(t testing.TB, page string) []element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var out []element
	var open []int
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("unparsable page: %v\n%s", err, page)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			e := element{tag: v.Name.Local, attr: map[string]string{}, depth: len(open)}
			for _, a := range v.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			open = append(open, len(out))
			out = append(out, e)
		case xml.EndElement:
			open = open[:len(open)-1]
		case xml.CharData:
			if len(open) > 0 {
				out[open[len(open)-1]].text += string(v)
			}
		}
	}
}

type form struct {
	attr         map[string]string
	csrf, submit bool
}

// forms groups the elements that follow each <form> and sit deeper.
func forms(els []element) []form {
	var out []form
	for i, e := range els {
		if e.tag != "form" {
			continue
		}
		f := form{attr: e.attr}
		noscript := -1
		for _, k := range els[i+1:] {
			if k.depth <= e.depth {
				break
			}
			if noscript >= 0 && k.depth <= noscript {
				noscript = -1
			}
			switch {
			case k.tag == "noscript":
				noscript = k.depth
			case k.tag == "input" && k.attr["name"] == "csrf" && k.attr["type"] == "hidden" && k.attr["value"] != "":
				f.csrf = true
			case k.tag == "button" && k.attr["type"] == "submit" && noscript < 0:
				f.submit = true
			}
		}
		out = append(out, f)
	}
	return out
}
