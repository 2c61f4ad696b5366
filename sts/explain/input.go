package explain

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// InputError is Explain's error for an input that is not a token in any
// form it reads: empty, an HTML page without a token field, neither XML,
// a form POST body nor base64. It is a usage error, not a verdict: nothing
// was said about a token.
type InputError struct{ msg string }

func (e *InputError) Error() string { return "explain: " + e.msg }

func inputError(format string, args ...any) error {
	return &InputError{msg: fmt.Sprintf(format, args...)}
}

// pageHint says what to give instead of a page without a token.
const pageHint = "give the POST body (browser developer tools → Network → the POST → request body), " +
	"the wresult, or the saved auto-POST page"

// decodeInput turns what the admin pasted into XML bytes and a description.
func decodeInput(in []byte) ([]byte, string, error) {
	in = bytes.TrimPrefix(in, []byte("\ufeff"))
	trimmed := bytes.TrimSpace(in)
	if len(trimmed) == 0 {
		return nil, "", inputError("empty input")
	}
	if trimmed[0] == '<' {
		if looksHTML(trimmed) {
			return decodePage(trimmed)
		}
		// Keep the original bytes: leading whitespace is harmless, but CRs matter.
		return trimmed, "XML", nil
	}
	s := string(trimmed)
	if strings.Contains(s, "=") && (strings.Contains(s, "wresult=") || strings.Contains(s, "SAMLResponse=") || strings.HasPrefix(s, "wa=")) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return nil, "", inputError("form body: %v", err)
		}
		return decodeFields(q, "WS-Fed form POST", "SAML POST (SAMLResponse)", "form body")
	}
	b, err := decodeB64(s)
	if err != nil {
		return nil, "", inputError("input is neither XML, a form POST body, an HTML auto-POST page nor base64")
	}
	return b, "base64", nil
}

// decodePage takes the token out of an HTML page's form (the auto-POST
// page): exactly one form may carry a wresult or a SAMLResponse.
func decodePage(page []byte) ([]byte, string, error) {
	var found []url.Values
	for _, f := range htmlForms(page) {
		q := url.Values{}
		for _, fl := range f {
			q.Add(fl.name, fl.value)
		}
		if q.Has("wresult") || q.Has("SAMLResponse") {
			found = append(found, q)
		}
	}
	switch len(found) {
	case 0:
		return nil, "", inputError("the input is an HTML page with no form field wresult or SAMLResponse, so it holds no token; " + pageHint)
	case 1:
		return decodeFields(found[0], "HTML auto-POST page, form field wresult", "HTML auto-POST page, form field SAMLResponse", "HTML page")
	default:
		return nil, "", inputError("the HTML page has %d forms carrying a token; save the one that was posted", len(found))
	}
}

// decodeFields takes the token out of the fields of a form (a POST body or
// an HTML page's form).
func decodeFields(q url.Values, wsfedDesc, samlDesc, what string) ([]byte, string, error) {
	if wr := q.Get("wresult"); wr != "" {
		if wa := q.Get("wa"); wa != "" {
			wsfedDesc += " (wa=" + wa + ")"
		}
		return []byte(wr), wsfedDesc, nil
	}
	if sr := q.Get("SAMLResponse"); sr != "" {
		b, err := decodeB64(sr)
		if err != nil {
			return nil, "", inputError("SAMLResponse: %v", err)
		}
		return b, samlDesc, nil
	}
	return nil, "", inputError("%s has neither a wresult nor a SAMLResponse with a value", what)
}

func decodeB64(s string) ([]byte, error) {
	b, err := decodeBase64(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '<' {
		return nil, errors.New("decoded base64 is not XML")
	}
	return b, nil
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
			return b2, nil
		}
	}
	return b, err
}

// escapeCR rewrites every raw CR inside text content or attribute values as
// &#13;, leaving markup untouched, so the document parses with the CR kept, as
// the signer saw it when it canonicalised the in-memory value.
func escapeCR(doc []byte) []byte {
	var out bytes.Buffer
	inTag, quote := false, byte(0)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c == '\r' && (!inTag || quote != 0):
			out.WriteString("&#13;")
			continue
		case inTag && quote != 0:
			if c == quote {
				quote = 0
			}
		case inTag && (c == '"' || c == '\''):
			quote = c
		case inTag && c == '>':
			inTag = false
		case !inTag && c == '<':
			inTag = true
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}
