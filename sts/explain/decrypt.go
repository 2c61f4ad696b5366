package explain

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	_ "crypto/sha1" //nolint:gosec // OAEP's digest and MGF, named by the sender; not a signature
	_ "crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// xmlenc URIs explain reads beyond those sts/saml2 encrypts with.
const (
	encAES192CBC  = "http://www.w3.org/2001/04/xmlenc#aes192-cbc"
	encAES128GCM  = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
	keyRSAOAEP11  = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
	keyRSA15      = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
	digestSHA1URI = "http://www.w3.org/2000/09/xmldsig#sha1"
	digestSHA256  = "http://www.w3.org/2001/04/xmlenc#sha256"
	mgf1SHA256    = "http://www.w3.org/2009/xmlenc11#mgf1sha256"
)

// encryption describes a saml:EncryptedAssertion: its algorithms, the
// certificate it was encrypted to when the sender named it, and the
// encrypted parts.
type encryption struct {
	content, keyTransport, keyDigest, mgf string
	recipient                             *x509.Certificate
	cipherValue, wrappedKey               []byte
	err                                   error // the structure is not one explain can read
}

func (e *encryption) describe() string {
	s := "content " + e.content + ", key transport " + e.keyTransport
	if e.keyDigest != "" {
		s += " (digest " + e.keyDigest + ")"
	}
	if e.recipient != nil {
		s += ", to " + subject(e.recipient)
	}
	return s
}

// readEncryption reads an EncryptedAssertion: EncryptedData with its key
// in KeyInfo/EncryptedKey (claimgate, AD FS) or beside it in the
// EncryptedAssertion (Shibboleth).
func readEncryption(ea *etree.Element) *encryption {
	e := &encryption{}
	ed := xmlsafe.Child(ea, saml2.NSXMLEnc, "EncryptedData")
	if ed == nil {
		e.err = errors.New("EncryptedAssertion has no xenc:EncryptedData")
		return e
	}
	if m := xmlsafe.Child(ed, saml2.NSXMLEnc, "EncryptionMethod"); m != nil {
		e.content = m.SelectAttrValue("Algorithm", "")
	}
	var ek *etree.Element
	if ki := xmlsafe.Child(ed, xmlsafe.NSDSig, "KeyInfo"); ki != nil {
		ek = xmlsafe.Child(ki, saml2.NSXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		ek = xmlsafe.Child(ea, saml2.NSXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		e.err = errors.New("no xenc:EncryptedKey in the EncryptedData's KeyInfo or beside it")
		return e
	}
	if m := xmlsafe.Child(ek, saml2.NSXMLEnc, "EncryptionMethod"); m != nil {
		e.keyTransport = m.SelectAttrValue("Algorithm", "")
		if d := xmlsafe.Child(m, xmlsafe.NSDSig, "DigestMethod"); d != nil {
			e.keyDigest = d.SelectAttrValue("Algorithm", "")
		}
		for _, c := range m.ChildElements() {
			if c.Tag == "MGF" {
				e.mgf = c.SelectAttrValue("Algorithm", "")
			}
		}
	}
	if ki := xmlsafe.Child(ek, xmlsafe.NSDSig, "KeyInfo"); ki != nil {
		if cs, err := xmlsafe.KeyInfoCerts(ek); err == nil && len(cs) > 0 {
			e.recipient = cs[0]
		}
	}
	var err1, err2 error
	e.wrappedKey, err1 = cipherValue(ek)
	e.cipherValue, err2 = cipherValue(ed)
	e.err = errors.Join(err1, err2)
	return e
}

func cipherValue(el *etree.Element) ([]byte, error) {
	cd := xmlsafe.Child(el, saml2.NSXMLEnc, "CipherData")
	if cd == nil {
		return nil, fmt.Errorf("%s has no CipherData", el.Tag)
	}
	cv := xmlsafe.Child(cd, saml2.NSXMLEnc, "CipherValue")
	if cv == nil {
		return nil, fmt.Errorf("%s has no CipherValue (a CipherReference is not followed)", el.Tag)
	}
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(cv.Text()), ""))
	if err != nil {
		return nil, fmt.Errorf("%s CipherValue: %w", el.Tag, err)
	}
	return b, nil
}

// decrypt unwraps the content key with key and decrypts the assertion.
// RSA PKCS#1 v1.5 key transport is refused: decrypting it on demand is the
// oracle of Bleichenbacher's attack, and no SP should accept it.
func (e *encryption) decrypt(key *rsa.PrivateKey) ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	var opts rsa.OAEPOptions
	switch e.keyTransport {
	case saml2.KeyTransportRSAOAEP, keyRSAOAEP11:
		opts.Hash, opts.MGFHash = crypto.SHA1, crypto.SHA1
		switch e.keyDigest {
		case "", digestSHA1URI:
		case digestSHA256:
			opts.Hash = crypto.SHA256
		default:
			return nil, fmt.Errorf("OAEP digest %s is not supported", e.keyDigest)
		}
		if e.keyTransport == keyRSAOAEP11 && e.mgf == mgf1SHA256 {
			opts.MGFHash = crypto.SHA256
		}
	case keyRSA15:
		return nil, errors.New("key transport rsa-1_5 (RSA PKCS#1 v1.5) is refused: it is open to padding-oracle attacks")
	default:
		return nil, fmt.Errorf("key transport %q is not supported", e.keyTransport)
	}
	// OAEP decryption takes no randomness (the reader is ignored).
	cek, err := key.Decrypt(nil, e.wrappedKey, &opts)
	if err != nil {
		return nil, fmt.Errorf("the content key does not decrypt with this private key (encrypted to another key?): %w", err)
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("content key: %w", err)
	}
	want := map[string]int{saml2.EncMethodAES128CBC: 16, encAES192CBC: 24, saml2.EncMethodAES256CBC: 32, encAES128GCM: 16, saml2.EncMethodAES256GCM: 32}
	n, ok := want[e.content]
	switch {
	case !ok:
		return nil, fmt.Errorf("content encryption %q is not supported", e.content)
	case n != len(cek):
		return nil, fmt.Errorf("content key is %d bytes, %s needs %d", len(cek), e.content, n)
	case e.content == encAES128GCM || e.content == saml2.EncMethodAES256GCM:
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		if len(e.cipherValue) < gcm.NonceSize()+gcm.Overhead() {
			return nil, errors.New("CipherValue is shorter than an IV and a tag")
		}
		iv, ct := e.cipherValue[:gcm.NonceSize()], e.cipherValue[gcm.NonceSize():]
		plain, err := gcm.Open(nil, iv, ct, nil)
		if err != nil {
			return nil, errors.New("AES-GCM authentication failed: the ciphertext was changed")
		}
		return plain, nil
	}
	bs := aes.BlockSize
	if len(e.cipherValue) < 2*bs || len(e.cipherValue)%bs != 0 {
		return nil, errors.New("CBC CipherValue is not an IV and whole blocks")
	}
	plain := make([]byte, len(e.cipherValue)-bs)
	cipher.NewCBCDecrypter(block, e.cipherValue[:bs]).CryptBlocks(plain, e.cipherValue[bs:])
	// xmlenc padding: the last octet counts the padding octets, whose
	// values are arbitrary (not PKCS#7's).
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > bs {
		return nil, errors.New("CBC padding is invalid (wrong key, or the ciphertext was changed)")
	}
	return plain[:len(plain)-pad], nil
}
