package saml2

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // OAEP's digest and MGF, not a signature
	"encoding/base64"
	"fmt"
	"io"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// XML Encryption algorithm URIs.
const (
	EncMethodAES256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
	EncMethodAES128CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	EncMethodAES256CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	// KeyTransportRSAOAEP is RSA-OAEP with SHA-1 digest and MGF1-SHA1,
	// the key transport every SAML SP decrypts (and the one xmlsec1 1.2,
	// the independent check in the tests, implements). xmlenc11#rsa-oaep
	// with a SHA-256 digest is not offered until it can be checked the
	// same way.
	KeyTransportRSAOAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
	digestSHA1          = "http://www.w3.org/2000/09/xmldsig#sha1"
	typeElement         = "http://www.w3.org/2001/04/xmlenc#Element"
)

// encryptAssertion wraps the signed assertion bytes in a
// saml:EncryptedAssertion for sp (core §2.3.4, xmlenc-core): a fresh
// content key encrypts the bytes, the SP's RSA key encrypts the content
// key. The signature inside stays valid: the SP decrypts to exactly these
// bytes.
func (p *IdP) encryptAssertion(signed []byte, sp *SP) (*etree.Element, error) {
	pub, ok := sp.EncryptionCert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("saml2: encryption certificate of %s has no RSA key", sp.EntityID)
	}
	method, cipherValue, key, err := p.encryptContent(signed, sp.EncryptionMethod)
	if err != nil {
		return nil, err
	}
	wrapped, err := rsa.EncryptOAEP(sha1.New(), p.cfg.Rand, pub, key, nil)
	if err != nil {
		return nil, fmt.Errorf("saml2: wrapping the content key: %w", err)
	}

	ea := etree.NewElement("saml:EncryptedAssertion")
	ea.CreateAttr("xmlns:saml", NSAssertion)
	ed := ea.CreateElement("xenc:EncryptedData")
	ed.CreateAttr("xmlns:xenc", NSXMLEnc)
	ed.CreateAttr("Type", typeElement)
	ed.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", method)
	ki := ed.CreateElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", xmlsafe.NSDSig)
	ek := ki.CreateElement("xenc:EncryptedKey")
	em := ek.CreateElement("xenc:EncryptionMethod")
	em.CreateAttr("Algorithm", KeyTransportRSAOAEP)
	em.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", digestSHA1)
	// The SP's certificate names the key it must use: AD FS and
	// Shibboleth pick their decryption key by it during a rollover.
	eki := ek.CreateElement("ds:KeyInfo")
	eki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(sp.EncryptionCert.Raw))
	ek.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(wrapped))
	ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(cipherValue))
	return ea, nil
}

// encryptContent encrypts b with a fresh key from the IdP's random
// source and returns the method URI, the CipherValue octets and the key.
//   - AES-256-GCM (xmlenc11 §5.2.4): 96-bit IV ‖ ciphertext ‖ 128-bit tag;
//   - AES-128-CBC and AES-256-CBC (xmlenc-core §5.2.1): 128-bit IV ‖
//     ciphertext, padded so that the last octet counts the padding
//     (PKCS#7 satisfies that).
func (p *IdP) encryptContent(b []byte, method string) (string, []byte, []byte, error) {
	uri, keyLen, ok := encryptionURI(method)
	if !ok {
		return "", nil, nil, fmt.Errorf("saml2: encryption method %q is not supported", method)
	}
	key := make([]byte, keyLen)
	if _, err := io.ReadFull(p.cfg.Rand, key); err != nil {
		return "", nil, nil, fmt.Errorf("saml2: random source: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", nil, nil, err
	}
	if uri == EncMethodAES256GCM {
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return "", nil, nil, err
		}
		iv := make([]byte, gcm.NonceSize())
		if _, err := io.ReadFull(p.cfg.Rand, iv); err != nil {
			return "", nil, nil, fmt.Errorf("saml2: random source: %w", err)
		}
		return uri, gcm.Seal(iv, iv, b, nil), key, nil
	}
	iv := make([]byte, aes.BlockSize)
	if _, err := io.ReadFull(p.cfg.Rand, iv); err != nil {
		return "", nil, nil, fmt.Errorf("saml2: random source: %w", err)
	}
	pad := aes.BlockSize - len(b)%aes.BlockSize
	plain := append(append([]byte{}, b...), make([]byte, pad)...)
	for i := len(b); i < len(plain); i++ {
		plain[i] = byte(pad)
	}
	out := make([]byte, aes.BlockSize+len(plain))
	copy(out, iv)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out[aes.BlockSize:], plain)
	return uri, out, key, nil
}
