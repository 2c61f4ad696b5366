package templates_test

import (
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

// signingOutData has a POST frame (an SP's LogoutRequest, with the
// characters escaping must get right), a GET frame (a WS-Fed cleanup URL
// with a query) and a LogoutResponse to continue with.
func signingOutData() templates.SigningOutData {
	return templates.SigningOutData{Common: templates.Common{RequestID: "0123456789abcdef"},
		Frames: []templates.SignOutFrame{
			{URL: "https://sp2.example.test/saml/slo?a=1&b=2", Post: true, Fields: []templates.Field{{Name: "SAMLRequest", Value: `PHg+"<&'`}}},
			{URL: "https://app.example.test/wsfed/?x=1&wa=wsignoutcleanup1.0"},
		},
		ContinueAction: "https://sp1.example.test/saml/slo", ContinueFields: []templates.Field{{Name: "SAMLResponse", Value: "UkU="}, {Name: "RelayState", Value: "r&s"}}}
}

// TestGoldenSigningOut guards the "signing out" page byte for byte and
// checks what its script and CSP rely on: one external script
// (/static/signout.js) and nothing inline, a hidden frame per party, each
// POST message a form targeting its own frame, each GET message a
// data-src (loaded by the script after its listener is in place), no
// CSRF token sent to any party, and the values reading back exactly.
func TestGoldenSigningOut(t *testing.T) {
	got := render(t, embedded(t), templates.PageSigningOut, signingOutData())
	golden(t, "signingout.html", got)
	els := elements(t, got)
	var scripts, frames []element
	targets := map[string]string{}
	for _, e := range els {
		for k := range e.attr {
			if k == "style" || strings.HasPrefix(k, "on") {
				t.Errorf("<%s %s>", e.tag, k)
			}
		}
		switch e.tag {
		case "script":
			scripts = append(scripts, e)
		case "iframe":
			frames = append(frames, e)
		case "form":
			targets[e.attr["action"]] = e.attr["target"]
		case "input":
			if e.attr["name"] == "csrf" {
				t.Error("a CSRF token would leak to a party")
			}
		}
	}
	if len(scripts) != 1 || scripts[0].attr["src"] != "/static/signout.js" || strings.TrimSpace(scripts[0].text) != "" {
		t.Errorf("scripts %v", scripts)
	}
	if len(frames) != 2 || frames[0].attr["name"] != "signout-0" || frames[0].attr["src"] != "" ||
		frames[1].attr["data-src"] != "https://app.example.test/wsfed/?x=1&wa=wsignoutcleanup1.0" || frames[1].attr["src"] != "" {
		t.Fatalf("frames %v", frames)
	}
	for _, f := range frames {
		if _, hidden := f.attr["hidden"]; !hidden || f.attr["class"] != "signout" || f.attr["title"] == "" {
			t.Errorf("frame %v", f.attr)
		}
	}
	if targets["https://sp2.example.test/saml/slo?a=1&b=2"] != "signout-0" || targets["https://sp1.example.test/saml/slo"] != "" {
		t.Errorf("form targets %v", targets)
	}
	if !strings.Contains(got, `<form id="continue" method="post" action="https://sp1.example.test/saml/slo">`) ||
		!strings.Contains(got, `value="PHg&#43;&#34;&lt;&amp;&#39;"`) {
		t.Errorf("continue form or escaping:\n%s", got)
	}

	// Without a party waiting, the page continues with a link.
	d := signingOutData()
	d.ContinueAction, d.ContinueFields, d.ContinueURL = "", nil, "/login/signed-out"
	if got := render(t, embedded(t), templates.PageSigningOut, d); !strings.Contains(got, `<a id="continue" href="/login/signed-out">`) {
		t.Errorf("no continue link:\n%s", got)
	}
	if js, err := embedded(t).Static("signout.js"); err != nil || !strings.Contains(string(js), `getElementById("continue")`) {
		t.Errorf("signout.js: %v", err)
	}
}

// TestGoldenSignOutConfirm guards the "sign out?" page byte for byte: one
// form posting back to the endpoint with the CSRF token and the fields,
// escaped, and no script (the button is the user's answer).
func TestGoldenSignOutConfirm(t *testing.T) {
	got := render(t, embedded(t), templates.PageSignOutConfirm, templates.SignOutConfirmData{
		Common: templates.Common{CSRF: "tok&en", RequestID: "0123456789abcdef"}, Action: "/wsfed",
		Fields: []templates.Field{{Name: "wa", Value: "wsignout1.0"}, {Name: "wreply", Value: `https://adfs.example.test/adfs/ls/?a=1&b="2"`}, {Name: "confirm_signout", Value: "1"}}})
	golden(t, "signoutconfirm.html", got)
	var forms, inputs int
	for _, e := range elements(t, got) {
		switch e.tag {
		case "script":
			t.Errorf("script on the question page: %v", e)
		case "form":
			forms++
			if e.attr["action"] != "/wsfed" || e.attr["method"] != "post" {
				t.Errorf("form %v", e.attr)
			}
		case "input":
			inputs++
			if e.attr["name"] == "wreply" && e.attr["value"] != `https://adfs.example.test/adfs/ls/?a=1&b="2"` {
				t.Errorf("wreply reads back as %q", e.attr["value"])
			}
			if e.attr["name"] == "csrf" && e.attr["value"] != "tok&en" {
				t.Errorf("csrf reads back as %q", e.attr["value"])
			}
		}
	}
	if forms != 1 || inputs != 4 {
		t.Errorf("%d forms, %d inputs", forms, inputs)
	}
}
