package ldapsource

import (
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"testing"
)

func TestSIDStringPublishedVector(t *testing.T) {
	// Bytes from the fabiang/sid README; value in docs/adfs-protocol.md §6.
	b, err := base64.StdEncoding.DecodeString("AQUAAAAAAAUVAAAAxOsmShrB91xojn2mawYAAA==")
	if err != nil {
		t.Fatal(err)
	}
	got, err := SIDString(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := "S-1-5-21-1244064708-1559740698-2793246312-1643"; got != want {
		t.Fatalf("SIDString = %s, want %s", got, want)
	}
}

func TestSIDStringWellKnown(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{[]byte{1, 0, 0, 0, 0, 0, 0, 0}, "S-1-0"},                                    // no sub-authorities
		{[]byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, "S-1-1-0"},                      // Everyone
		{[]byte{1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}, "S-1-5-11"},                    // Authenticated Users
		{[]byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 2, 0, 0}, "S-1-5-32-545"}, // BUILTIN\Users
		{[]byte{1, 1, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff}, "S-1-5-4294967295"},
		// Authority exactly 2^32-1: still decimal.
		{[]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, "S-1-4294967295"},
		// Authority >= 2^32: hex with 12 digits, as ConvertSidToStringSid.
		{[]byte{1, 1, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0}, "S-1-0x000100000000-7"},
		{[]byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "S-1-0xFFFFFFFFFFFF"},
	} {
		got, err := SIDString(tc.b)
		if err != nil || got != tc.want {
			t.Errorf("SIDString(% x) = %q, %v; want %q", tc.b, got, err, tc.want)
		}
	}
}

func TestSIDStringMalformed(t *testing.T) {
	valid, _ := base64.StdEncoding.DecodeString("AQUAAAAAAAUVAAAAxOsmShrB91xojn2mawYAAA==")
	wrongRev := append([]byte{}, valid...)
	wrongRev[0] = 2
	tooMany := make([]byte, 8+4*16)
	tooMany[0], tooMany[1] = 1, 16
	for name, b := range map[string][]byte{
		"nil":                  nil,
		"short":                {1, 1, 0, 0, 0},
		"header only, count 1": valid[:8],
		"truncated":            valid[:len(valid)-1],
		"trailing byte":        append(append([]byte{}, valid...), 0),
		"count too high":       append([]byte{1, 6}, valid[2:]...),
		"count too low":        append([]byte{1, 4}, valid[2:]...),
		"revision 2":           wrongRev,
		"revision 0":           append([]byte{0}, valid[1:]...),
		"16 sub-authorities":   tooMany,
	} {
		if s, err := SIDString(b); err == nil {
			t.Errorf("%s: SIDString(% x) = %q, want error", name, b, s)
		}
	}
}

var sidText = regexp.MustCompile(`^S-1-([0-9]|[1-9][0-9]*|0x[0-9A-F]{12})(-(0|[1-9][0-9]*))*$`)

// FuzzSIDString checks that SIDString never panics, accepts exactly the
// well-formed layouts, and that what it accepts has the documented shape.
func FuzzSIDString(f *testing.F) {
	v, _ := base64.StdEncoding.DecodeString("AQUAAAAAAAUVAAAAxOsmShrB91xojn2mawYAAA==")
	f.Add(v)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 1, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := SIDString(b)
		wellFormed := len(b) >= 8 && b[0] == 1 && b[1] <= 15 && len(b) == 8+4*int(b[1])
		if wellFormed != (err == nil) {
			t.Fatalf("SIDString(% x): err=%v, well-formed=%v", b, err, wellFormed)
		}
		if err != nil {
			return
		}
		if !sidText.MatchString(s) {
			t.Fatalf("SIDString(% x) = %q: not S-1-auth-sub...", b, s)
		}
		if b[1] > 0 {
			last := binary.LittleEndian.Uint32(b[len(b)-4:])
			if dom, err := domainOf(s); err == nil && s != dom+"-"+uitoa(last) {
				t.Fatalf("last sub-authority of %q is not %d", s, last)
			}
		}
	})
}

func uitoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestDomainOf(t *testing.T) {
	got, err := domainOf("S-1-5-21-1-2-3-1103")
	if err != nil || got != "S-1-5-21-1-2-3" {
		t.Fatalf("domainOf = %q, %v", got, err)
	}
	if _, err := domainOf("S-1-5"); err == nil {
		t.Fatal("domainOf(S-1-5) should fail: no RID")
	}
}
