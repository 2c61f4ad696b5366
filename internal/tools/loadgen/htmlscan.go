package main

import (
	"html"
	"strings"
)

// The sign-in reads three things from claimgate's pages: the first form's
// action, the csrf field and the token page's wresult. These scanners find
// exactly what the regular expressions they replace found (noted on each),
// with strings.Index: the token page carries a wresult of kilobytes and a
// regexp over it cost the generator CPU it takes from the system under test.
// Values come back HTML-unescaped, as a browser would submit them.

// quoted is the text after the first prefix in s (which ends in an opening
// quote) up to the closing quote, and the rest of s after that quote:
// regexp `prefix([^"]*)"`.
func quoted(s, prefix string) (value, rest string, ok bool) {
	i := strings.Index(s, prefix)
	if i < 0 {
		return "", "", false
	}
	s = s[i+len(prefix):]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return "", "", false
	}
	return s[:j], s[j+1:], true
}

// csrfField is the csrf field's value: `name="csrf" value="([^"]*)"`.
func csrfField(body string) (string, bool) {
	v, _, ok := quoted(body, `name="csrf" value="`)
	return html.UnescapeString(v), ok
}

// formAction is the action of the first form that has one:
// `<form[^>]*action="([^"]*)"`, whose greedy [^>]* takes the tag's last
// action=".
func formAction(body string) (string, bool) {
	for i := strings.Index(body, "<form"); i >= 0; {
		tag := body[i+len("<form"):]
		if end := strings.IndexByte(tag, '>'); end >= 0 {
			tag = tag[:end]
		}
		for a := strings.LastIndex(tag, `action="`); a >= 0; a = strings.LastIndex(tag[:a], `action="`) {
			if v, _, ok := quoted(body[i+len("<form")+a:], `action="`); ok {
				return html.UnescapeString(v), true
			}
		}
		next := strings.Index(body[i+1:], "<form")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return "", false
}

// hiddenField is the value of the first hidden input named name, of those
// `<input type="hidden" name="([^"]*)" value="([^"]*)"` finds in turn.
func hiddenField(body, name string) (string, bool) {
	const open, val = `<input type="hidden" name="`, ` value="`
	for s := body; ; {
		i := strings.Index(s, open)
		if i < 0 {
			return "", false
		}
		if n, rest, ok := quoted(s[i:], open); ok && strings.HasPrefix(rest, val) {
			if v, after, ok := quoted(rest, val); ok {
				if n == name {
					return html.UnescapeString(v), true
				}
				s = after // matches do not overlap: the next starts after this one
				continue
			}
		}
		s = s[i+1:] // no match here; the next may start inside the name
	}
}
