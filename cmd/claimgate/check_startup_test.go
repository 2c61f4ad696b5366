package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What serve refuses to start on, check finds first (admin review F10,
// F13, F16): a language file or template that does not load, a database
// created with another encryption key, relying-party metadata signed by
// a key that is not pinned. Each makes check exit 1 naming it, and serve
// exit 78 (EX_CONFIG: the unit's RestartPreventExitStatus), not 1, which
// systemd would restart every 5 s for nothing.
func TestCheckFindsWhatServeWouldRefuse(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	cfg := writeConfig(t, dir, crt, key)
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, wantCode int, want ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, "", nil, "check", "--config", cfg)
		if code != wantCode {
			t.Errorf("%s: check exited %d, want %d:\n%s%s", what, code, wantCode, out, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: check output lacks %q:\n%s%s", what, w, out, errOut)
			}
		}
		return out
	}
	serveRefuses := func(what, want string) {
		t.Helper()
		code, _, errOut := runCmd(t, "", nil, "serve", "--config", cfg)
		if code != exitConfig || !strings.Contains(errOut, want) {
			t.Errorf("%s: serve exited %d, want %d naming %q:\n%s", what, code, exitConfig, want, errOut)
		}
	}

	check("fresh", 0, "pages: ok, language en, templates embedded", "store: no database yet at "+filepath.Join(dir, "claimgate.db"))
	if code, _, errOut := runCmd(t, "", nil, "users", "list", "--config", cfg, "alice"); code != 0 {
		t.Fatalf("users list: %d %s", code, errOut)
	}
	check("database made", 0, "store: ok, sqlite ", "encryption key matches")

	// A restore with another key.
	write(strings.Replace(string(good), "encryption_key: 00112233", "encryption_key: ffeeddcc", 1))
	check("other key", 1, "store: FAILED: ", "the encryption key does not match", "mfa.encryption_key must be the key this database was created with")
	serveRefuses("other key", "the encryption key does not match")

	// A language with no messages file.
	write(string(good) + "branding: {language: de}\n")
	check("language", 1, "pages: FAILED: ", "messages/de.json")
	serveRefuses("language", "branding.language")

	// A template that does not parse.
	tpl := filepath.Join(dir, "tpl", "html")
	if err := os.MkdirAll(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tpl, "login.html"), []byte("{{ .Broken "), 0o644); err != nil {
		t.Fatal(err)
	}
	write(string(good) + "branding: {template_dir: " + filepath.Join(dir, "tpl") + "}\n")
	check("template", 1, "pages: FAILED: ", "html/login.html")
	serveRefuses("template", "branding.template_dir")

	// An audit log in a directory that does not exist (admin review F21).
	write(string(good) + "audit: {log: " + filepath.Join(dir, "no-such-dir", "audit.log") + "}\n")
	check("audit log", 1, "audit log: FAILED: audit.log: cannot write "+filepath.Join(dir, "no-such-dir"))
	serveRefuses("audit log", "audit.log")
	write(string(good) + "audit: {log: " + filepath.Join(dir, "audit.log") + "}\n")
	check("audit log ok", 0, "audit log: ok, "+filepath.Join(dir, "audit.log"))
	if _, err := os.Stat(filepath.Join(dir, "audit.log")); err == nil {
		t.Error("check created the audit log")
	}

	// AD FS metadata signed by a certificate that is not pinned, then
	// the right pin.
	md, err := filepath.Abs(filepath.Join("..", "..", "sts", "adfsmeta", "testdata", "adfs-v4-metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	rp := func(pin string) string {
		return strings.Replace(string(good), "relying_parties:\n", "relying_parties:\n  - name: lab AD FS\n    metadata:\n      file: "+md+
			"\n      signing_thumbprints: [\""+pin+"\"]\n", 1)
	}
	write(rp("0000000000000000000000000000000000000000"))
	check("wrong pin", 1, `relying party "lab AD FS" metadata `+md+": FAILED: ", "neither pinned nor trusted")
	write(rp("D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB"))
	check("right pin", 0, `relying party "lab AD FS" metadata `+md+": ok, ", "D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB")
}

// TestCheckWarnsOfReadableSecretFiles: the encryption key as a file and
// the users file (password hashes, TOTP seeds in clear) readable by
// others were accepted in silence (admin review F8); check now warns with
// the key and the chmod, and stays 0 (a container's secret files are
// 0444 by design). At 0600 there is no warning.
func TestCheckWarnsOfReadableSecretFiles(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key); code != 0 {
		t.Fatalf("certs new: %d %s", code, errOut)
	}
	cfg := writeConfig(t, dir, crt, key)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mfaKey := filepath.Join(dir, "mfa.key")
	if err := os.WriteFile(mfaKey, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(text),
		"encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "encryption_key: {file: "+mfaKey+"}", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.yaml")
	if err := os.Chmod(users, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", nil, "check", "--config", cfg)
	if code != 0 {
		t.Fatalf("check: %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"warning: mfa.encryption_key: " + mfaKey + " has mode 0644", "chmod 600 " + mfaKey,
		"warning: directory.users_file.path: " + users + " has mode 0644"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{mfaKey, users} {
		if err := os.Chmod(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, out, _ := runCmd(t, "", nil, "check", "--config", cfg); strings.Contains(out, "warning: ") {
		t.Errorf("warnings at mode 0600:\n%s", out)
	}
}
