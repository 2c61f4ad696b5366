package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
)

// signingBlock matches the signing section of a test configuration, up to
// the next top-level key.
var signingBlock = regexp.MustCompile(`(?ms)^signing:\n.*?^(\S)`)

// setSigning replaces the signing section of the configuration file with
// keys (PEM pairs, the first signs) and extra published certificates.
func setSigning(t *testing.T, cfgPath string, keys [][2]string, extra ...string) {
	t.Helper()
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	block := "signing:\n  keys:\n"
	for _, k := range keys {
		block += fmt.Sprintf("    - cert_file: %s\n      key_file: %s\n", k[0], k[1])
	}
	if len(extra) > 0 {
		block += "  extra_published_certs:\n"
		for _, x := range extra {
			block += "    - " + x + "\n"
		}
	}
	if !signingBlock.Match(b) {
		t.Fatalf("no signing section in %s:\n%s", cfgPath, b)
	}
	out := signingBlock.ReplaceAllString(string(b), strings.ReplaceAll(block, "$", "$$")+"$1")
	if err := os.WriteFile(cfgPath, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newKeyFiles makes a signing key valid from now-age for validFor and
// writes NAME.crt and NAME.key into dir.
func newKeyFiles(t *testing.T, dir, name string, age, validFor time.Duration) (*certs.KeyPair, [2]string) {
	t.Helper()
	kp, err := certs.Generate(certs.GenerateOptions{CommonName: "claimgate token signing " + name, ValidFor: validFor,
		Now: func() time.Time { return time.Now().Add(-age) }})
	if err != nil {
		t.Fatal(err)
	}
	files := [2]string{filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")}
	if err := certs.WritePEM(kp, files[0], files[1], false); err != nil {
		t.Fatal(err)
	}
	return kp, files
}

// statusSection returns the lines of `certs status` about one
// configuration path.
func statusSection(t *testing.T, out, path string) string {
	t.Helper()
	i := strings.Index(out, "\n"+path+": ")
	if i < 0 {
		t.Fatalf("no section for %s in:\n%s", path, out)
	}
	rest := out[i+1:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestCertsStatus: `claimgate certs status` names the role of every
// configured certificate (signs / published with its key / published
// only), both thumbprints, the validity with days left, WARNING from 30
// days and EXPIRED, the runbook's next step at each stage of a rollover,
// and exits 1 exactly when the signing certificate needs attention.
func TestCertsStatus(t *testing.T) {
	const day = 24 * time.Hour
	dir := t.TempDir()
	old, oldFiles := newKeyFiles(t, dir, "2025", 300*day, 400*day) // 100 days left
	next, nextFiles := newKeyFiles(t, dir, "2027", 0, 730*day)     // the successor
	soon, soonFiles := newKeyFiles(t, dir, "soon", 0, 10*day)      // within the warning
	_, edgeFiles := newKeyFiles(t, dir, "edge", 0, 30*day)         // exactly at it
	_, outsideFiles := newKeyFiles(t, dir, "outside", 0, 31*day)
	dead, deadFiles := newKeyFiles(t, dir, "dead", 400*day, 365*day) // expired 35 days ago
	public, publicFiles := newKeyFiles(t, dir, "public", 0, 800*day)
	cfg := writeConfig(t, dir, oldFiles[0], oldFiles[1])

	status := func(t *testing.T) (int, string) {
		t.Helper()
		code, out, errOut := runCmd(t, "", nil, "certs", "status", "--config", cfg)
		if errOut != "" && code != 1 {
			t.Errorf("stderr: %s", errOut)
		}
		return code, out
	}
	describes := func(t *testing.T, sec string, kp *certs.KeyPair, role string) {
		t.Helper()
		c := kp.Certificate
		for _, want := range []string{
			": " + role + "\n",
			"subject:            CN=" + c.Subject.CommonName,
			"SHA-1 thumbprint:   " + certs.ThumbprintSHA1(c),
			"SHA-256 thumbprint: " + certs.ThumbprintSHA256(c),
			"valid from:         " + c.NotBefore.UTC().Format("2006-01-02 15:04 UTC"),
			"valid until:        " + c.NotAfter.UTC().Format("2006-01-02 15:04 UTC"),
		} {
			if !strings.Contains(sec, want) {
				t.Errorf("section lacks %q:\n%s", want, sec)
			}
		}
	}

	t.Run("one key, valid", func(t *testing.T) {
		code, out := status(t)
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		sec := statusSection(t, out, "signing.keys[0]")
		describes(t, sec, old, "signs tokens and metadata")
		if !strings.Contains(sec, "(100 days left)") || !strings.Contains(sec, "status:             OK") || strings.Contains(sec, "next step") {
			t.Errorf("signing section:\n%s", sec)
		}
		if !strings.Contains(out, "1 certificate(s) published, signing with "+certs.ThumbprintSHA1(old.Certificate)) {
			t.Errorf("summary missing:\n%s", out)
		}
	})

	t.Run("step 1: successor published, not signing", func(t *testing.T) {
		setSigning(t, cfg, [][2]string{oldFiles, nextFiles}, publicFiles[0])
		code, out := status(t)
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		describes(t, statusSection(t, out, "signing.keys[0]"), old, "signs tokens and metadata")
		sec := statusSection(t, out, "signing.keys[1]")
		describes(t, sec, next, "published with its key, not signing")
		if !strings.Contains(sec, "(730 days left)") ||
			!strings.Contains(sec, "next step:          once AD FS lists "+certs.ThumbprintSHA1(next.Certificate)) ||
			!strings.Contains(sec, "promote it: make it signing.keys[0]") {
			t.Errorf("successor section:\n%s", sec)
		}
		sec = statusSection(t, out, "signing.extra_published_certs[0]")
		describes(t, sec, public, "published only (no key here)")
		if !strings.Contains(sec, "holds no key for it, so it cannot sign") {
			t.Errorf("published-only section:\n%s", sec)
		}
		if !strings.Contains(out, "3 certificate(s) published") {
			t.Errorf("summary:\n%s", out)
		}
	})

	t.Run("step 2: promoted, the old one to retire", func(t *testing.T) {
		setSigning(t, cfg, [][2]string{nextFiles, oldFiles})
		code, out := status(t)
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		describes(t, statusSection(t, out, "signing.keys[0]"), next, "signs tokens and metadata")
		sec := statusSection(t, out, "signing.keys[1]")
		describes(t, sec, old, "published with its key, not signing")
		if !strings.Contains(sec, "retire it (remove it from signing.keys and reload)") {
			t.Errorf("old key section:\n%s", sec)
		}
	})

	t.Run("signing certificate within 30 days: WARNING, exit 1", func(t *testing.T) {
		setSigning(t, cfg, [][2]string{soonFiles})
		code, out := status(t)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		sec := statusSection(t, out, "signing.keys[0]")
		describes(t, sec, soon, "signs tokens and metadata")
		date := soon.Certificate.NotAfter.UTC().Format(time.DateOnly)
		if !strings.Contains(sec, "status:             WARNING: expires in 10 days, on "+date) ||
			!strings.Contains(sec, "next step:          start the rollover now") {
			t.Errorf("section:\n%s", sec)
		}
		if !strings.Contains(out, "Attention (exit status 1): the signing certificate expires in 10 days, on "+date) {
			t.Errorf("summary:\n%s", out)
		}
		// With the successor published, the step is its promotion.
		setSigning(t, cfg, [][2]string{soonFiles, nextFiles})
		if code, out := status(t); code != 1 || !strings.Contains(statusSection(t, out, "signing.keys[0]"), "its successor signing.keys[1] is published") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("the 30-day boundary", func(t *testing.T) {
		setSigning(t, cfg, [][2]string{edgeFiles})
		if code, out := status(t); code != 1 || !strings.Contains(out, "WARNING: expires in 30 days") {
			t.Errorf("30 days: exit %d:\n%s", code, out)
		}
		setSigning(t, cfg, [][2]string{outsideFiles})
		if code, out := status(t); code != 0 || !strings.Contains(out, "(31 days left)") || !strings.Contains(out, "status:             OK") {
			t.Errorf("31 days: exit %d:\n%s", code, out)
		}
	})

	t.Run("expired: EXPIRED, exit 1; an expired published one is to remove", func(t *testing.T) {
		setSigning(t, cfg, [][2]string{deadFiles})
		code, out := status(t)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		sec := statusSection(t, out, "signing.keys[0]")
		if !strings.Contains(sec, "(expired 35 days ago)") || !strings.Contains(sec, "EXPIRED on "+dead.Certificate.NotAfter.UTC().Format(time.DateOnly)) {
			t.Errorf("section:\n%s", sec)
		}
		setSigning(t, cfg, [][2]string{nextFiles, deadFiles})
		code, out = status(t)
		if code != 0 {
			t.Fatalf("an expired certificate that does not sign: exit %d, want 0:\n%s", code, out)
		}
		if sec := statusSection(t, out, "signing.keys[1]"); !strings.Contains(sec, "status:             EXPIRED") ||
			!strings.Contains(sec, "expired: remove it from signing.keys and reload") {
			t.Errorf("section:\n%s", sec)
		}
	})

	t.Run("a key that does not match its certificate: exit 1 with the path", func(t *testing.T) {
		setSigning(t, cfg, [][2]string{{nextFiles[0], oldFiles[1]}})
		code, _, errOut := runCmd(t, "", nil, "certs", "status", "--config", cfg)
		if code != 1 || !strings.Contains(errOut, "signing.keys[0]") {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})
}
