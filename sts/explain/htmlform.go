package explain

import (
	"bytes"
	"html"
	"strings"
)

// An administrator often has the auto-POST page rather than the POST: the
// browser's "save page" of it, or its source. It is HTML, not a token, and
// the XML gate would refuse it for its DOCTYPE, blaming the token. So an
// HTML page is recognised first and its form field taken out, the way a
// browser would submit it; a page without one is an input error.

// htmlRoots are element names that start an HTML document or fragment and
// are never the root of a token (RSTR, Assertion, Response).
var htmlRoots = map[string]bool{
	"html": true, "head": true, "body": true, "form": true, "meta": true, "title": true, "link": true,
	"script": true, "style": true, "base": true, "main": true, "div": true, "span": true, "p": true,
	"a": true, "br": true, "hr": true, "img": true, "input": true, "button": true, "table": true,
	"ul": true, "ol": true, "li": true, "pre": true, "noscript": true, "iframe": true, "header": true,
	"footer": true, "section": true, "article": true, "nav": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "b": true, "i": true, "strong": true, "em": true, "center": true,
	"font": true, "textarea": true, "label": true,
}

// looksHTML reports whether doc (starting with '<') is an HTML page or
// fragment: a <!DOCTYPE html>, or a first element that is an HTML one.
// Comments and processing instructions before it are skipped; an XML
// document with any other DOCTYPE is not HTML (the gate judges it).
func looksHTML(doc []byte) bool {
	s := doc
	for {
		s = bytes.TrimLeft(s, " \t\r\n\f")
		switch {
		case bytes.HasPrefix(s, []byte("<!--")):
			end := bytes.Index(s[4:], []byte("-->"))
			if end < 0 {
				return false
			}
			s = s[4+end+3:]
		case bytes.HasPrefix(s, []byte("<?")):
			end := bytes.IndexByte(s, '>')
			if end < 0 {
				return false
			}
			s = s[end+1:]
		case hasFoldPrefix(s, "<!doctype"):
			f := strings.Fields(strings.ToLower(string(s[len("<!doctype"):min(len(s), 64)])))
			return len(f) > 0 && strings.HasPrefix(f[0], "html")
		case len(s) > 1 && s[0] == '<':
			name, _ := tagName(s[1:])
			return htmlRoots[strings.ToLower(name)]
		default:
			return false
		}
	}
}

// formField is one submittable control of an HTML form.
type formField struct{ name, value string }

// htmlForms reads the forms of an HTML page with a small tokenizer: tags
// and their attributes (quoted, unquoted, character references), comments,
// and the raw-text elements (script, style, textarea, title...) whose
// content is not markup. It returns, per form, the fields a browser would
// submit: inputs that are not disabled, buttons, checkboxes, radios or
// files. Inputs outside any form are collected as one more form.
func htmlForms(page []byte) [][]formField {
	// HTML input preprocessing: CR LF and lone CR become LF.
	s := strings.ReplaceAll(strings.ReplaceAll(string(page), "\r\n", "\n"), "\r", "\n")
	var forms [][]formField
	var loose []formField
	cur := -1 // index in forms of the open form, -1 for none
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return append(forms, loose)
			}
			i += 4 + end + 3
		case strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, "<?"):
			i += skipTo(rest, '>')
		case strings.HasPrefix(rest, "</"):
			name, _ := tagName([]byte(rest[2:]))
			if strings.EqualFold(name, "form") {
				cur = -1
			}
			i += skipTo(rest, '>')
		case len(rest) > 1 && isASCIILetter(rest[1]):
			name, n := tagName([]byte(rest[1:]))
			name = strings.ToLower(name)
			attrs, m, ok := tagAttributes(rest[1+n:])
			i += 1 + n + m
			if !ok {
				break
			}
			switch name {
			case "form":
				forms = append(forms, nil)
				cur = len(forms) - 1
			case "input":
				if f, ok := submitted(attrs); ok {
					if cur >= 0 {
						forms[cur] = append(forms[cur], f)
					} else {
						loose = append(loose, f)
					}
				}
			case "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext":
				end := indexFold(s[i:], "</"+name)
				if end < 0 {
					i = len(s)
				} else {
					i += end
				}
			}
		default:
			i++ // a '<' that starts no tag is text
		}
	}
	if len(loose) > 0 {
		forms = append(forms, loose)
	}
	return forms
}

// submitted is the field an <input> contributes to the form's POST, if any.
// Its value is line-break normalised to CR LF, as a browser submits it.
func submitted(attrs map[string]string) (formField, bool) {
	name, ok := attrs["name"]
	if _, disabled := attrs["disabled"]; !ok || name == "" || disabled {
		return formField{}, false
	}
	switch strings.ToLower(attrs["type"]) {
	case "", "hidden", "text", "password", "search", "email", "url", "tel":
	default:
		return formField{}, false
	}
	v := strings.ReplaceAll(attrs["value"], "\n", "\r\n")
	return formField{name: name, value: v}, true
}

// tagAttributes parses a start tag's attributes from s (just after the
// name) up to its '>', returning them (first occurrence wins, values
// unescaped) and the bytes consumed. A tag the input ends inside is
// dropped, as a browser drops it: ok is false.
func tagAttributes(s string) (attrs map[string]string, n int, ok bool) {
	attrs = map[string]string{}
	i := 0
	for i < len(s) {
		for i < len(s) && (isSpace(s[i]) || s[i] == '/') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '>' {
			return attrs, i + 1, true
		}
		start := i
		for i < len(s) && !isSpace(s[i]) && s[i] != '/' && s[i] != '>' && (s[i] != '=' || i == start) {
			i++
		}
		name := strings.ToLower(s[start:i])
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		value := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				q := s[i]
				end := strings.IndexByte(s[i+1:], q)
				if end < 0 {
					return nil, len(s), false
				}
				value = s[i+1 : i+1+end]
				i += 1 + end + 1
			} else {
				start := i
				for i < len(s) && !isSpace(s[i]) && s[i] != '>' {
					i++
				}
				value = s[start:i]
			}
		}
		if _, dup := attrs[name]; !dup {
			attrs[name] = html.UnescapeString(value)
		}
	}
	return nil, len(s), false
}

// tagName returns the element name at the start of s and its length.
func tagName(s []byte) (string, int) {
	n := 0
	for n < len(s) && !isSpace(s[n]) && s[n] != '/' && s[n] != '>' {
		n++
	}
	return string(s[:n]), n
}

func skipTo(s string, c byte) int {
	if end := strings.IndexByte(s, c); end >= 0 {
		return end + 1
	}
	return len(s)
}

// indexFold finds the ASCII lower-case sub in s, ignoring ASCII case
// (strings.ToLower could move the offsets of non-ASCII text).
func indexFold(s, sub string) int {
next:
	for i := 0; i+len(sub) <= len(s); i++ {
		for j := 0; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				continue next
			}
		}
		return i
	}
	return -1
}

func hasFoldPrefix(s []byte, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(string(s[:len(prefix)]), prefix)
}

func isSpace(c byte) bool       { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
