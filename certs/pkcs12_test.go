package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func TestPKCS12RoundTripGoEncoders(t *testing.T) {
	kp := mustPair(t)
	ca, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caCert := selfSigned(t, ca, "some CA", fixedNow, fixedNow.Add(time.Hour))
	for name, enc := range map[string]*pkcs12.Encoder{"Modern2023": pkcs12.Modern2023, "LegacyDES": pkcs12.LegacyDES, "LegacyRC2": pkcs12.LegacyRC2} {
		t.Run(name, func(t *testing.T) {
			pfx, err := enc.Encode(kp.Key, kp.Certificate, []*x509.Certificate{caCert}, "s3cret pässword")
			if err != nil {
				t.Fatal(err)
			}
			file := putFile(t, tmp(t, "signing.pfx"), pfx, 0o600)
			got, err := LoadPKCS12(file, "s3cret pässword")
			if err != nil {
				t.Fatal(err)
			}
			if !got.Certificate.Equal(kp.Certificate) || !got.Key.(*rsa.PrivateKey).Equal(kp.Key) {
				t.Fatal("loaded pair differs")
			}
			_, err = LoadPKCS12(file, "wrong")
			if err == nil || !strings.Contains(err.Error(), "password is wrong") || !strings.Contains(err.Error(), file) {
				t.Errorf("wrong password: %v", err)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong\"") {
				t.Errorf("password leaked into %q", err)
			}
		})
	}
}

// TestPKCS12FromOpenSSL reads .pfx files made the way administrators make
// them: openssl's default (AES-256, as Windows Server 2019+ "stronger"
// exports) and the 3DES/SHA-1 profile older Windows servers export, with
// the CA certificate placed before the leaf.
func TestPKCS12FromOpenSSL(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := WritePEM(kp, certFile, keyFile, false); err != nil {
		t.Fatal(err)
	}
	ca, _ := rsa.GenerateKey(rand.Reader, 2048)
	caFile := putFile(t, filepath.Join(dir, "ca.pem"), pemBytes("CERTIFICATE", selfSigned(t, ca, "CA", fixedNow, fixedNow.Add(time.Hour)).Raw), 0o644)
	profiles := map[string][]string{
		"default": nil,
		"3des":    {"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"},
	}
	for name, extra := range profiles {
		t.Run(name, func(t *testing.T) {
			pfx := filepath.Join(dir, name+".pfx")
			args := append([]string{"pkcs12", "-export", "-in", certFile, "-inkey", keyFile, "-certfile", caFile,
				"-name", "claimgate", "-passout", "pass:Adm1n!", "-out", pfx}, extra...)
			tool(t, "openssl", args...)
			os.Chmod(pfx, 0o600)
			got, err := LoadPKCS12(pfx, "Adm1n!")
			if err != nil {
				t.Fatal(err)
			}
			if !got.Certificate.Equal(kp.Certificate) {
				t.Errorf("picked %q, not the key's certificate", got.Certificate.Subject.CommonName)
			}
			if _, err := LoadPKCS12(pfx, "adm1n!"); err == nil || !strings.Contains(err.Error(), "password is wrong") {
				t.Errorf("wrong password: %v", err)
			}
		})
	}
}

func TestPKCS12RefusesLoosePermissions(t *testing.T) {
	kp := mustPair(t)
	pfx, err := pkcs12.Modern2023.Encode(kp.Key, kp.Certificate, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	file := putFile(t, tmp(t, "loose.pfx"), pfx, 0o644)
	_, err = LoadPKCS12(file, "pw")
	if err == nil || !strings.Contains(err.Error(), "0644") || !strings.Contains(err.Error(), "chmod 600 "+file) {
		t.Fatalf("got %v", err)
	}
}

func TestPKCS12NotAPFX(t *testing.T) {
	file := putFile(t, tmp(t, "x.pfx"), []byte("not a pfx"), 0o600)
	if _, err := LoadPKCS12(file, "pw"); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("got %v", err)
	}
}
