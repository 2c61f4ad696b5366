package mfa

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MaxPSKCSize caps a PSKC file: vendor files of thousands of tokens stay
// well under it, and nothing larger is read into memory.
const MaxPSKCSize = 1 << 20

// PSKCOptions hold what is needed to decrypt encrypted key containers.
type PSKCOptions struct {
	// PreSharedKey is the AES key for containers whose EncryptionKey is a
	// ds:KeyName (RFC 6030 section 6.1).
	PreSharedKey []byte
	// Password is the passphrase for containers whose EncryptionKey is a
	// PBKDF2 DerivedKey (RFC 6030 section 6.2).
	Password string
}

// PSKCKey is one OATH token seed imported from a PSKC file.
type PSKCKey struct {
	ID           string
	SerialNo     string
	Manufacturer string
	Model        string
	UserID       string
	Issuer       string
	// Algorithm is "hotp" or "totp".
	Algorithm string
	// Hash is "SHA1", "SHA256" or "SHA512" (from the Suite, SHA1 if absent).
	Hash    string
	Secret  []byte
	Digits  int
	Counter uint64
	// Period is the TOTP time step (TimeInterval); 0 for HOTP.
	Period time.Duration
}

// Params returns the OATH parameters to verify this token's codes with.
func (k PSKCKey) Params() OATHParams {
	return OATHParams{Algorithm: k.Hash, Digits: k.Digits, Period: k.Period}
}

