package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/certs"
)

func TestCheckFilesAndLoadSigning(t *testing.T) {
	dir := t.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.WritePEM(kp, filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key"), false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tls.crt", "tls.key", "users.yaml"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600)
	}
	os.WriteFile(filepath.Join(dir, "claimgate.yaml"), []byte(minimal+"branding: {template_dir: users.yaml, logo_file: logo.png}\n"), 0o644)
	c, err := Load(filepath.Join(dir, "claimgate.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := c.CheckFiles()
	if len(ps) != 2 || !hasProblem(ps, "branding.logo_file", "no such file") || !hasProblem(ps, "branding.template_dir", "is not a directory") {
		t.Errorf("CheckFiles: %v", ps)
	}
	set, err := c.LoadSigning()
	if err != nil {
		t.Fatal(err)
	}
	if !set.Signing.Certificate.Equal(kp.Certificate) || len(set.Published) != 1 {
		t.Errorf("set: %+v", set)
	}

	// Every key's failure is reported at its own path.
	os.Chmod(filepath.Join(dir, "s.key"), 0o644)
	c.Signing.Keys = append(c.Signing.Keys, KeySource{PKCS12File: filepath.Join(dir, "missing.pfx"), PKCS12Password: NewSecret("hunter2")})
	c.Signing.ExtraPublishedCerts = []string{filepath.Join(dir, "users.yaml")}
	_, err = c.LoadSigning()
	ps = problemsOf(t, err)
	if len(ps) != 3 || !hasProblem(ps, "signing.keys[0]", "chmod 600") || !hasProblem(ps, "signing.keys[1]", "missing.pfx") ||
		!hasProblem(ps, "signing.extra_published_certs[0]", "users.yaml") {
		t.Errorf("LoadSigning: %v", ps)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Error("password in error")
	}
}
