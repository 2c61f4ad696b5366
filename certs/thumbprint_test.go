package certs

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestThumbprintsMatchOpenSSL checks both thumbprints against an
// independent implementation, reformatted the way AD FS prints them.
func TestThumbprintsMatchOpenSSL(t *testing.T) {
	kp := mustPair(t)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "c.pem")
	if err := WritePEM(kp, certFile, filepath.Join(dir, "k.pem"), false); err != nil {
		t.Fatal(err)
	}
	for alg, got := range map[string]string{"-sha1": ThumbprintSHA1(kp.Certificate), "-sha256": ThumbprintSHA256(kp.Certificate)} {
		out := tool(t, "openssl", "x509", "-in", certFile, "-noout", "-fingerprint", alg)
		_, fp, ok := strings.Cut(strings.TrimSpace(out), "=")
		if !ok {
			t.Fatalf("openssl output %q", out)
		}
		want := strings.ToUpper(strings.ReplaceAll(fp, ":", ""))
		if got != want {
			t.Errorf("%s: got %s, openssl says %s", alg, got, want)
		}
	}
	if len(ThumbprintSHA1(kp.Certificate)) != 40 || len(ThumbprintSHA256(kp.Certificate)) != 64 {
		t.Error("wrong lengths")
	}
}
