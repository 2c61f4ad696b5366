package mfa

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParsePSKC feeds arbitrary documents (seeded with the RFC examples)
// to the importer: it must never panic, and whatever it accepts must be
// an OATH key with usable parameters.
func FuzzParsePSKC(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pskc", "*.pskcxml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(pskcTOTP))
	psk := []byte("\x12\x34\x56\x78\x90\x12\x34\x56\x78\x90\x12\x34\x56\x78\x90\x12")
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParsePSKC(bytes.NewReader(data), PSKCOptions{PreSharedKey: psk, Password: "qwerty"})
		if err != nil {
			return
		}
		for _, k := range keys {
			if k.Algorithm != "hotp" && k.Algorithm != "totp" {
				t.Fatalf("algorithm %q", k.Algorithm)
			}
			if len(k.Secret) == 0 {
				t.Fatal("empty secret accepted")
			}
			if _, err := k.Params().Normalized(); err != nil {
				t.Fatalf("unusable params: %v", err)
			}
		}
	})
}

// FuzzNormalizeCode checks that no input panics, that an accepted code is
// exactly `digits` ASCII digits, and that verification agrees with it.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "12345", "１２３４５６", "123-456", "\x00\xff", "12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, digits := range []int{6, 8} {
			c, err := NormalizeCode(s, digits)
			if err != nil {
				continue
			}
			if len(c) != digits {
				t.Fatalf("%q -> %q: wrong length", s, c)
			}
			for i := 0; i < len(c); i++ {
				if c[i] < '0' || c[i] > '9' {
					t.Fatalf("%q -> %q: non-digit", s, c)
				}
			}
		}
		now := time.Unix(1_800_000_000, 0)
		if _, ok := VerifyTOTP(rfcKey20, s, now, OATHParams{}, 1, -1); ok {
			if _, err := NormalizeCode(s, 6); err != nil {
				t.Fatalf("%q verified but does not normalise", s)
			}
		}
	})
}
