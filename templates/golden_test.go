package templates_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Fixed inputs: the auto-POST page carries a wresult and a wctx with every
// character HTML escaping has to get right, to a reply URL with a query.
const (
	goldenReply   = "https://adfs.example.test/adfs/ls/?client-request-id=1&x=a+b"
	goldenWresult = `<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust">` +
		`<saml:Attribute AttributeName="name"><saml:AttributeValue>O'Brien &amp; "Søren" &lt;x&gt; +1 &#xD;` + "\n" +
		`line</saml:AttributeValue></saml:Attribute></t:RequestSecurityTokenResponse>`
	goldenWctx = "rm=0&id=passive&ru=%2fadfs%2fls%2f%3fa%3db+c&x=100% sure über € ✓ 'q' \"dq\" <t>"
)

func autoPostData() templates.AutoPostData {
	return templates.AutoPostData{Action: goldenReply, Fields: []templates.Field{
		{Name: "wa", Value: "wsignin1.0"}, {Name: "wresult", Value: goldenWresult}, {Name: "wctx", Value: goldenWctx}}}
}

func loginData() templates.LoginData {
	return templates.LoginData{Common: templates.Common{CSRF: "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5", RequestID: "0123456789abcdef"},
		Action: "/login", Username: `alice"<x>@example.test`, ErrorKey: "error.credentials",
		HintExamples: `alice@example.test, EXAMPLE\alice or alice`, HintAppPasswords: true}
}

func render(t testing.TB, s *templates.Set, page string, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.Render(&b, page, data); err != nil {
		t.Fatalf("render %s: %v", page, err)
	}
	return b.String()
}

func embedded(t testing.TB) *templates.Set {
	t.Helper()
	s, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run go test ./templates -update if the change is intended)\n got:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestGoldenAutoPost guards the auto-POST page byte for byte; the values
// must also read back exactly as they went in (what a browser POSTs).
func TestGoldenAutoPost(t *testing.T) {
	got := render(t, embedded(t), templates.PageAutoPost, autoPostData())
	golden(t, "autopost.html", got)
	action, fields := readForm(t, got)
	if action != goldenReply {
		t.Errorf("action %q", action)
	}
	for _, f := range autoPostData().Fields {
		if fields[f.Name] != f.Value {
			t.Errorf("%s reads back as %q, want %q", f.Name, fields[f.Name], f.Value)
		}
	}
	if strings.Contains(got, "\r") {
		t.Error("a raw CR in the page would be normalised away by the browser")
	}
}

// TestGoldenLogin guards the login page byte for byte.
func TestGoldenLogin(t *testing.T) {
	golden(t, "login.html", render(t, embedded(t), templates.PageLogin, loginData()))
}

// readForm returns the action and the input values of the page's form, as
// an HTML parser reads them.
func readForm(t testing.TB, page string) (string, map[string]string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	action, fields := "", map[string]string{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return action, fields
		}
		if err != nil {
			t.Fatalf("unparsable page: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		switch se.Name.Local {
		case "form":
			action = attr["action"]
		case "input":
			fields[attr["name"]] = attr["value"]
		}
	}
}
