package saml2

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
)

// message is a SAML protocol message taken out of its binding, not yet
// parsed or trusted.
type message struct {
	binding    string
	xml        []byte
	relayState string
	// HTTP-Redirect only: the detached signature and the octets it covers.
	sigAlg    string
	signature []byte
	signed    []byte
}

// decodeRedirect takes the message named param (SAMLRequest) out of an
// HTTP-Redirect query (saml-bindings-2.0-os §3.4.4). rawQuery must be the
// query string exactly as received: the signature covers its octets, and
// re-encoding decoded values would change them.
func decodeRedirect(rawQuery, param string, maxBytes int64) (*message, error) {
	// Base64 and percent-encoding at most triple the size of the
	// compressed message, which is no larger than the inflated one.
	if int64(len(rawQuery)) > 3*maxBytes {
		return nil, refuse(StatusRequester, "", "query string is %d bytes, limit %d", len(rawQuery), 3*maxBytes)
	}
	raw := map[string]string{}
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, refuse(StatusRequester, "", "query parameter name is not URL-encoded")
		}
		if _, dup := raw[key]; dup {
			return nil, refuse(StatusRequester, "", "parameter %q given more than once", xmltext.Clip(key))
		}
		raw[key] = v
	}
	get := func(k string) (string, error) {
		v, err := url.QueryUnescape(raw[k])
		if err != nil {
			return "", refuse(StatusRequester, "", "parameter %s is not URL-encoded", k)
		}
		return v, nil
	}
	m := &message{binding: BindingRedirect}
	enc, err := get(param)
	if err != nil {
		return nil, err
	}
	if enc == "" {
		return nil, refuse(StatusRequester, "", "no %s parameter", param)
	}
	if m.relayState, err = get("RelayState"); err != nil {
		return nil, err
	}
	if m.sigAlg, err = get("SigAlg"); err != nil {
		return nil, err
	}
	sig, err := get("Signature")
	if err != nil {
		return nil, err
	}
	if (m.sigAlg == "") != (sig == "") {
		return nil, refuse(StatusRequester, "", "SigAlg and Signature must come together")
	}
	if sig != "" {
		if m.signature, err = decodeBase64(sig); err != nil {
			return nil, refuse(StatusRequester, "", "Signature is not base64")
		}
		// The signed octets, in the order the binding fixes, from the
		// raw values (§3.4.4.1).
		s := param + "=" + raw[param]
		if _, ok := raw["RelayState"]; ok {
			s += "&RelayState=" + raw["RelayState"]
		}
		m.signed = []byte(s + "&SigAlg=" + raw["SigAlg"])
	}
	deflated, err := decodeBase64(enc)
	if err != nil {
		return nil, refuse(StatusRequester, "", "%s is not base64", param)
	}
	if m.xml, err = inflate(deflated, maxBytes); err != nil {
		return nil, err
	}
	return m, checkRelayState(m.relayState)
}

// decodePOST takes the message named param out of an HTTP-POST form
// (saml-bindings-2.0-os §3.5.4): base64, no compression.
func decodePOST(form url.Values, param string, maxBytes int64) (*message, error) {
	for _, k := range []string{param, "RelayState"} {
		if len(form[k]) > 1 {
			return nil, refuse(StatusRequester, "", "parameter %s given %d times", k, len(form[k]))
		}
	}
	enc := form.Get(param)
	if enc == "" {
		return nil, refuse(StatusRequester, "", "no %s parameter", param)
	}
	if int64(len(enc)) > 2*maxBytes {
		return nil, refuse(StatusRequester, "", "%s is %d bytes, limit %d", param, len(enc), 2*maxBytes)
	}
	b, err := decodeBase64(enc)
	if err != nil {
		return nil, refuse(StatusRequester, "", "%s is not base64", param)
	}
	if int64(len(b)) > maxBytes {
		return nil, refuse(StatusRequester, "", "message is %d bytes, limit %d", len(b), maxBytes)
	}
	m := &message{binding: BindingPOST, xml: b, relayState: form.Get("RelayState")}
	return m, checkRelayState(m.relayState)
}

// decodeBase64 reads standard base64, ignoring the line breaks some
// senders put into long values.
func decodeBase64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
}

// inflate undoes the binding's raw DEFLATE (RFC 1951) and refuses output
// above maxBytes: a few KiB can inflate to gigabytes.
func inflate(b []byte, maxBytes int64) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, refuse(StatusRequester, "", "message is not raw DEFLATE")
	}
	if int64(len(out)) > maxBytes {
		return nil, refuse(StatusRequester, "", "inflated message exceeds %d bytes", maxBytes)
	}
	if err != nil {
		return nil, refuse(StatusRequester, "", "message is truncated DEFLATE")
	}
	return out, nil
}

// checkRelayState refuses what cannot be echoed safely into a form.
func checkRelayState(s string) error {
	if len(s) > MaxRelayState {
		return refuse(StatusRequester, "", "RelayState is %d bytes, limit %d", len(s), MaxRelayState)
	}
	if !utf8.ValidString(s) {
		return refuse(StatusRequester, "", "RelayState is not UTF-8")
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return refuse(StatusRequester, "", "RelayState holds control characters")
		}
	}
	return nil
}
