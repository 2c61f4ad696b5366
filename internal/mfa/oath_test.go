package mfa

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// RFC 4226 Appendix D: secret "12345678901234567890", counts 0..9, with
// the intermediate HMAC-SHA-1 value, the truncated decimal and the HOTP.
var rfc4226 = []struct {
	hmacHex string
	trunc   uint32
	hotp    string
}{
	{"cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"},
	{"75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"},
	{"0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"},
	{"66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"},
	{"a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"},
	{"a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"},
	{"bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"},
	{"a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"},
	{"1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"},
	{"1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"},
}

var rfcKey20 = []byte("12345678901234567890")

func TestHOTPRFC4226AppendixD(t *testing.T) {
	for count, v := range rfc4226 {
		m := hmac.New(sha1.New, rfcKey20)
		var msg [8]byte
		binary.BigEndian.PutUint64(msg[:], uint64(count))
		m.Write(msg[:])
		sum := m.Sum(nil)
		if got := hex.EncodeToString(sum); got != v.hmacHex {
			t.Errorf("count %d: HMAC %s, want %s", count, got, v.hmacHex)
		}
		if got := truncate(sum); got != v.trunc {
			t.Errorf("count %d: truncated %d, want %d", count, got, v.trunc)
		}
		if got := HOTP(rfcKey20, uint64(count), OATHParams{}); got != v.hotp {
			t.Errorf("count %d: HOTP %s, want %s", count, got, v.hotp)
		}
	}
}

// RFC 6238 Appendix B: 8-digit TOTP, 30 s step, T0 = 0, one seed per hash.
func TestTOTPRFC6238AppendixB(t *testing.T) {
	seeds := map[string][]byte{
		"SHA1":   rfcKey20,
		"SHA256": []byte("12345678901234567890123456789012"),
		"SHA512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	vectors := []struct {
		unix  int64
		step  string
		codes map[string]string
	}{
		{59, "0000000000000001", map[string]string{"SHA1": "94287082", "SHA256": "46119246", "SHA512": "90693936"}},
		{1111111109, "00000000023523EC", map[string]string{"SHA1": "07081804", "SHA256": "68084774", "SHA512": "25091201"}},
		{1111111111, "00000000023523ED", map[string]string{"SHA1": "14050471", "SHA256": "67062674", "SHA512": "99943326"}},
		{1234567890, "000000000273EF07", map[string]string{"SHA1": "89005924", "SHA256": "91819424", "SHA512": "93441116"}},
		{2000000000, "0000000003F940AA", map[string]string{"SHA1": "69279037", "SHA256": "90698825", "SHA512": "38618901"}},
		{20000000000, "0000000027BC86AA", map[string]string{"SHA1": "65353130", "SHA256": "77737706", "SHA512": "47863826"}},
	}
	for _, v := range vectors {
		tm := time.Unix(v.unix, 0).UTC()
		for alg, want := range v.codes {
			p := OATHParams{Algorithm: alg, Digits: 8, Period: 30 * time.Second}
			if got := fmt.Sprintf("%016X", TimeStep(tm, p)); got != v.step {
				t.Errorf("%d: step %s, want %s", v.unix, got, v.step)
			}
			if got := TOTPAt(seeds[alg], tm, p); got != want {
				t.Errorf("%d %s: TOTP %s, want %s", v.unix, alg, got, want)
			}
			step, ok := VerifyTOTP(seeds[alg], want, tm, p, 1, -1)
			if !ok || step != TimeStep(tm, p) {
				t.Errorf("%d %s: VerifyTOTP = %d, %v", v.unix, alg, step, ok)
			}
		}
	}
}

func TestOATHParamsRejectsUnsupported(t *testing.T) {
	for _, p := range []OATHParams{
		{Algorithm: "MD5"}, {Digits: 7}, {Digits: 10}, {Period: 45 * time.Second},
	} {
		if _, err := p.Normalized(); err == nil {
			t.Errorf("%+v accepted", p)
		}
		if HOTP(rfcKey20, 0, p) != "" || TOTPAt(rfcKey20, time.Unix(59, 0), p) != "" {
			t.Errorf("%+v produced a code", p)
		}
		if _, ok := VerifyTOTP(rfcKey20, "287082", time.Unix(59, 0), p, 1, -1); ok {
			t.Errorf("%+v verified", p)
		}
	}
	p, err := OATHParams{Algorithm: "sha256"}.Normalized()
	if err != nil || p != (OATHParams{"SHA256", 6, 30 * time.Second}) {
		t.Errorf("normalized = %+v, %v", p, err)
	}
}

