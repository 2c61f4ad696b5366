package pkcs1

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"math/big"
	"strings"
	"testing"
)

// TestDigestInfoMatchesCryptoRSA rebuilds the encoded message of a
// crypto/rsa signature by raising it to e: its tail must be our
// DigestInfo, for each hash, so the prefixes are the ones crypto/rsa uses.
func TestDigestInfoMatchesCryptoRSA(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s1, s256 := sha1.Sum([]byte("x")), sha256.Sum256([]byte("x"))
	for h, d := range map[crypto.Hash][]byte{crypto.SHA1: s1[:], crypto.SHA256: s256[:]} {
		sig, err := rsa.SignPKCS1v15(nil, k, h, d)
		if err != nil {
			t.Fatal(err)
		}
		em := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(k.E)), k.N).Bytes()
		if want := DigestInfo(h, d); !bytes.HasSuffix(em, want) || em[len(em)-len(want)-1] != 0 {
			t.Errorf("%v: encoded message %x does not end in 00 || %x", h, em, want)
		}
	}
}

func TestHashRefuses(t *testing.T) {
	d32 := make([]byte, 32)
	for _, c := range []struct {
		name   string
		digest []byte
		opts   crypto.SignerOpts
		want   string
	}{
		{"nil opts", d32, nil, "no hash"},
		{"pss", d32, &rsa.PSSOptions{Hash: crypto.SHA256}, "RSA-PSS is not supported"},
		{"sha512", make([]byte, 64), crypto.SHA512, "only SHA-256 and SHA-1"},
		{"unhashed", []byte("message"), crypto.Hash(0), "not supported"},
		{"short", d32[:31], crypto.SHA256, "31 bytes"},
		{"sha1 size", d32, crypto.SHA1, "SHA-1 digest is 20"},
	} {
		if _, err := Hash(c.digest, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if h, err := Hash(d32, crypto.SHA256); err != nil || h != crypto.SHA256 {
		t.Errorf("sha256: %v %v", h, err)
	}
	if h, err := Hash(d32[:20], crypto.SHA1); err != nil || h != crypto.SHA1 {
		t.Errorf("sha1: %v %v", h, err)
	}
}
