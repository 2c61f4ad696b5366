// Package signertest is the contract every signer kind (go, openssl,
// pkcs11) is held to, written once: each kind's tests open a signer for a
// key and call Run with the same key in memory, and crypto/rsa is the
// reference. PKCS#1 v1.5 signatures are deterministic, so "the same as
// crypto/rsa" means the same bytes, not merely "verifies".
//
// Only _test files import it.
package signertest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	mrand "math/rand/v2"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// How many digests the suite signs. Enough to hit leading-zero
// signatures now and then (1 in 256 has one), few enough for -race.
const (
	sha256Digests = 48
	sha1Digests   = 16
	goroutines    = 8
	perGoroutine  = 6
)

// KeyPair makes a fresh RSA-2048 key and a self-signed certificate for it.
func KeyPair(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	kp, err := certs.Generate(certs.GenerateOptions{CommonName: "signertest"})
	if err != nil {
		t.Fatal(err)
	}
	return kp.Key.(*rsa.PrivateKey), kp.Certificate
}

// digests returns n pseudo-random digests of h's size from a fixed seed,
// so a failure names a digest that can be reproduced.
func digests(h crypto.Hash, n int, seed uint64) [][]byte {
	r := mrand.New(mrand.NewPCG(seed, uint64(h)))
	out := make([][]byte, n)
	for i := range out {
		d := make([]byte, h.Size())
		for j := range d {
			d[j] = byte(r.Uint32())
		}
		out[i] = d
	}
	return out
}

// Run checks s against ref, the same private key in memory, and cert, its
// certificate: the public key, byte-identical signatures over SHA-256 and
// SHA-1 digests that verify with the certificate, refusal of a digest of
// the wrong size, the same under concurrent use (run it with -race), and
// that sts/xmlsig signs a document to the same bytes with s as with ref.
func Run(t *testing.T, s crypto.Signer, ref *rsa.PrivateKey, cert *x509.Certificate) {
	t.Helper()
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("certificate key is %T", cert.PublicKey)
	}
	want := func(t *testing.T, h crypto.Hash, d []byte) []byte {
		t.Helper()
		sig, err := rsa.SignPKCS1v15(nil, ref, h, d)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	t.Run("public key", func(t *testing.T) {
		if p, ok := s.Public().(*rsa.PublicKey); !ok || !p.Equal(pub) {
			t.Errorf("Public() = %T, not the certificate's key", s.Public())
		}
	})
	t.Run("same bytes as crypto/rsa", func(t *testing.T) {
		for _, c := range []struct {
			h crypto.Hash
			n int
		}{{crypto.SHA256, sha256Digests}, {crypto.SHA1, sha1Digests}} {
			for i, d := range digests(c.h, c.n, 1) {
				got, err := s.Sign(rand.Reader, d, c.h)
				if err != nil {
					t.Fatalf("%v digest %d (%x): %v", c.h, i, d, err)
				}
				if w := want(t, c.h, d); !bytes.Equal(got, w) {
					t.Errorf("%v digest %d (%x): signature differs from crypto/rsa's\n got %x\nwant %x", c.h, i, d, got, w)
				}
				if err := rsa.VerifyPKCS1v15(pub, c.h, d, got); err != nil {
					t.Errorf("%v digest %d: does not verify with the certificate: %v", c.h, i, err)
				}
			}
		}
	})
	t.Run("refuses a digest of the wrong size", func(t *testing.T) {
		for _, c := range []struct {
			h crypto.Hash
			n int
		}{{crypto.SHA256, 31}, {crypto.SHA256, 20}, {crypto.SHA1, 32}} {
			if sig, err := s.Sign(rand.Reader, make([]byte, c.n), c.h); err == nil {
				t.Errorf("%v over %d bytes: signed (%d bytes), want an error", c.h, c.n, len(sig))
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		type job struct {
			h         crypto.Hash
			d, wanted []byte
		}
		jobs := make([]job, goroutines*perGoroutine)
		for i, d := range digests(crypto.SHA256, len(jobs), 2) {
			j := job{h: crypto.SHA256, d: d}
			if i%3 == 0 { // mix in SHA-1, which has contexts of its own
				j.h, j.d = crypto.SHA1, d[:20]
			}
			j.wanted = want(t, j.h, j.d)
			jobs[i] = j
		}
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := g * perGoroutine; i < (g+1)*perGoroutine; i++ {
					got, err := s.Sign(rand.Reader, jobs[i].d, jobs[i].h)
					if err != nil {
						t.Errorf("goroutine %d, digest %d: %v", g, i, err)
						return
					}
					if !bytes.Equal(got, jobs[i].wanted) {
						t.Errorf("goroutine %d, digest %d (%v): signature differs from crypto/rsa's", g, i, jobs[i].h)
					}
				}
			})
		}
		wg.Wait()
	})
	t.Run("xmlsig signs the same document", func(t *testing.T) {
		l := xmlsig.Layout{Name: "doc", IDAttr: "ID", Place: xmlsig.PlaceLast}
		ours, err := xmlsig.NewSigner(s, cert, l)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := xmlsig.NewSigner(ref, cert, l)
		if err != nil {
			t.Fatal(err)
		}
		el := etree.NewElement("t:Doc")
		el.CreateAttr("xmlns:t", "urn:test")
		el.CreateAttr("ID", "_d1")
		el.CreateElement("t:A").SetText("claimgate")
		for _, alg := range []string{xmlsig.AlgRSASHA256, xmlsig.AlgRSASHA1} {
			got, err := ours.Sign(el, alg)
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			w, err := theirs.Sign(el, alg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, w) {
				t.Errorf("%s: signed document differs from crypto/rsa's:\n%s\n%s", alg, got, w)
			}
		}
	})
}

// Benchmark signs SHA-256 digests with s in b's loop and returns the
// signatures per second, which it also reports as "sign/s".
func Benchmark(b *testing.B, s crypto.Signer) float64 {
	b.Helper()
	d := digests(crypto.SHA256, 1, 3)[0]
	for b.Loop() {
		if _, err := s.Sign(rand.Reader, d, crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "sign/s")
	return rate
}