func TestVerifyTOTPWindowAndReplay(t *testing.T) {
	p := OATHParams{}
	now := time.Unix(1_800_000_015, 0)
	cur := TimeStep(now, p)
	codeAt := func(d int64) string { return TOTPAt(rfcKey20, now.Add(time.Duration(d)*30*time.Second), p) }

	for _, d := range []int64{-1, 0, 1} {
		step, ok := VerifyTOTP(rfcKey20, codeAt(d), now, p, 1, -1)
		if !ok || step != cur+d {
			t.Errorf("offset %d: got %d %v, want step %d", d, step, ok, cur+d)
		}
	}
	for _, d := range []int64{-2, 2} {
		if _, ok := VerifyTOTP(rfcKey20, codeAt(d), now, p, 1, -1); ok {
			t.Errorf("offset %d accepted with skew 1", d)
		}
	}
	if _, ok := VerifyTOTP(rfcKey20, codeAt(2), now, p, 2, -1); !ok {
		t.Error("offset 2 refused with skew 2")
	}
	if _, ok := VerifyTOTP(rfcKey20, codeAt(1), now, p, 0, -1); ok {
		t.Error("offset 1 accepted with skew 0")
	}
	if _, ok := VerifyTOTP(rfcKey20, codeAt(1), now, p, -1, -1); !ok {
		t.Error("negative skew should mean the default of 1")
	}
	// Replay: the same code, and any older one, is refused once its step is stored.
	step, ok := VerifyTOTP(rfcKey20, codeAt(0), now, p, 1, -1)
	if !ok {
		t.Fatal("fresh code refused")
	}
	if _, ok := VerifyTOTP(rfcKey20, codeAt(0), now, p, 1, step); ok {
		t.Error("replayed code accepted")
	}
	if _, ok := VerifyTOTP(rfcKey20, codeAt(-1), now, p, 1, step); ok {
		t.Error("older code accepted after a newer one was used")
	}
	if s, ok := VerifyTOTP(rfcKey20, codeAt(1), now, p, 1, step); !ok || s != step+1 {
		t.Error("next step's code refused")
	}
	if _, ok := VerifyTOTP([]byte("another secret 12345"), codeAt(0), now, p, 1, -1); ok {
		t.Error("code accepted under another secret")
	}
}

func TestVerifyTOTPNormalizesInput(t *testing.T) {
	p := OATHParams{}
	now := time.Unix(1_800_000_015, 0)
	c := TOTPAt(rfcKey20, now, p)
	for _, in := range []string{c, " " + c + " ", c[:3] + " " + c[3:], c[:3] + "-" + c[3:], "\t" + c + "\n"} {
		if _, ok := VerifyTOTP(rfcKey20, in, now, p, 1, -1); !ok {
			t.Errorf("%q refused", in)
		}
	}
	for _, in := range []string{"", c[:5], c + "0", "abcdef", c[:5] + "x", "１２３４５６", c[:5] + "\x00"} {
		if _, ok := VerifyTOTP(rfcKey20, in, now, p, 1, -1); ok {
			t.Errorf("%q accepted", in)
		}
	}
	if got, err := NormalizeCode(" 123 456 ", 6); err != nil || got != "123456" {
		t.Errorf("NormalizeCode = %q, %v", got, err)
	}
	if _, err := NormalizeCode("12345a", 6); err == nil {
		t.Error("NormalizeCode accepted a letter")
	}
}

func TestVerifyHOTPLookAheadAndResync(t *testing.T) {
	p := OATHParams{}
	// Next expected counter 2: RFC code for 4 is within a look-ahead of 3.
	n, ok := VerifyHOTP(rfcKey20, rfc4226[4].hotp, 2, 3, p)
	if !ok || n != 5 {
		t.Fatalf("VerifyHOTP = %d, %v; want 5, true", n, ok)
	}
	// The same code, and an older one, is refused at the new counter.
	if _, ok := VerifyHOTP(rfcKey20, rfc4226[4].hotp, n, 3, p); ok {
		t.Error("replayed HOTP accepted")
	}
	if _, ok := VerifyHOTP(rfcKey20, rfc4226[3].hotp, n, 3, p); ok {
		t.Error("older HOTP accepted")
	}
	if _, ok := VerifyHOTP(rfcKey20, rfc4226[9].hotp, 2, 3, p); ok {
		t.Error("HOTP beyond the look-ahead accepted")
	}
	if n, ok := VerifyHOTP(rfcKey20, rfc4226[2].hotp, 2, 0, p); !ok || n != 3 {
		t.Error("exact counter refused with look-ahead 0")
	}
	// Resync: codes 7 and 8 from counter 0 with a window of 10.
	n, ok = ResyncHOTP(rfcKey20, rfc4226[7].hotp, rfc4226[8].hotp, 0, 10, p)
	if !ok || n != 9 {
		t.Fatalf("ResyncHOTP = %d, %v; want 9, true", n, ok)
	}
	if _, ok := ResyncHOTP(rfcKey20, rfc4226[7].hotp, rfc4226[9].hotp, 0, 10, p); ok {
		t.Error("non-consecutive codes resynchronised")
	}
	if _, ok := ResyncHOTP(rfcKey20, rfc4226[7].hotp, rfc4226[8].hotp, 0, 5, p); ok {
		t.Error("resync beyond the window")
	}
	if _, ok := ResyncHOTP(rfcKey20, rfc4226[7].hotp, "abc", 0, 10, p); ok {
		t.Error("malformed second code resynchronised")
	}
}

func BenchmarkVerifyTOTP(b *testing.B) {
	now := time.Unix(1_800_000_015, 0)
	c := TOTPAt(rfcKey20, now, OATHParams{})
	for b.Loop() {
		VerifyTOTP(rfcKey20, c, now, OATHParams{}, 1, -1)
	}
}
