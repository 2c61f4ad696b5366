// Package pkcs1 is what the signers that do not use crypto/rsa share: the
// options they accept and the DigestInfo encoding of RSASSA-PKCS1-v1_5
// (RFC 8017 §9.2), so that the openssl and pkcs11 signers refuse the same
// requests with the same words and crypto/rsa stays the reference.
package pkcs1

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
)

// digestInfoPrefix is the DER of DigestInfo{AlgorithmIdentifier{oid, NULL},
// OCTET STRING header} for each hash claimgate signs with (RFC 8017 §9.2,
// note 1); the digest follows it.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
}

// Hash returns the hash opts names, after checking that an
// RSASSA-PKCS1-v1_5 signature of digest with it is one claimgate makes:
// SHA-256 or SHA-1 (what sts/xmlsig signs with), a digest of that hash's
// size, and not RSA-PSS.
func Hash(digest []byte, opts crypto.SignerOpts) (crypto.Hash, error) {
	if opts == nil {
		return 0, errors.New("no hash given: sign a SHA-256 or SHA-1 digest")
	}
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return 0, errors.New("RSA-PSS is not supported: claimgate signs with RSASSA-PKCS1-v1_5 (rsa-sha256, rsa-sha1)")
	}
	h := opts.HashFunc()
	if _, ok := digestInfoPrefix[h]; !ok {
		return 0, fmt.Errorf("hash %v is not supported: only SHA-256 and SHA-1", h)
	}
	if len(digest) != h.Size() {
		return 0, fmt.Errorf("the digest is %d bytes, but a %v digest is %d", len(digest), h, h.Size())
	}
	return h, nil
}

// DigestInfo returns the DER DigestInfo of digest made with h, which Hash
// has accepted: the input of a raw RSASSA-PKCS1-v1_5 (CKM_RSA_PKCS)
// signature.
func DigestInfo(h crypto.Hash, digest []byte) []byte {
	p := digestInfoPrefix[h]
	out := make([]byte, 0, len(p)+len(digest))
	return append(append(out, p...), digest...)
}
