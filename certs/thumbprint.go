package certs

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
)

// ThumbprintSHA1 returns the SHA-1 digest of the certificate's DER bytes in
// upper-case hex without separators, as AD FS shows certificate thumbprints.
// SHA-1 is used here only as a name, which is what AD FS keys trusts by.
func ThumbprintSHA1(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// ThumbprintSHA256 is ThumbprintSHA1 with SHA-256.
func ThumbprintSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
