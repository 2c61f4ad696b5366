package explain

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

// autoPostPage renders the real auto-POST page (templates, as the sign-in
// does) posting fields to AD FS.
func autoPostPage(t *testing.T, fields url.Values) []byte {
	t.Helper()
	set, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := templates.AutoPostData{Action: "https://adfs.example.com/adfs/ls/?client-request-id=1&x=a+b"}
	for _, name := range []string{"wa", "wresult", "wctx"} {
		if v, ok := fields[name]; ok {
			d.Fields = append(d.Fields, templates.Field{Name: name, Value: v[0]})
		}
	}
	var b bytes.Buffer
	if err := set.Render(&b, templates.PageAutoPost, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// savedByBrowser is what "Save page as" writes for page: the serialised
// DOM, where attribute values escape only & and " (so the token's < and >
// appear raw inside value="..."), a "saved from" comment after the
// DOCTYPE, and Windows line ends.
func savedByBrowser(t *testing.T, page []byte, fields url.Values) []byte {
	t.Helper()
	s := string(page)
	for name, vs := range fields {
		esc := strings.NewReplacer("&", "&amp;", `"`, "&quot;", "\u00a0", "&nbsp;").Replace(vs[0])
		re := `name="` + name + `" value="`
		i := strings.Index(s, re)
		if i < 0 {
			t.Fatalf("no %s field in the page", name)
		}
		j := strings.Index(s[i+len(re):], `">`)
		s = s[:i+len(re)] + esc + s[i+len(re)+j:]
	}
	s = strings.Replace(s, "<!DOCTYPE html>\n", "<!DOCTYPE html>\n<!-- saved from url=(0041)https://sts.acme.example/login/code -->\n", 1)
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// TestSavedAutoPostPage: the auto-POST page, as claimgate renders it and as
// a browser saves it, is explained as the token its form posts: the same
// checks and verdict as for the POST body itself. Before, the page failed
// well-formed (its DOCTYPE) and the token was blamed.
func TestSavedAutoPostPage(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	tk := issue(t, s, "", "", true, "")
	fields := url.Values{"wa": {"wsignin1.0"}, "wresult": {string(tk.wresult)}, "wctx": {"ctx"}}
	body, err := Explain([]byte(fields.Encode()), issuedOpts(s))
	if err != nil {
		t.Fatal(err)
	}
	if !body.Accepted {
		t.Fatalf("the POST body itself is rejected:\n%s", body.Text())
	}
	page := autoPostPage(t, fields)
	for name, in := range map[string][]byte{"rendered": page, "saved by a browser": savedByBrowser(t, page, fields)} {
		r := explainOK(t, in, issuedOpts(s))
		if !r.Accepted || !strings.HasPrefix(r.Input, "HTML auto-POST page, form field wresult (wa=wsignin1.0)") {
			t.Errorf("%s: input %q, failed %v:\n%s", name, r.Input, r.Failed(), r.Text())
		}
		if got, want := withoutInput(r.Text()), withoutInput(body.Text()); got != want {
			t.Errorf("%s: report differs from the POST body's\n got:\n%s\nwant:\n%s", name, got, want)
		}
	}
}

// TestSavedPageOfRealADFSToken: the real AD FS capture (a claim value with
// CR LF) rendered into the auto-POST page gives the POST body's report:
// the browser turns the page's line breaks back into CR LF, as it posted.
func TestSavedPageOfRealADFSToken(t *testing.T) {
	raw := readTestdata(t, "adfs-wsignin-crlf.txt")
	fields, err := url.ParseQuery(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	body := explainOK(t, raw, realOpts(t))
	r := explainOK(t, autoPostPage(t, fields), realOpts(t))
	if got, want := withoutInput(r.Text()), withoutInput(body.Text()); got != want {
		t.Errorf("report differs from the POST body's\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestHTMLWithoutTokenIsAnInputError: HTML that carries no token field (a
// login page, random markup, a field only inside a script or a comment, an
// empty wresult) is an *InputError, never a report about a token.
func TestHTMLWithoutTokenIsAnInputError(t *testing.T) {
	for name, in := range map[string]string{
		"login page":      `<!DOCTYPE html><html><body><form method="post" action="/login"><input name="username" value="alice"><input type="password" name="password"></form></body></html>`,
		"fragment":        `<div class="x"><p>Signing you in…</p></div>`,
		"lower doctype":   "<!doctype html>\n<title>x</title><p>nothing here",
		"in a script":     `<html><script>document.write('<input name="wresult" value="<x/>">')</script></html>`,
		"in a comment":    `<html><!-- <input name="wresult" value="<x/>"> --></html>`,
		"in a textarea":   `<html><form><textarea><input name="wresult" value="<x/>"></textarea></form></html>`,
		"empty wresult":   `<html><form><input type="hidden" name="wresult" value=""></form></html>`,
		"disabled":        `<html><form><input type="hidden" name="wresult" value="<x/>" disabled></form></html>`,
		"two token forms": `<html><form><input name="wresult" value="<x/>"></form><form><input name="wresult" value="<y/>"></form></html>`,
		"unterminated":    `<html><form><input name="wresult" value="<x/>`,
	} {
		r, err := Explain([]byte(in), Options{})
		var ie *InputError
		if !errors.As(err, &ie) || r != nil {
			t.Errorf("%s: %v, report %v", name, err, r)
		}
	}
	// An unquoted value and a bare SAMLResponse field are still read.
	r, err := Explain([]byte(`<html><form><input type=hidden name=SAMLResponse value=PHg+PC94Pg==></form></html>`), Options{})
	if err != nil || !strings.HasPrefix(r.Input, "HTML auto-POST page, form field SAMLResponse: ") {
		t.Errorf("SAMLResponse page: %v, %+v", err, r)
	}
	// A token with an XML DOCTYPE is not HTML: the gate judges it.
	if r, err := Explain([]byte(`<!DOCTYPE x><x/>`), Options{}); err != nil || r.Check(CheckWellFormed).OK {
		t.Errorf("XML DOCTYPE: %v, %+v", err, r)
	}
}

// TestVerdictNamesSkippedChecks: an accepted token's verdict mentions
// skipped checks only when there are some, and then names them. Before,
// "skipped checks were not evaluated" was printed every time.
func TestVerdictNamesSkippedChecks(t *testing.T) {
	s := newSigner(t, "claimgate signing")
	tk := issue(t, s, "", "", true, "")
	o := issuedOpts(s)
	o.Request = tk.query
	full := explainOK(t, tk.wresult, o)
	if !full.Accepted || len(full.Skipped()) != 0 {
		t.Fatalf("skipped %v:\n%s", full.Skipped(), full.Text())
	}
	if txt := full.Text(); !strings.HasSuffix(txt, "\nVerdict: AD FS would accept this token.\n") || strings.Contains(txt, "skipped") {
		t.Errorf("nothing skipped:\n%s", txt)
	}
	o.Request, o.ExpectedIssuer = nil, ""
	part := explainOK(t, tk.wresult, o)
	want := "\nVerdict: AD FS would accept this token; not evaluated (skipped): issuer, authentication-method.\n"
	if txt := part.Text(); !part.Accepted || !strings.HasSuffix(txt, want) {
		t.Errorf("want the verdict %q:\n%s", want, txt)
	}
}

func withoutInput(text string) string {
	_, rest, _ := strings.Cut(text, "\n")
	return rest
}

// FuzzHTMLForms: the page tokenizer ends and does not panic on any input,
// and Explain answers an HTML input with a report or an *InputError.
func FuzzHTMLForms(f *testing.F) {
	f.Add([]byte(`<!DOCTYPE html><form><input type=hidden name="wresult" value='&lt;x/&gt;'></form>`))
	f.Add([]byte(`<html><script>x</script><textarea><input name=a></textarea><input name=wresult value="<x/>" `))
	f.Add([]byte("<!-- c --><form action=\"a\"><input name=\"SAMLResponse\" value=\"PHgvPg==\"\n></form>"))
	f.Fuzz(func(t *testing.T, in []byte) {
		htmlForms(in)
		if len(in) > 0 && in[0] == '<' && looksHTML(in) {
			var ie *InputError
			if _, err := Explain(in, Options{}); err != nil && !errors.As(err, &ie) {
				t.Fatalf("%T %v", err, err)
			}
		}
	})
}
