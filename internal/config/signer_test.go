package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/signer"
)

const hsmSigning = `signing:
  signer: pkcs11
  keys: [{cert_file: s.crt}, {cert_file: next.crt, key_file: next.key}]
  pkcs11:
    module: lib/libsofthsm2.so
    token_label: claimgate
    pin: {env: HSM_PIN}
    key_label: token-signing
`

// withSigning is minimal with its signing section replaced.
func withSigning(t *testing.T, signing string) string {
	t.Helper()
	const old = "signing:\n  keys: [{cert_file: s.crt, key_file: s.key}]\n"
	if !strings.Contains(minimal, old) {
		t.Fatal("minimal's signing section changed")
	}
	return strings.Replace(minimal, old, signing, 1)
}

// built reports whether this test binary has the signer kind, so that the
// tests expect the build-tag problem exactly when it is missing (they run
// with and without -tags openssl,pkcs11).
func built(kind string) bool { return signer.Check(kind) == nil }

func TestSignerChoice(t *testing.T) {
	env := map[string]string{"HSM_PIN": "246810"}
	for _, tc := range []struct {
		name, signing, want string
	}{
		{"default", "signing:\n  keys: [{cert_file: s.crt, key_file: s.key}]\n", signer.KindGo},
		{"go", "signing:\n  signer: go\n  keys: [{cert_file: s.crt, key_file: s.key}]\n", signer.KindGo},
		{"openssl", "signing:\n  signer: openssl\n  keys: [{cert_file: s.crt, key_file: s.key}]\n", signer.KindOpenSSL},
		{"pkcs11", hsmSigning, signer.KindPKCS11},
	} {
		_, err := Load(writeConfig(t, withSigning(t, tc.signing)), envMap(env))
		if built(tc.want) {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		tag := "needs a claimgate built with -tags " + tc.want
		if ps := problemsOf(t, err); len(ps) != 1 || !hasProblem(ps, "signing.signer", tag) {
			t.Errorf("%s, built without the tag: %v, want only signing.signer: ...%s", tc.name, ps, tag)
		}
	}
	ps := loadWith(t, "signing:\n", "signing:\n  signer: gpg\n", nil)
	if !hasProblem(ps, "signing.signer", `unknown signer "gpg": use go, openssl or pkcs11`) {
		t.Errorf("unknown signer: %v", ps)
	}
}

// TestPKCS11Built: the section becomes plain values: the module path made
// absolute, the PIN resolved, the sessions defaulted, keys[0] only a
// certificate.
func TestPKCS11Built(t *testing.T) {
	b := builder{env: envMap(map[string]string{"HSM_PIN": "246810"}), baseDir: "/etc/claimgate"}
	f := fileConfig{Signing: fileSigning{Signer: "pkcs11", Keys: []fileKey{{CertFile: "s.crt"}},
		PKCS11: &filePKCS11{Module: "lib/libsofthsm2.so", TokenLabel: "claimgate", PIN: secretSpec{set: true, env: "HSM_PIN"}, KeyLabel: "token-signing"}}}
	c := &Config{}
	b.signing(&f, c)
	if len(b.probs) > 0 {
		t.Fatal(b.probs)
	}
	p := c.Signing.PKCS11
	if c.Signing.Signer != signer.KindPKCS11 || p == nil || p.Module != "/etc/claimgate/lib/libsofthsm2.so" || p.TokenLabel != "claimgate" ||
		p.PIN.Value() != "246810" || p.PIN.Source() != "env HSM_PIN" || p.KeyLabel != "token-signing" || p.Sessions != DefaultPKCS11Sessions {
		t.Errorf("built %+v %+v", c.Signing, p)
	}
}

// TestPKCS11Problems: every mistake in the section, each at its path, all
// at once; the PIN never appears in a message.
func TestPKCS11Problems(t *testing.T) {
	const pin = "pin-Secret-4711"
	for _, tc := range []struct {
		name, signing string
		want          map[string]string // path → fragment
	}{
		{"no section", "signing:\n  signer: pkcs11\n  keys: [{cert_file: s.crt}]\n",
			map[string]string{"signing.pkcs11": "required with signing.signer: pkcs11"}},
		{"empty section", "signing:\n  signer: pkcs11\n  keys: [{cert_file: s.crt}]\n  pkcs11: {sessions: 100}\n", map[string]string{
			"signing.pkcs11.module":      "required: the path of the HSM vendor's PKCS#11 library",
			"signing.pkcs11.token_label": "required",
			"signing.pkcs11.pin":         "required: the token's user PIN",
			"signing.pkcs11.key_label":   "required: the label (CKA_LABEL)",
			"signing.pkcs11.sessions":    "must be between 1 and 64",
		}},
		{"key file next to the HSM key", strings.Replace(hsmSigning, "{cert_file: s.crt}", "{cert_file: s.crt, key_file: s.key}", 1),
			map[string]string{"signing.keys[0].key_file": "the private key stays in the HSM; give only cert_file"}},
		{"pfx instead of the certificate", strings.Replace(hsmSigning, "{cert_file: s.crt}", "{pkcs12_file: s.pfx, pkcs12_password: "+pin+"}", 1),
			map[string]string{"signing.keys[0].cert_file": "required: the certificate of the HSM key", "signing.keys[0].pkcs12_file": "stays in the HSM",
				"signing.keys[0].pkcs12_password": "stays in the HSM"}},
		{"second key still needs its key", strings.Replace(hsmSigning, ", key_file: next.key", "", 1),
			map[string]string{"signing.keys[1].key_file": "required with cert_file"}},
		{"label too long", strings.Replace(hsmSigning, "token_label: claimgate", "token_label: "+strings.Repeat("x", 33), 1),
			map[string]string{"signing.pkcs11.token_label": "is 33 bytes, but a PKCS#11 token label has at most 32"}},
		{"PIN variable unset", strings.Replace(hsmSigning, "HSM_PIN", "NO_SUCH_PIN", 1),
			map[string]string{"signing.pkcs11.pin": "environment variable NO_SUCH_PIN is not set"}},
		{"section without the signer", "signing:\n  keys: [{cert_file: s.crt, key_file: s.key}]\n  pkcs11: {module: /x.so}\n",
			map[string]string{"signing.pkcs11": "applies only with signing.signer: pkcs11"}},
	} {
		_, err := Load(writeConfig(t, withSigning(t, tc.signing)), envMap(map[string]string{"HSM_PIN": pin}))
		if err == nil {
			t.Errorf("%s: loaded", tc.name)
			continue
		}
		ps := problemsOf(t, err)
		for path, frag := range tc.want {
			if !hasProblem(ps, path, frag) {
				t.Errorf("%s: no %s: ...%s in %v", tc.name, path, frag, ps)
			}
		}
		n := len(tc.want)
		if strings.Contains(tc.signing, "signer: pkcs11") && !built(signer.KindPKCS11) {
			n++ // and signing.signer: needs -tags pkcs11
		}
		if len(ps) != n {
			t.Errorf("%s: %d problems, want %d: %v", tc.name, len(ps), n, ps)
		}
		if strings.Contains(err.Error(), pin) {
			t.Errorf("%s: the PIN is in the error", tc.name)
		}
	}
}

// TestLoadSigningHeldKey: with pkcs11, keys[0] is loaded as its
// certificate alone (no key file is read, the HSM is not opened), the
// other keys as usual, and SignerSpec carries the HSM settings and no key.
// A missing module is a CheckFiles problem at its path.
func TestLoadSigningHeldKey(t *testing.T) {
	dir := t.TempDir()
	cur, next := mustGenerate(t), mustGenerate(t)
	if err := certs.WritePEM(cur, filepath.Join(dir, "s.crt"), filepath.Join(dir, "unused.key"), false); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "unused.key")); err != nil {
		t.Fatal(err)
	}
	if err := certs.WritePEM(next, filepath.Join(dir, "next.crt"), filepath.Join(dir, "next.key"), false); err != nil {
		t.Fatal(err)
	}
	c := &Config{Signing: Signing{Signer: signer.KindPKCS11, SignatureAlgorithm: AlgRSASHA256,
		Keys:   []KeySource{{CertFile: filepath.Join(dir, "s.crt")}, {CertFile: filepath.Join(dir, "next.crt"), KeyFile: filepath.Join(dir, "next.key")}},
		PKCS11: &PKCS11{Module: filepath.Join(dir, "libhsm.so"), TokenLabel: "claimgate", PIN: NewSecret("246810"), KeyLabel: "token-signing", Sessions: 2}}}
	if ps := c.CheckFiles(); len(ps) != 1 || !hasProblem(ps, "signing.pkcs11.module", "no such file") {
		t.Errorf("CheckFiles: %v", ps)
	}
	set, err := c.LoadSigning()
	if err != nil {
		t.Fatal(err)
	}
	if !set.Signing.Held() || !set.Signing.Certificate.Equal(cur.Certificate) || set.Keys[1].Held() || len(set.Published) != 2 {
		t.Errorf("set: signing held %v, %d published", set.Signing.Held(), len(set.Published))
	}
	spec := c.SignerSpec(set.Signing)
	if spec.Kind != signer.KindPKCS11 || spec.Key != nil || spec.Cert != set.Signing.Certificate || spec.PKCS11 == nil ||
		*spec.PKCS11 != (signer.PKCS11Spec{Module: c.Signing.PKCS11.Module, TokenLabel: "claimgate", PIN: "246810", KeyLabel: "token-signing", Sessions: 2}) {
		t.Errorf("SignerSpec = %+v", spec)
	}

	c.Signing.Signer, c.Signing.PKCS11 = signer.KindGo, nil
	c.Signing.Keys[0].KeyFile = filepath.Join(dir, "unused.key")
	if _, err := c.LoadSigning(); err == nil || !hasProblem(problemsOf(t, err), "signing.keys[0]", "unused.key") {
		t.Errorf("go signer reads the key file: %v", err)
	}
}

// TestSignerSpecGo: the default signer gets the loaded key itself.
func TestSignerSpecGo(t *testing.T) {
	kp := mustGenerate(t)
	c := &Config{Signing: Signing{Signer: signer.KindOpenSSL}}
	if s := c.SignerSpec(kp); s.Kind != signer.KindOpenSSL || s.Key != kp.Key || s.Cert != kp.Certificate || s.PKCS11 != nil {
		t.Errorf("SignerSpec = %+v", s)
	}
}

func mustGenerate(t *testing.T) *certs.KeyPair {
	t.Helper()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
