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
)

func TestGenerateWriteLoadRoundTrip(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "signing.crt"), filepath.Join(dir, "signing.key")
	if err := WritePEM(kp, certFile, keyFile, false); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]os.FileMode{keyFile: 0o600, certFile: 0o644} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %#o, want %#o", f, fi.Mode().Perm(), want)
		}
	}
	got, err := LoadPEM(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Key.(*rsa.PrivateKey).Equal(kp.Key) || !got.Certificate.Equal(kp.Certificate) {
		t.Fatal("loaded pair differs from the written one")
	}
	c := got.Certificate
	if c.SignatureAlgorithm != x509.SHA256WithRSA || c.KeyUsage != x509.KeyUsageDigitalSignature || c.IsCA {
		t.Errorf("certificate: alg %v usage %v ca %v", c.SignatureAlgorithm, c.KeyUsage, c.IsCA)
	}
	if c.SerialNumber.Sign() <= 0 {
		t.Errorf("serial %v is not positive", c.SerialNumber)
	}
	if got, want := c.NotAfter, fixedNow.Add(DefaultValidFor); !got.Equal(want) {
		t.Errorf("NotAfter %v, want %v", got, want)
	}
	if !c.NotBefore.Before(fixedNow) || c.Subject.CommonName != "test signing" {
		t.Errorf("NotBefore %v CN %q", c.NotBefore, c.Subject.CommonName)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("self-signature: %v", err)
	}
	if n := got.Key.Public().(*rsa.PublicKey).N.BitLen(); n != DefaultBits {
		t.Errorf("key has %d bits", n)
	}
	// An independent parser agrees on what we wrote.
	text := tool(t, "openssl", "x509", "-in", certFile, "-noout", "-text")
	for _, want := range []string{"sha256WithRSAEncryption", "Public-Key: (2048 bit)", "Digital Signature", "CN = test signing"} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl x509 -text lacks %q", want)
		}
	}
	tool(t, "openssl", "pkey", "-in", keyFile, "-check", "-noout")
}

func TestGenerateRejectsWeakAndNegative(t *testing.T) {
	if _, err := Generate(GenerateOptions{Bits: 1024}); err == nil || !strings.Contains(err.Error(), "1024") {
		t.Errorf("1024 bits: %v", err)
	}
	if _, err := Generate(GenerateOptions{ValidFor: -time.Hour}); err == nil {
		t.Error("negative validity accepted")
	}
}

func TestGenerateSerialsDiffer(t *testing.T) {
	a, err := randomSerial(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := randomSerial(rand.Reader)
	if a.Cmp(b) == 0 || a.Sign() <= 0 || a.BitLen() != 127 {
		t.Errorf("serials %v %v", a, b)
	}
}

func TestWritePEMRefusesOverwrite(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	putFile(t, certFile, []byte("old"), 0o644)
	err := WritePEM(kp, certFile, keyFile, false)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Error("key written although the certificate file was refused")
	}
	putFile(t, keyFile, []byte("old"), 0o666)
	if err := WritePEM(kp, certFile, keyFile, true); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(keyFile)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("overwritten key has mode %#o", fi.Mode().Perm())
	}
	if _, err := LoadPEM(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
}

