package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCheckFilesModulePermissions: signing.pkcs11.module is refused when
// its group or others may write it, or (checked when the test runs as
// root, which can give a file away) when another user owns it; the
// file a symlink resolves to is what counts. Before, only its existence
// was checked.
func TestCheckFilesModulePermissions(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libhsm.so")
	if err := os.WriteFile(lib, []byte("not really a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "current.so")
	if err := os.Symlink(lib, link); err != nil {
		t.Fatal(err)
	}
	c := &Config{Signing: Signing{PKCS11: &PKCS11{Module: link}}}
	if ps := c.CheckFiles(); len(ps) != 0 {
		t.Errorf("a 0644 module of ours: %v", ps)
	}
	for _, mode := range []os.FileMode{0o664, 0o646} {
		if err := os.Chmod(lib, mode); err != nil {
			t.Fatal(err)
		}
		if ps := c.CheckFiles(); len(ps) != 1 || !hasProblem(ps, "signing.pkcs11.module", "is writable by its group or by others") {
			t.Errorf("mode %04o: %v", mode, ps)
		}
	}
	if err := os.Chmod(lib, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		return // only root can make a file another user owns; CI runs as root
	}
	if err := os.Chown(lib, 12345, 0); err != nil {
		t.Fatal(err)
	}
	if ps := c.CheckFiles(); len(ps) != 1 || !hasProblem(ps, "signing.pkcs11.module", "is owned by uid 12345") {
		t.Errorf("module owned by another user: %v", ps)
	}
}
