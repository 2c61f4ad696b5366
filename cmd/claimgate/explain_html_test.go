package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

// TestExplainSavedAutoPostPage: `explain` given the auto-POST page (the
// real template, rendered as the sign-in renders it) judges the token in
// its form and accepts it; before, it said "AD FS would reject this token"
// for the page's DOCTYPE. HTML without a token is a usage error (exit 2)
// with no verdict.
func TestExplainSavedAutoPostPage(t *testing.T) {
	cfg, _, kp := explainSetup(t)
	wresult, err := os.ReadFile(issueFile(t, kp, "wa=wsignin1.0&wtrealm="+url.QueryEscape(explainRealm), "", ""))
	if err != nil {
		t.Fatal(err)
	}
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := set.Render(&page, templates.PageAutoPost, templates.AutoPostData{Action: "https://adfs.example.test/adfs/ls/",
		Fields: []templates.Field{{Name: "wa", Value: "wsignin1.0"}, {Name: "wresult", Value: string(wresult)}, {Name: "wctx", Value: "ctx"}}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	saved := filepath.Join(dir, "Signing you in.html")
	if err := os.WriteFile(saved, page.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, saved)
	if code != 0 || !strings.Contains(out, "Input: HTML auto-POST page, form field wresult") ||
		!strings.Contains(out, "Verdict: AD FS would accept this token") || strings.Contains(out, "✘") {
		t.Fatalf("saved auto-POST page: exit %d\n%s%s", code, out, errOut)
	}

	for name, html := range map[string]string{
		"a login page":  `<!DOCTYPE html><html><body><form action="/login"><input name="username"></form></body></html>`,
		"random markup": "<html>\n<head><title>Error</title></head><body><h1>Oops</h1><p>Something went wrong.</p></body></html>\n",
	} {
		code, out, errOut := runCmd(t, html, nil, "explain", "--config", cfg, "-")
		if code != 2 || out != "" || !strings.Contains(errOut, "HTML page with no form field wresult or SAMLResponse") ||
			strings.Contains(errOut, "Verdict") {
			t.Errorf("%s: exit %d, want 2 and no verdict\nstdout: %s\nstderr: %s", name, code, out, errOut)
		}
	}
}

// TestExplainSavedSAMLAutoPostPage: the auto-POST page carrying a
// SAMLResponse (what claimgate renders for a SAML service provider) is
// read like the WS-Fed one and the Response in it judged by the SAML rules.
func TestExplainSavedSAMLAutoPostPage(t *testing.T) {
	cfg, idp, sp, _ := samlExplainSetup(t)
	body, err := os.ReadFile(samlResponseFile(t, idp, sp, "id-5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", false))
	if err != nil {
		t.Fatal(err)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := set.Render(&page, templates.PageAutoPost, templates.AutoPostData{Action: explainACS,
		Fields: []templates.Field{{Name: "SAMLResponse", Value: q.Get("SAMLResponse")}, {Name: "RelayState", Value: q.Get("RelayState")}}}); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "Signing you in.html")
	if err := os.WriteFile(saved, page.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, saved)
	if code != 0 || !strings.Contains(out, "Input: HTML auto-POST page, form field SAMLResponse: SAML 2.0 Response") ||
		!strings.Contains(out, "✔ signature-wrapping") || strings.Contains(out, "✘") {
		t.Fatalf("saved SAML auto-POST page: exit %d\n%s%s", code, out, errOut)
	}
}