func TestLoadPEMKeyFormats(t *testing.T) {
	kp := mustPair(t)
	rsaKey := kp.Key.(*rsa.PrivateKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	ecCert := selfSigned(t, ecKey, "ec", fixedNow, fixedNow.Add(time.Hour))
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	cases := []struct {
		name string
		key  []byte
		cert []byte
	}{
		{"pkcs1", pemBytes("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), pemBytes("CERTIFICATE", kp.Certificate.Raw)},
		{"pkcs8", pemBytes("PRIVATE KEY", pkcs8), pemBytes("CERTIFICATE", kp.Certificate.Raw)},
		{"sec1 after EC PARAMETERS", append(pemBytes("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}), pemBytes("EC PRIVATE KEY", ecDER)...), pemBytes("CERTIFICATE", ecCert.Raw)},
		{"DER certificate (Windows .cer)", pemBytes("PRIVATE KEY", pkcs8), kp.Certificate.Raw},
		{"chain with the leaf second", pemBytes("PRIVATE KEY", pkcs8), append(pemBytes("CERTIFICATE", ecCert.Raw), pemBytes("CERTIFICATE", kp.Certificate.Raw)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			got, err := LoadPEM(putFile(t, filepath.Join(dir, "c"), tc.cert, 0o644), putFile(t, filepath.Join(dir, "k"), tc.key, 0o600))
			if err != nil {
				t.Fatal(err)
			}
			if got.Certificate.Subject.CommonName == "" {
				t.Error("no certificate")
			}
		})
	}
}

func TestLoadPEMFromOpenSSL(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	tool(t, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=openssl made",
		"-days", "30", "-keyout", keyFile, "-out", certFile)
	os.Chmod(keyFile, 0o600)
	kp, err := LoadPEM(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if kp.Certificate.Subject.CommonName != "openssl made" {
		t.Errorf("CN %q", kp.Certificate.Subject.CommonName)
	}
}

func TestLoadPEMRefusesLoosePermissions(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := WritePEM(kp, certFile, keyFile, false); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		os.Chmod(keyFile, mode)
		_, err := LoadPEM(certFile, keyFile)
		if err == nil {
			t.Fatalf("mode %#o accepted", mode)
		}
		msg := err.Error()
		if !strings.Contains(msg, keyFile) || !strings.Contains(msg, "chmod 600 "+keyFile) || !strings.Contains(msg, "0"+strconvOct(mode)) {
			t.Errorf("mode %#o: message %q lacks file, mode or fix", mode, msg)
		}
	}
	os.Chmod(keyFile, 0o400)
	if _, err := LoadPEM(certFile, keyFile); err != nil {
		t.Errorf("0400 refused: %v", err)
	}
}

func strconvOct(m os.FileMode) string {
	const digits = "01234567"
	p := uint32(m.Perm())
	return string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}

func TestLoadPEMRefusesMismatchedKey(t *testing.T) {
	kp := mustPair(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(other)
	dir := t.TempDir()
	_, err = LoadPEM(putFile(t, filepath.Join(dir, "c"), pemBytes("CERTIFICATE", kp.Certificate.Raw), 0o644),
		putFile(t, filepath.Join(dir, "k"), pemBytes("PRIVATE KEY", der), 0o600))
	if err == nil || !strings.Contains(err.Error(), "does not belong") || !strings.Contains(err.Error(), ThumbprintSHA1(kp.Certificate)) {
		t.Fatalf("got %v", err)
	}
}

func TestLoadPEMClearErrors(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	cert := putFile(t, filepath.Join(dir, "c"), pemBytes("CERTIFICATE", kp.Certificate.Raw), 0o644)
	cases := map[string]struct {
		key  []byte
		want string
	}{
		"encrypted pkcs8": {pemBytes("ENCRYPTED PRIVATE KEY", []byte{1}), "encrypted"},
		"no key":          {pemBytes("CERTIFICATE", kp.Certificate.Raw), "no PEM private key"},
		"garbage":         {pemBytes("PRIVATE KEY", []byte("nope")), "parse PRIVATE KEY"},
	}
	for name, tc := range cases {
		key := putFile(t, filepath.Join(dir, name), tc.key, 0o600)
		if _, err := LoadPEM(cert, key); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", name, err, tc.want)
		}
	}
	if _, err := LoadPEM(cert, filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing key: %v", err)
	}
}

func TestLoadCertificate(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{"der": kp.Certificate.Raw, "pem": pemBytes("CERTIFICATE", kp.Certificate.Raw)} {
		c, err := LoadCertificate(putFile(t, filepath.Join(dir, name), data, 0o644))
		if err != nil || !c.Equal(kp.Certificate) {
			t.Errorf("%s: %v", name, err)
		}
	}
	two := append(pemBytes("CERTIFICATE", kp.Certificate.Raw), pemBytes("CERTIFICATE", kp.Certificate.Raw)...)
	if _, err := LoadCertificate(putFile(t, filepath.Join(dir, "two"), two, 0o644)); err == nil || !strings.Contains(err.Error(), "2 certificates") {
		t.Errorf("two certificates: %v", err)
	}
}
