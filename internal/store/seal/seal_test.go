package seal

import (
	"bytes"
	"errors"
	"testing"
)

// TestSealOpen: a value opens only with its key and its associated data;
// the verifier recognises the key and no other; a short key is refused.
func TestSealOpen(t *testing.T) {
	k1, err := New(bytes.Repeat([]byte{1}, KeySize), nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := New(bytes.Repeat([]byte{2}, KeySize), nil)
	blob, err := k1.Seal([]byte("JBSWY3DPEHPK3PXP"), FactorAD("f1", "alice", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("JBSWY3DP")) || blob[0] != SealVersion {
		t.Fatal("the sealed value shows the plaintext or lacks its version")
	}
	if got, err := k1.Open(blob, FactorAD("f1", "alice", "secret")); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	for name, open := range map[string]func() ([]byte, error){
		"other row":  func() ([]byte, error) { return k1.Open(blob, FactorAD("f2", "alice", "secret")) },
		"other user": func() ([]byte, error) { return k1.Open(blob, FactorAD("f1", "mallory", "secret")) },
		"other key":  func() ([]byte, error) { return k2.Open(blob, FactorAD("f1", "alice", "secret")) },
		"truncated":  func() ([]byte, error) { return k1.Open(blob[:10], FactorAD("f1", "alice", "secret")) },
	} {
		if _, err := open(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
	if !k1.Matches(k1.Verifier()) || k1.Matches(k2.Verifier()) {
		t.Error("the verifier does not tell the keys apart")
	}
	if _, err := New([]byte("short"), nil); err == nil {
		t.Error("a short key was accepted")
	}
}