// ParsePSKC reads an RFC 6030 key container and returns its OATH keys.
// Encrypted secrets (AES-CBC under a pre-shared key or a PBKDF2-derived
// key) are decrypted with opts, and their ValueMAC is checked when
// present. Input is capped at MaxPSKCSize and a DOCTYPE is refused. Any
// problem with any key fails the whole import, naming the key.
func ParsePSKC(r io.Reader, opts PSKCOptions) ([]PSKCKey, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPSKCSize+1))
	if err != nil {
		return nil, fmt.Errorf("pskc: read: %w", err)
	}
	if len(data) > MaxPSKCSize {
		return nil, fmt.Errorf("pskc: file larger than %d bytes", MaxPSKCSize)
	}
	var c pskcContainer
	if err := decodeNoDTD(data, &c); err != nil {
		return nil, err
	}
	if c.XMLName.Local != "KeyContainer" || c.XMLName.Space != pskcNS {
		return nil, fmt.Errorf("pskc: root element is not {%s}KeyContainer", pskcNS)
	}
	if c.Version != "1.0" {
		return nil, fmt.Errorf("pskc: unsupported version %q", c.Version)
	}
	if len(c.Packages) == 0 {
		return nil, errors.New("pskc: no KeyPackage")
	}
	var dec *pskcDecrypter // built on first use: PBKDF2 is slow
	var keys []PSKCKey
	for i, p := range c.Packages {
		path := fmt.Sprintf("KeyPackage[%d].Key", i)
		if p.Key == nil {
			return nil, fmt.Errorf("pskc: KeyPackage[%d]: no Key", i)
		}
		k, err := p.toKey(func() (*pskcDecrypter, error) {
			if dec == nil {
				d, err := newPSKCDecrypter(&c, opts)
				if err != nil {
					return nil, err
				}
				dec = d
			}
			return dec, nil
		})
		if err != nil {
			return nil, fmt.Errorf("pskc: %s: %w", path, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

const pskcNS = "urn:ietf:params:xml:ns:keyprov:pskc"

// decodeNoDTD refuses any directive (DOCTYPE, ENTITY) before decoding:
// PSKC never needs one and they are the door to entity tricks.
func decodeNoDTD(data []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("pskc: xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errors.New("pskc: DOCTYPE or other XML directive not allowed")
		case xml.StartElement:
			if err := d.DecodeElement(v, &t); err != nil {
				return fmt.Errorf("pskc: xml: %w", err)
			}
			// Anything but whitespace, comments or PIs after the root is an error.
			for {
				tok, err := d.Token()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return fmt.Errorf("pskc: xml: %w", err)
				}
				switch t := tok.(type) {
				case xml.CharData:
					if len(bytes.TrimSpace(t)) != 0 {
						return errors.New("pskc: content after the root element")
					}
				case xml.Comment, xml.ProcInst:
				default:
					return errors.New("pskc: content after the root element")
				}
			}
		}
	}
}

func (p pskcPackage) toKey(decrypter func() (*pskcDecrypter, error)) (PSKCKey, error) {
	x := p.Key
	k := PSKCKey{
		ID:           x.ID,
		SerialNo:     strings.TrimSpace(p.DeviceInfo.SerialNo),
		Manufacturer: strings.TrimSpace(p.DeviceInfo.Manufacturer),
		Model:        strings.TrimSpace(p.DeviceInfo.Model),
		UserID:       strings.TrimSpace(firstNonEmpty(x.UserID, p.DeviceInfo.UserID)),
		Issuer:       strings.TrimSpace(x.Issuer),
	}
	switch {
	case strings.HasSuffix(x.Algorithm, ":hotp") || strings.HasSuffix(x.Algorithm, "#hotp"):
		k.Algorithm = "hotp"
	case strings.HasSuffix(x.Algorithm, ":totp") || strings.HasSuffix(x.Algorithm, "#totp"):
		k.Algorithm = "totp"
	default:
		return k, fmt.Errorf("unsupported algorithm %q (want HOTP or TOTP)", x.Algorithm)
	}
	k.Hash = "SHA1"
	if s := strings.ToUpper(strings.TrimSpace(x.Params.Suite)); s != "" {
		h := strings.TrimPrefix(strings.TrimPrefix(s, "HMAC-"), "HMAC")
		p, err := OATHParams{Algorithm: h}.Normalized()
		if err != nil {
			return k, fmt.Errorf("AlgorithmParameters/Suite %q: unsupported", x.Params.Suite)
		}
		k.Hash = p.Algorithm
	}
	k.Digits = 6
	if rf := x.Params.ResponseFormat; rf != nil {
		if rf.Encoding != "" && rf.Encoding != "DECIMAL" {
			return k, fmt.Errorf("ResponseFormat Encoding %q: only DECIMAL is supported", rf.Encoding)
		}
		n, err := strconv.Atoi(rf.Length)
		if err != nil || (n != 6 && n != 8) {
			return k, fmt.Errorf("ResponseFormat Length %q: want 6 or 8", rf.Length)
		}
		k.Digits = n
	}
	secret, err := x.Data.Secret.value(decrypter)
	if err != nil {
		return k, fmt.Errorf("Data/Secret: %w", err)
	}
	if len(secret) == 0 {
		return k, errors.New("Data/Secret: missing")
	}
	k.Secret = secret
	if v, err := x.Data.Counter.uint("Counter", decrypter); err != nil {
		return k, err
	} else {
		k.Counter = v
	}
	if k.Algorithm == "totp" {
		k.Period = 30 * time.Second
		if v, err := x.Data.TimeInterval.uint("TimeInterval", decrypter); err != nil {
			return k, err
		} else if v != 0 {
			if v != 30 && v != 60 {
				return k, fmt.Errorf("Data/TimeInterval %d: want 30 or 60", v)
			}
			k.Period = time.Duration(v) * time.Second
		}
	}
	return k, nil
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// value returns the bytes of a binary data element: base64 PlainValue or
// a decrypted EncryptedValue (with its ValueMAC checked).
func (v *pskcValue) value(decrypter func() (*pskcDecrypter, error)) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	switch {
	case v.Plain != nil:
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*v.Plain), ""))
		if err != nil {
			return nil, errors.New("PlainValue is not Base64")
		}
		return b, nil
	case v.Encrypted != nil:
		d, err := decrypter()
		if err != nil {
			return nil, err
		}
		return d.decrypt(v.Encrypted, v.MAC)
	}
	return nil, nil
}

// uint reads a numeric data element (Counter, TimeInterval): a decimal
// PlainValue, or an encrypted 8-byte big-endian value.
func (v *pskcValue) uint(name string, decrypter func() (*pskcDecrypter, error)) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	if v.Plain != nil {
		n, err := strconv.ParseUint(strings.TrimSpace(*v.Plain), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("Data/%s: not a number", name)
		}
		return n, nil
	}
	b, err := v.value(decrypter)
	if err != nil {
		return 0, fmt.Errorf("Data/%s: %w", name, err)
	}
	if len(b) == 0 || len(b) > 8 {
		return 0, fmt.Errorf("Data/%s: bad encrypted integer", name)
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n, nil
}
