package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// AuditKeyFile, in the data directory, holds the key of the tokens that
// stand for user names that matched no account in the audit trail
// (audit.Options.UnknownUserKey). It is made on first start and kept, so a
// token means the same name across restarts and, if the file is copied,
// across instances. Whoever has it can test guessed names against the
// tokens, so it is as private as the store.
const AuditKeyFile = "audit-name.key"

const auditKeySize = 32

// auditKey reads the data directory's audit key, making it first if there
// is none. Two processes starting at once agree on one key: it is written
// to a temporary file and linked into place, which fails if the other
// process was first, and then the other's key is read.
func auditKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, AuditKeyFile)
	key, err := readAuditKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createAuditKey(dataDir, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return readAuditKey(path)
}

func readAuditKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	// As for signing keys: a key others can read is not a secret.
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %v lets others read it; chmod 600", path, fi.Mode().Perm())
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) != auditKeySize {
		return nil, fmt.Errorf("%s: %d bytes, want %d; delete it to make a new one", path, len(key), auditKeySize)
	}
	return key, nil
}

func createAuditKey(dir, path string) error {
	key := make([]byte, auditKeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	// CreateTemp makes the file with mode 0600.
	tmp, err := os.CreateTemp(dir, ".audit-name-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return err
	}
	// Synced before it is linked, so a crash never leaves a short key.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
