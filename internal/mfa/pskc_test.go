package mfa

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openPSKC(t *testing.T, name string, opts PSKCOptions) ([]PSKCKey, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "pskc", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ParsePSKC(f, opts)
}

func rfcPSK(t *testing.T) []byte {
	k, err := hex.DecodeString("12345678901234567890123456789012")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParsePSKCRFC6030Examples(t *testing.T) {
	tests := []struct {
		file string
		opts PSKCOptions
		want PSKCKey
	}{
		{"figure2.pskcxml", PSKCOptions{}, PSKCKey{ID: "12345678", Issuer: "Issuer-A", Algorithm: "hotp", Hash: "SHA1", Secret: []byte("1234"), Digits: 6}},
		{"figure3.pskcxml", PSKCOptions{}, PSKCKey{ID: "12345678", SerialNo: "987654321", Manufacturer: "Manufacturer",
			UserID: "UID=jsmith,DC=example-bank,DC=net", Issuer: "Issuer", Algorithm: "hotp", Hash: "SHA1", Secret: rfcKey20, Digits: 8}},
		{"figure5.pskcxml", PSKCOptions{PreSharedKey: rfcPSK(t)}, PSKCKey{ID: "12345678", SerialNo: "987654321", Manufacturer: "Manufacturer",
			Issuer: "Issuer", Algorithm: "hotp", Hash: "SHA1", Secret: rfcKey20, Digits: 8}},
		{"figure7.pskcxml", PSKCOptions{Password: "qwerty"}, PSKCKey{ID: "123456", SerialNo: "987654321", Manufacturer: "TokenVendorAcme",
			Issuer: "Example-Issuer", Algorithm: "hotp", Hash: "SHA1", Secret: rfcKey20, Digits: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			keys, err := openPSKC(t, tc.file, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys", len(keys))
			}
			k := keys[0]
			if !bytes.Equal(k.Secret, tc.want.Secret) {
				t.Errorf("secret %x, want %x", k.Secret, tc.want.Secret)
			}
			if !equalKey(k, tc.want) {
				t.Errorf("key = %+v\nwant  %+v", k, tc.want)
			}
		})
	}
	// The imported seed produces the RFC 4226 codes (8 digits: the
	// truncated values of Appendix D modulo 10^8).
	keys, _ := openPSKC(t, "figure5.pskcxml", PSKCOptions{PreSharedKey: rfcPSK(t)})
	if got := HOTP(keys[0].Secret, 0, keys[0].Params()); got != "84755224" {
		t.Errorf("HOTP of imported key = %s", got)
	}
}

func equalKey(a, b PSKCKey) bool {
	a.Secret, b.Secret = nil, nil
	return a.ID == b.ID && a.SerialNo == b.SerialNo && a.Manufacturer == b.Manufacturer && a.Model == b.Model &&
		a.UserID == b.UserID && a.Issuer == b.Issuer && a.Algorithm == b.Algorithm && a.Hash == b.Hash &&
		a.Digits == b.Digits && a.Counter == b.Counter && a.Period == b.Period
}

func TestParsePSKCEncryptedNeedsTheRightKey(t *testing.T) {
	cases := []struct {
		file, want string
		opts       PSKCOptions
	}{
		{"figure5.pskcxml", "pre-shared key", PSKCOptions{}},
		{"figure5.pskcxml", "wrong key or tampered file", PSKCOptions{PreSharedKey: bytes.Repeat([]byte{1}, 16)}},
		{"figure5.pskcxml", "needs 16", PSKCOptions{PreSharedKey: []byte("short")}},
		{"figure7.pskcxml", "password", PSKCOptions{}},
		{"figure7.pskcxml", "wrong key or tampered file", PSKCOptions{Password: "qwertz"}},
		{"tampered-figure5.pskcxml", "ValueMAC mismatch", PSKCOptions{PreSharedKey: rfcPSK(t)}},
		{"doctype.pskcxml", "DOCTYPE", PSKCOptions{}},
	}
	for _, c := range cases {
		_, err := openPSKC(t, c.file, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.file, err, c.want)
		}
	}
}

const pskcTOTP = `<?xml version="1.0"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>T-1</SerialNo><Model>c200</Model></DeviceInfo>
    <Key Id="t1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><Suite>HMAC-SHA256</Suite><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=</PlainValue></Secret>
        <Time><PlainValue>0</PlainValue></Time>
        <TimeInterval><PlainValue>60</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>
  <KeyPackage>
    <Key Id="h2" Algorithm="http://www.ietf.org/keyprov/pskc#hotp">
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
        <Counter><PlainValue>42</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>`

func TestParsePSKCTOTPAndCounter(t *testing.T) {
	keys, err := ParsePSKC(strings.NewReader(pskcTOTP), PSKCOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := PSKCKey{ID: "t1", SerialNo: "T-1", Manufacturer: "Acme", Model: "c200", Algorithm: "totp", Hash: "SHA256", Digits: 6, Period: time.Minute}
	if len(keys) != 2 || !equalKey(keys[0], want) || string(keys[0].Secret) != "12345678901234567890123456789012" {
		t.Fatalf("keys = %+v", keys)
	}
	if keys[1].Algorithm != "hotp" || keys[1].Counter != 42 || keys[1].Digits != 6 {
		t.Errorf("hotp key = %+v", keys[1])
	}
	if p := keys[0].Params(); p.Algorithm != "SHA256" || p.Period != time.Minute {
		t.Errorf("params = %+v", p)
	}
}

func TestParsePSKCRejects(t *testing.T) {
	big := strings.Repeat(" ", MaxPSKCSize+1)
	for name, doc := range map[string]string{
		"oversized":    big,
		"not xml":      "hello",
		"wrong ns":     `<KeyContainer Version="1.0" xmlns="urn:other"><KeyPackage/></KeyContainer>`,
		"version":      `<KeyContainer Version="2.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage/></KeyContainer>`,
		"no packages":  `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>`,
		"no key":       `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage/></KeyContainer>`,
		"pin":          strings.Replace(pskcTOTP, "pskc:totp", "pskc:pin", 1),
		"7 digits":     strings.Replace(pskcTOTP, `Length="6"`, `Length="7"`, 1),
		"hex encoding": strings.Replace(pskcTOTP, `"DECIMAL"`, `"HEXADECIMAL"`, 1),
		"bad base64":   strings.Replace(pskcTOTP, "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=", "!!", 1),
		"bad counter":  strings.Replace(pskcTOTP, ">42<", ">-1<", 1),
		"period 45":    strings.Replace(pskcTOTP, ">60<", ">45<", 1),
		"md5 suite":    strings.Replace(pskcTOTP, "HMAC-SHA256", "HMAC-MD5", 1),
		"trailing":     pskcTOTP + "<x/>",
		"entity":       `<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><KeyContainer/>`,
	} {
		if _, err := ParsePSKC(strings.NewReader(doc), PSKCOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The error names the failing key.
	_, err := ParsePSKC(strings.NewReader(strings.Replace(pskcTOTP, ">42<", ">x<", 1)), PSKCOptions{})
	if err == nil || !strings.Contains(err.Error(), "KeyPackage[1]") {
		t.Errorf("err = %v, want the package index", err)
	}
}

func BenchmarkParsePSKCPBKDF2(b *testing.B) {
	data, err := os.ReadFile("testdata/pskc/figure7.pskcxml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ParsePSKC(bytes.NewReader(data), PSKCOptions{Password: "qwerty"}); err != nil {
			b.Fatal(err)
		}
	}
}
