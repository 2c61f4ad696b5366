package mfa

import (
	"bytes"
	"image/png"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestNewSecret(t *testing.T) {
	s, err := NewSecret(nil, 0)
	if err != nil || len(s) != DefaultSecretSize {
		t.Fatalf("NewSecret = %d bytes, %v", len(s), err)
	}
	s2, _ := NewSecret(nil, 0)
	if bytes.Equal(s, s2) {
		t.Error("two secrets are equal")
	}
	fixed := bytes.NewReader(bytes.Repeat([]byte{7}, 32))
	if s, err := NewSecret(fixed, 32); err != nil || !bytes.Equal(s, bytes.Repeat([]byte{7}, 32)) {
		t.Errorf("injected randomness not used: %x %v", s, err)
	}
	if _, err := NewSecret(nil, 10); err == nil {
		t.Error("80-bit secret accepted")
	}
	if _, err := NewSecret(bytes.NewReader([]byte{1, 2}), 20); err == nil {
		t.Error("short randomness not reported")
	}
}

func TestBase32(t *testing.T) {
	secret := []byte("12345678901234567890")
	enc := EncodeBase32(secret)
	if enc != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Errorf("EncodeBase32 = %s", enc)
	}
	for _, in := range []string{enc, strings.ToLower(enc), "gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "GEZDGNBVGY3TQOJQ-GEZDGNBVGY3TQOJQ"} {
		got, err := DecodeBase32(in)
		if err != nil || !bytes.Equal(got, secret) {
			t.Errorf("DecodeBase32(%q) = %q, %v", in, got, err)
		}
	}
	// Unpadded lengths that are not a multiple of 8 characters.
	if got, err := DecodeBase32("JBSWY3DPEHPK3PXP"); err != nil || string(got) != "Hello!\xde\xad\xbe\xef" {
		t.Errorf("DecodeBase32 = %q, %v", got, err)
	}
	if got, err := DecodeBase32("MFRGG"); err != nil || string(got) != "abc" {
		t.Errorf("DecodeBase32(MFRGG) = %q, %v", got, err)
	}
	for _, bad := range []string{"", "   ", "GEZ1", "GEZDGNBV!"} {
		if _, err := DecodeBase32(bad); err == nil {
			t.Errorf("DecodeBase32(%q) accepted", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error repeats the secret: %v", err)
		}
	}
}

func TestKeyURI(t *testing.T) {
	secret := []byte("12345678901234567890")
	got := KeyURI("ACME Co", "alice@example.test", secret, OATHParams{})
	want := "otpauth://totp/ACME%20Co:alice@example.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Errorf("KeyURI =\n%s\nwant\n%s", got, want)
	}
	// Awkward characters survive a parse and the label still splits at one colon.
	u, err := url.Parse(KeyURI("A&B: Corp/?#", "bob:x y+z", secret, OATHParams{Algorithm: "sha512", Digits: 8, Period: time.Minute}))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("issuer") != "A&B: Corp/?#" || q.Get("algorithm") != "SHA512" || q.Get("digits") != "8" || q.Get("period") != "60" {
		t.Errorf("query = %v", q)
	}
	label := strings.TrimPrefix(u.Path, "/")
	parts := strings.Split(u.EscapedPath()[1:], ":")
	if u.Scheme != "otpauth" || u.Host != "totp" || len(parts) != 2 || label != "A&B: Corp/?#:bob:x y+z" {
		t.Errorf("label = %q (escaped %q)", label, u.EscapedPath())
	}
	if s, err := DecodeBase32(q.Get("secret")); err != nil || !bytes.Equal(s, secret) {
		t.Errorf("secret round trip: %v", err)
	}
}

func TestQRPNG(t *testing.T) {
	content := KeyURI("claimgate", "alice@example.test", []byte("12345678901234567890"), OATHParams{})
	b, err := QRPNG(content, 256)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("not a PNG")
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w > 256 || w < 128 {
		t.Errorf("width %d for size 256", w)
	}
	if _, err := QRPNG("", 256); err == nil {
		t.Error("empty content accepted")
	}
	if _, err := QRPNG(strings.Repeat("x", 5000), 256); err == nil {
		t.Error("oversized content accepted")
	}
	// zbarimg (Debian zbar-tools) is an independent decoder. It is optional:
	// the PNG checks above stand alone when it is missing.
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Log("zbarimg not installed; QR content not decoded")
		return
	}
	cmd := exec.Command(zbar, "--quiet", "--raw", "-")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != content {
		t.Errorf("zbarimg decoded %q, want %q", got, content)
	}
}
