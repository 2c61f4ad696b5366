package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// maxPBKDF2Iterations stops a hostile file from pinning a CPU for minutes.
const maxPBKDF2Iterations = 2_000_000

const (
	uriPBKDF2    = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"
	uriHMACSHA1  = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	uriXMLDSMore = "http://www.w3.org/2001/04/xmldsig-more#"
	uriXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
)

// pskcDecrypter holds the container's encryption key and MAC key.
type pskcDecrypter struct {
	key    []byte
	macKey []byte
	mac    func() hash.Hash
	hasMAC bool // a MACMethod is declared: every encrypted value must carry a ValueMAC
}

func newPSKCDecrypter(c *pskcContainer, opts PSKCOptions) (*pskcDecrypter, error) {
	if c.EncryptionKey == nil {
		return nil, errors.New("encrypted value but the container has no EncryptionKey")
	}
	d := &pskcDecrypter{}
	switch dk := c.EncryptionKey.DerivedKey; {
	case dk != nil:
		if opts.Password == "" {
			return nil, errors.New("container is password-protected (PBKDF2): a password is needed")
		}
		k, err := derivePSKCKey(dk, opts.Password)
		if err != nil {
			return nil, err
		}
		d.key = k
	default:
		if len(opts.PreSharedKey) == 0 {
			return nil, fmt.Errorf("container is encrypted with pre-shared key %q: that key is needed", strings.TrimSpace(c.EncryptionKey.KeyName))
		}
		d.key = opts.PreSharedKey
	}
	// Without a MACMethod, RFC 6030's drafts used the encryption key itself.
	d.macKey, d.mac = d.key, sha1.New
	if m := c.MACMethod; m != nil {
		h, err := macHash(m.Algorithm)
		if err != nil {
			return nil, err
		}
		d.mac, d.hasMAC = h, true
		if m.MACKey != nil {
			mk, err := d.decryptRaw(m.MACKey)
			if err != nil {
				return nil, fmt.Errorf("MACMethod/MACKey: %w", err)
			}
			d.macKey = mk
		}
	}
	return d, nil
}

func derivePSKCKey(dk *pskcDerivedKey, password string) ([]byte, error) {
	m := dk.Method
	if strings.TrimSpace(m.Algorithm) != uriPBKDF2 || m.Params == nil {
		return nil, fmt.Errorf("unsupported key derivation %q (want PBKDF2)", m.Algorithm)
	}
	salt, err := base64.StdEncoding.DecodeString(strings.TrimSpace(m.Params.Salt.Specified))
	if err != nil || len(salt) == 0 {
		return nil, errors.New("PBKDF2 salt missing or not Base64")
	}
	iter, err := strconv.Atoi(strings.TrimSpace(m.Params.IterationCount))
	if err != nil || iter < 1 || iter > maxPBKDF2Iterations {
		return nil, fmt.Errorf("PBKDF2 iteration count %q out of range 1..%d", m.Params.IterationCount, maxPBKDF2Iterations)
	}
	klen := 16
	if s := strings.TrimSpace(m.Params.KeyLength); s != "" {
		klen, err = strconv.Atoi(s)
		if err != nil || (klen != 16 && klen != 24 && klen != 32) {
			return nil, fmt.Errorf("PBKDF2 key length %q: want 16, 24 or 32", s)
		}
	}
	prf := sha1.New
	if m.Params.PRF != nil && strings.TrimSpace(m.Params.PRF.Algorithm) != "" {
		if prf, err = macHash(m.Params.PRF.Algorithm); err != nil {
			return nil, err
		}
	}
	return pbkdf2.Key(prf, password, salt, iter, klen)
}

func macHash(uri string) (func() hash.Hash, error) {
	switch strings.TrimSpace(uri) {
	case uriHMACSHA1:
		return sha1.New, nil
	case uriXMLDSMore + "hmac-sha224":
		return sha256.New224, nil
	case uriXMLDSMore + "hmac-sha256":
		return sha256.New, nil
	case uriXMLDSMore + "hmac-sha384":
		return sha512.New384, nil
	case uriXMLDSMore + "hmac-sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unsupported MAC algorithm %q", uri)
}

// decrypt checks the value's MAC over IV||ciphertext (RFC 6030 section
// 6.1.1) before decrypting, so a wrong key or a tampered file is reported
// as such rather than yielding a wrong seed.
func (d *pskcDecrypter) decrypt(v *pskcEncValue, valueMAC string) ([]byte, error) {
	ct, err := cipherBytes(v)
	if err != nil {
		return nil, err
	}
	valueMAC = strings.Join(strings.Fields(valueMAC), "")
	switch {
	case valueMAC != "":
		want, err := base64.StdEncoding.DecodeString(valueMAC)
		if err != nil {
			return nil, errors.New("ValueMAC is not Base64")
		}
		m := hmac.New(d.mac, d.macKey)
		m.Write(ct)
		if subtle.ConstantTimeCompare(m.Sum(nil), want) != 1 {
			return nil, errors.New("ValueMAC mismatch: wrong key or tampered file")
		}
	case d.hasMAC:
		return nil, errors.New("ValueMAC missing although the container declares a MACMethod")
	}
	return d.decryptRaw(v)
}

func cipherBytes(v *pskcEncValue) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.CipherValue), ""))
	if err != nil {
		return nil, errors.New("CipherValue is not Base64")
	}
	return ct, nil
}

// decryptRaw decrypts an xmlenc AES-CBC value: IV first, ISO 10126
// padding (only the last byte, the pad length, is meaningful).
func (d *pskcDecrypter) decryptRaw(v *pskcEncValue) ([]byte, error) {
	want := 0
	switch strings.TrimSpace(v.Method.Algorithm) {
	case uriXMLEnc + "aes128-cbc":
		want = 16
	case uriXMLEnc + "aes192-cbc":
		want = 24
	case uriXMLEnc + "aes256-cbc":
		want = 32
	default:
		return nil, fmt.Errorf("unsupported encryption %q (want AES-CBC)", v.Method.Algorithm)
	}
	if len(d.key) != want {
		return nil, fmt.Errorf("encryption key is %d bytes, %s needs %d", len(d.key), v.Method.Algorithm, want)
	}
	ct, err := cipherBytes(v)
	if err != nil {
		return nil, err
	}
	if len(ct) < 2*aes.BlockSize || len(ct)%aes.BlockSize != 0 {
		return nil, errors.New("CipherValue has a bad length")
	}
	block, err := aes.NewCipher(d.key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ct)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, ct[:aes.BlockSize]).CryptBlocks(out, ct[aes.BlockSize:])
	pad := int(out[len(out)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, errors.New("bad padding: wrong key or tampered file")
	}
	return out[:len(out)-pad], nil
}
