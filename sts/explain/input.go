package explain

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// decodeInput turns what the admin pasted into XML bytes and a description.
func decodeInput(in []byte) ([]byte, string, error) {
	in = bytes.TrimPrefix(in, []byte("\ufeff"))
	trimmed := bytes.TrimSpace(in)
	if len(trimmed) == 0 {
		return nil, "", errors.New("explain: empty input")
	}
	if trimmed[0] == '<' {
		// Keep the original bytes: leading whitespace is harmless, but CRs matter.
		return trimmed, "XML", nil
	}
	s := string(trimmed)
	if strings.Contains(s, "=") && (strings.Contains(s, "wresult=") || strings.Contains(s, "SAMLResponse=") || strings.HasPrefix(s, "wa=")) {
		q, err := url.ParseQuery(s)
		if err != nil {
			return nil, "", fmt.Errorf("explain: form body: %w", err)
		}
		if wr := q.Get("wresult"); wr != "" {
			desc := "WS-Fed form POST"
			if wa := q.Get("wa"); wa != "" {
				desc += " (wa=" + wa + ")"
			}
			return []byte(wr), desc, nil
		}
		if sr := q.Get("SAMLResponse"); sr != "" {
			b, err := decodeB64(sr)
			if err != nil {
				return nil, "", fmt.Errorf("explain: SAMLResponse: %w", err)
			}
			return b, "SAML POST (SAMLResponse)", nil
		}
		return nil, "", errors.New("explain: form body has neither wresult nor SAMLResponse")
	}
	b, err := decodeB64(s)
	if err != nil {
		return nil, "", errors.New("explain: input is neither XML, a form POST body nor base64")
	}
	return b, "base64", nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
			b, err = b2, nil
		}
	}
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '<' {
		return nil, errors.New("decoded base64 is not XML")
	}
	return b, nil
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
