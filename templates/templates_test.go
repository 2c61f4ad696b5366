package templates_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

// keyLiteral is what a message key looks like in Go source.
var keyLiteral = regexp.MustCompile(`^(error|code|login|choose|enrol|autopost|signedout|demo)\.[a-z_]+$`)

// TestMessageKeysUsedByGoExist scans the Go source of the packages that
// render pages for string literals shaped like message keys ("error.csrf",
// "code.sent", ...) and requires each in messages/en.json: a key missing
// there would show its own name to a user.
func TestMessageKeysUsedByGoExist(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("messages", "en.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]string
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatalf("messages/en.json: %v", err)
	}
	used := map[string][]string{}
	for _, dir := range []string{"../internal/login", "../internal/server", "../internal/demo"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(lit.Value); err == nil && keyLiteral.MatchString(s) {
					used[s] = append(used[s], fset.Position(lit.Pos()).String())
				}
				return true
			})
		}
	}
	if len(used) < 10 {
		t.Fatalf("found only %d keys; the scan is broken", len(used))
	}
	var missing []string
	for k, where := range used {
		if _, ok := cat[k]; !ok {
			missing = append(missing, k+" (used at "+strings.Join(where, ", ")+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("messages/en.json lacks %s", m)
	}
}

// writeFiles makes an override directory.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOverrideReplacesPageAndMessage: an override directory replaces one
// page, one message and one asset; everything else stays embedded.
func TestOverrideReplacesPageAndMessage(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"html/login.html": `{{define "title"}}{{T "login.title"}}{{end}}{{define "content"}}<h1 id="branded">{{T "login.title"}}</h1>` +
			`<form method="post" action="{{.Action}}"><input type="hidden" name="csrf" value="{{.CSRF}}"></form>{{end}}`,
		"messages/en.json": `{"login.title": "Anmelden bei Beispiel AG"}`,
		"static/style.css": "body{color:#000}",
	})
	s, err := templates.New(templates.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	page := render(t, s, templates.PageLogin, loginData())
	if !strings.Contains(page, `<h1 id="branded">Anmelden bei Beispiel AG</h1>`) {
		t.Errorf("override page or message not used:\n%s", page)
	}
	if s.T("login.username") != embedded(t).T("login.username") || s.T("login.title") != "Anmelden bei Beispiel AG" {
		t.Errorf("messages: login.username %q, login.title %q", s.T("login.username"), s.T("login.title"))
	}
	code := render(t, s, templates.PageCode, templates.CodeData{Action: "/login/code"})
	if code != render(t, embedded(t), templates.PageCode, templates.CodeData{Action: "/login/code"}) {
		t.Error("a page that was not overridden changed")
	}
	if css, err := s.Static("style.css"); err != nil || string(css) != "body{color:#000}" {
		t.Errorf("static override: %q %v", css, err)
	}
	if js, err := s.Static("autopost.js"); err != nil || len(js) == 0 {
		t.Errorf("embedded asset lost: %v", err)
	}
}

// TestBrokenOverrideNamesTheFile: a template that does not parse, or
// fails when run, or a message file that is not JSON, stops New with the
// file named.
func TestBrokenOverrideNamesTheFile(t *testing.T) {
	for _, c := range []struct{ name, file, body, lang string }{
		{"does not parse", "html/code.html", `{{define "content"}}{{.Broken`, ""},
		{"fails when run", "html/error.html", `{{define "title"}}x{{end}}{{define "content"}}{{.NoSuchField}}{{end}}`, ""},
		{"bad call", "html/choose.html", `{{define "title"}}{{T}}{{end}}{{define "content"}}{{end}}`, ""},
		{"broken layout", "html/layout.html", `{{define "page"}}{{template "nothing" .}}{{end`, ""},
		{"messages not JSON", "messages/en.json", `{"login.title": `, ""},
		{"translation not an object", "messages/de.json", `["not", "an", "object"]`, "de"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := templates.New(templates.Options{Dir: writeFiles(t, map[string]string{c.file: c.body}), Language: c.lang})
			if err == nil {
				t.Fatal("New accepted a broken override")
			}
			if !strings.Contains(err.Error(), c.file) {
				t.Errorf("error does not name %s: %v", c.file, err)
			}
		})
	}
	if _, err := templates.New(templates.Options{Dir: filepath.Join(t.TempDir(), "absent")}); err == nil {
		t.Error("a missing override directory was accepted")
	}
}

