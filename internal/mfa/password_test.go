package mfa

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordArgon2id(t *testing.T) {
	salt := bytes.NewReader(bytes.Repeat([]byte{0xAB}, 16))
	h, err := HashPassword("correct horse", salt)
	if err != nil {
		t.Fatal(err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h) {
		t.Fatalf("not the expected PHC string: %s", h)
	}
	if !strings.Contains(h, "$q6urq6urq6urq6urq6urqw$") {
		t.Errorf("injected salt not used: %s", h)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false, "correct horse ": false} {
		ok, err := CheckPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	h2, _ := HashPassword("correct horse", nil)
	if h2 == h {
		t.Error("random salt repeated")
	}
}

// A hash made by another implementation: the encoded argon2id test vector
// of the Argon2 reference implementation (phc-winner-argon2, src/test.c):
// password "password", salt "somesalt", t=2, m=65536, p=1, 32-byte key.
func TestCheckPasswordForeignArgon2id(t *testing.T) {
	const h = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, err := CheckPassword(h, "password")
	if err != nil || !ok {
		t.Errorf("foreign argon2id hash: %v, %v", ok, err)
	}
}

func TestCheckPasswordBcrypt(t *testing.T) {
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		b, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		h := prefix + string(b[4:])
		if ok, err := CheckPassword(h, "s3cret"); !ok || err != nil {
			t.Errorf("%s: right password = %v, %v", prefix, ok, err)
		}
		if ok, err := CheckPassword(h, "s3cret!"); ok || err != nil {
			t.Errorf("%s: wrong password = %v, %v", prefix, ok, err)
		}
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	if ok, err := CheckPassword(string(b), strings.Repeat("x", 100)); ok || err != nil {
		t.Errorf("over-long password: %v, %v", ok, err)
	}
}

func TestCheckPasswordRejectsMalformed(t *testing.T) {
	for _, h := range []string{
		"", "plaintext", "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=019456,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$2b$04$short", "$2b$31$" + strings.Repeat("a", 53), "$1$md5crypt$abc",
	} {
		if ok, err := CheckPassword(h, "password"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", h, ok, err)
		}
		if CheckHashFormat(h) == nil {
			t.Errorf("CheckHashFormat(%q) accepted", h)
		} else if h != "" && strings.Contains(CheckHashFormat(h).Error(), h) {
			t.Error("error repeats the hash")
		}
	}
}

func TestDummyHashLike(t *testing.T) {
	real, _ := HashPassword("pw", nil)
	d, err := DummyHashLike(real)
	if err != nil || !strings.HasPrefix(d, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("argon2id dummy = %q, %v", d, err)
	}
	if ok, _ := CheckPassword(d, "pw"); ok {
		t.Error("dummy matched the real password")
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("pw"), 5)
	d, err = DummyHashLike(string(b))
	if c, _ := bcrypt.Cost([]byte(d)); err != nil || c != 5 {
		t.Errorf("bcrypt dummy = %q (cost %d), %v", d, c, err)
	}
	if _, err := DummyHashLike("nonsense"); err == nil {
		t.Error("dummy of nonsense")
	}
}

func TestNewAppPassword(t *testing.T) {
	shape := regexp.MustCompile(`^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$`)
	seen := map[string]bool{}
	for range 50 {
		p, err := NewAppPassword(nil)
		if err != nil || !shape.MatchString(p) {
			t.Fatalf("NewAppPassword = %q, %v", p, err)
		}
		if seen[p] {
			t.Fatal("repeated app password")
		}
		seen[p] = true
	}
	p, _ := NewAppPassword(nil)
	h, _ := HashPassword(NormalizeAppPassword(p), nil)
	typed := strings.ToUpper(strings.ReplaceAll(p, "-", " "))
	if ok, _ := CheckPassword(h, NormalizeAppPassword(typed)); !ok {
		t.Errorf("typed %q does not match %q", typed, p)
	}
	if _, err := NewAppPassword(bytes.NewReader(nil)); err == nil {
		t.Error("exhausted randomness not reported")
	}
}

func TestNewNumericCodeUniform(t *testing.T) {
	c, err := NewNumericCode(nil, 6)
	if err != nil || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(c) {
		t.Fatalf("NewNumericCode = %q, %v", c, err)
	}
	for _, n := range []int{3, 11} {
		if _, err := NewNumericCode(nil, n); err == nil {
			t.Errorf("%d digits accepted", n)
		}
	}
	// Bytes 250..255 must be rejected, not folded onto 0..5: a reader that
	// only yields 255 then 7 must give sevens.
	r := &cycle{b: []byte{255, 7}}
	if c, _ := NewNumericCode(r, 4); c != "7777" {
		t.Errorf("modulo bias: got %q", c)
	}
	// Chi-squared over 60,000 digits from a seeded source: 9 degrees of freedom,
	// 27.88 is the 0.1% critical value.
	src := rand.NewChaCha8([32]byte{1})
	var counts [10]int
	for range 10000 {
		c, _ := NewNumericCode(src, 6)
		for _, d := range c {
			counts[d-'0']++
		}
	}
	chi := 0.0
	for _, n := range counts {
		d := float64(n) - 6000
		chi += d * d / 6000
	}
	if chi > 27.88 {
		t.Errorf("digits not uniform: chi2 %.1f, counts %v", chi, counts)
	}
}

func TestCheckNumericCode(t *testing.T) {
	for typed, want := range map[string]bool{"042917": true, " 042 917 ": true, "042-917": true, "42917": false, "0429170": false, "04291a": false, "": false} {
		if got := CheckNumericCode("042917", typed); got != want {
			t.Errorf("CheckNumericCode(%q) = %v", typed, got)
		}
	}
	if CheckNumericCode("", "") {
		t.Error("empty code accepted")
	}
}

type cycle struct {
	b []byte
	i int
}

func (c *cycle) Read(p []byte) (int, error) {
	for k := range p {
		p[k] = c.b[c.i%len(c.b)]
		c.i++
	}
	return len(p), nil
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPasswordArgon2id(b *testing.B) {
	h, _ := HashPassword("correct horse battery staple", nil)
	for b.Loop() {
		CheckPassword(h, "correct horse battery staple")
	}
}

func BenchmarkCheckPasswordBcrypt10(b *testing.B) {
	h, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), bcrypt.DefaultCost)
	for b.Loop() {
		CheckPassword(string(h), "correct horse battery staple")
	}
}
