package login_test

import (
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
)

// node is an element of a parsed page.
type node struct {
	tag    string
	attr   map[string]string
	text   string // character data directly inside
	kids   []*node
	parent *node
}

// parseHTML reads a page with encoding/xml in its lenient HTML mode (void
// elements closed, HTML entities known), which is enough for our own
// server-rendered markup and needs no extra module.
func parseHTML(t testing.TB, body string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{tag: "#document", attr: map[string]string{}}
	cur := root
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("page is not parsable HTML: %v\n%s", err, body)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			n := &node{tag: strings.ToLower(v.Name.Local), attr: map[string]string{}, parent: cur}
			for _, a := range v.Attr {
				n.attr[strings.ToLower(a.Name.Local)] = a.Value
			}
			cur.kids = append(cur.kids, n)
			cur = n
		case xml.EndElement:
			if cur.parent != nil {
				cur = cur.parent
			}
		case xml.CharData:
			cur.text += string(v)
		}
	}
	return root
}

// all returns every element below n with the tag ("" for any).
func (n *node) all(tag string) []*node {
	var out []*node
	for _, k := range n.kids {
		if tag == "" || k.tag == tag {
			out = append(out, k)
		}
		out = append(out, k.all(tag)...)
	}
	return out
}

// within reports whether n has an ancestor with the tag.
func (n *node) within(tag string) bool {
	for p := n.parent; p != nil; p = p.parent {
		if p.tag == tag {
			return true
		}
	}
	return false
}

// textContent is all character data below n.
func (n *node) textContent() string {
	s := n.text
	for _, k := range n.kids {
		s += k.textContent()
	}
	return s
}

// checkPageHygiene asserts what every claimgate page must be: no inline
// script or style (the CSP would block them and the page must not need
// them), no event handler attributes or javascript: URLs, a viewport for
// phones, and CSRF protection on every form that posts back to us. Only
// the auto-POST page may reference a script, and it must still submit
// without one.
func checkPageHygiene(t testing.TB, what, body string) *node {
	t.Helper()
	doc := parseHTML(t, body)
	if len(doc.all("html")) != 1 || len(doc.all("body")) != 1 {
		t.Errorf("%s: not a whole HTML page", what)
	}
	if len(doc.all("style")) > 0 {
		t.Errorf("%s: has a <style> element", what)
	}
	for _, el := range doc.all("") {
		for k, v := range el.attr {
			if k == "style" || strings.HasPrefix(k, "on") {
				t.Errorf("%s: <%s> has attribute %s=%q", what, el.tag, k, v)
			}
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "javascript:") {
				t.Errorf("%s: <%s %s> is a javascript: URL", what, el.tag, k)
			}
		}
	}
	viewport := false
	for _, m := range doc.all("meta") {
		if m.attr["name"] == "viewport" && strings.Contains(m.attr["content"], "width=device-width") {
			viewport = true
		}
	}
	if !viewport {
		t.Errorf("%s: no viewport meta", what)
	}
	autopost := false
	for _, f := range doc.all("form") {
		if f.attr["id"] == "autopost" {
			autopost = true
			continue
		}
		if !strings.EqualFold(f.attr["method"], "post") {
			t.Errorf("%s: form %q is not method=post", what, f.attr["action"])
		}
		if !strings.HasPrefix(f.attr["action"], "/") || strings.HasPrefix(f.attr["action"], "//") {
			t.Errorf("%s: form posts to %q, not to a path of ours", what, f.attr["action"])
		}
		csrf := false
		for _, in := range f.all("input") {
			if in.attr["name"] == "csrf" && in.attr["type"] == "hidden" && len(in.attr["value"]) >= 32 {
				csrf = true
			}
		}
		if !csrf {
			t.Errorf("%s: form %q has no csrf hidden input", what, f.attr["action"])
		}
	}
	for _, s := range doc.all("script") {
		if strings.TrimSpace(s.textContent()) != "" {
			t.Errorf("%s: inline script %q", what, s.textContent())
		}
		if !autopost || s.attr["src"] != "/static/autopost.js" {
			t.Errorf("%s: script src=%q; only the auto-POST page may load /static/autopost.js", what, s.attr["src"])
		}
	}
	return doc
}

// forbidden are strings that betray internals: stack traces, Go source
// positions, error prefixes of our packages, SQL.
var forbidden = []string{"goroutine", ".go:", "runtime.", "panic", "sts:", "login:", "sql"}

// randomValue matches the random values a page carries (CSRF tokens): a
// token may spell "sql" by chance, which betrays nothing.
var randomValue = regexp.MustCompile(`name="csrf" value="[^"]*"`)

func checkNoInternals(t testing.TB, what, body string) {
	t.Helper()
	low := strings.ToLower(randomValue.ReplaceAllString(body, `name="csrf"`))
	for _, f := range forbidden {
		if strings.Contains(low, f) {
			t.Errorf("%s: page contains %q:\n%s", what, f, body)
		}
	}
}