// TestMissingMessageKeyFailsNew: a page that uses a key the catalogue
// lacks stops New, even when the key sits in a branch the start-up dry
// run does not take.
func TestMissingMessageKeyFailsNew(t *testing.T) {
	for name, body := range map[string]string{
		"unconditional": `{{define "title"}}x{{end}}{{define "content"}}{{T "login.no_such_key"}}{{end}}`,
		"in a branch":   `{{define "title"}}x{{end}}{{define "content"}}{{if .AppPasswordsOnly}}{{T "login.no_such_key"}}{{end}}{{end}}`,
		"in a range":    `{{define "title"}}x{{end}}{{define "content"}}{{range .Fields}}{{T "login.no_such_key"}}{{end}}{{end}}`,
	} {
		t.Run(name, func(t *testing.T) {
			page := "html/login.html"
			if name == "in a range" {
				page = "html/autopost.html"
			}
			_, err := templates.New(templates.Options{Dir: writeFiles(t, map[string]string{page: body})})
			if err == nil {
				t.Fatal("New accepted a page with a missing message key")
			}
			if !strings.Contains(err.Error(), `"login.no_such_key"`) || !strings.Contains(err.Error(), page) {
				t.Errorf("error should name the key and the page: %v", err)
			}
			if strings.Count(err.Error(), "login.no_such_key") != 1 {
				t.Errorf("the problem is reported more than once: %v", err)
			}
		})
	}
	// An override message file that drops a key is not a problem: the
	// embedded catalogue still has it.
	if _, err := templates.New(templates.Options{Dir: writeFiles(t, map[string]string{"messages/en.json": `{}`})}); err != nil {
		t.Errorf("an empty override catalogue: %v", err)
	}
}

// TestLanguageFallsBackToEnglish: a partial translation shows English for
// what it lacks; an unknown language is an error.
func TestLanguageFallsBackToEnglish(t *testing.T) {
	dir := writeFiles(t, map[string]string{"messages/de.json": `{"lang": "de", "login.title": "Anmelden"}`})
	s, err := templates.New(templates.Options{Dir: dir, Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if s.T("login.title") != "Anmelden" || s.T("login.password") != "Password" {
		t.Errorf("de: %q %q", s.T("login.title"), s.T("login.password"))
	}
	if !strings.Contains(render(t, s, templates.PageLogin, loginData()), `<html lang="de">`) {
		t.Error("lang attribute not from the catalogue")
	}
	if _, err := templates.New(templates.Options{Language: "xx"}); err == nil || !strings.Contains(err.Error(), "messages/xx.json") {
		t.Errorf("unknown language: %v", err)
	}
}

// TestStaticNames: only plain names inside static/ are served.
func TestStaticNames(t *testing.T) {
	s := embedded(t)
	for _, name := range []string{"", ".", "..", "../templates.go", "/etc/passwd", ".hidden", "html/login.html", "a/../style.css", "missing.css"} {
		if _, err := s.Static(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Static(%q): %v, want not-exist", name, err)
		}
	}
	for _, name := range []string{"style.css", "autopost.js"} {
		if b, err := s.Static(name); err != nil || len(b) == 0 {
			t.Errorf("Static(%q): %v", name, err)
		}
	}
}

// TestFailedRenderWritesNothing: a page that fails halfway leaves the
// writer as it was, a bytes.Buffer (rendered into directly) and any other
// writer alike: no half page, no half token.
func TestFailedRenderWritesNothing(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"html/autopost.html": `{{define "title"}}x{{end}}{{define "content"}}<form>half{{if .Fields}}{{index .Fields 9}}{{end}}</form>{{end}}`,
	})
	s, err := templates.New(templates.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	data := templates.AutoPostData{Fields: []templates.Field{{Name: "wresult", Value: "<token/>"}}}
	b := bytes.NewBufferString("kept")
	if err := s.Render(b, templates.PageAutoPost, data); err == nil {
		t.Fatal("a failing page rendered")
	}
	if b.String() != "kept" {
		t.Errorf("a failed render left %q in the buffer", b.String())
	}
	var other strings.Builder
	if err := s.Render(&other, templates.PageAutoPost, data); err == nil || other.Len() != 0 {
		t.Errorf("a failed render wrote %q (err %v)", other.String(), err)
	}
	if err := s.Render(b, templates.PageLogin, loginData()); err != nil || !strings.HasPrefix(b.String(), "kept<!") {
		t.Errorf("a good page is not appended to the buffer: %v %.40q", err, b.String())
	}
}
