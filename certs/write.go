package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WritePEM writes the key as PKCS#8 PEM with mode 0600 and the certificate
// as PEM with mode 0644. Existing files are refused unless overwrite is
// true; then each file is replaced atomically (write aside, rename).
func WritePEM(kp *KeyPair, certFile, keyFile string, overwrite bool) error {
	if kp == nil || kp.Key == nil || kp.Certificate == nil {
		return errors.New("certs: write: incomplete key pair")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(kp.Key)
	if err != nil {
		return fmt.Errorf("certs: marshal private key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Certificate.Raw})
	if !overwrite {
		// Check both before writing either, so a refusal leaves nothing half done.
		for _, f := range []string{keyFile, certFile} {
			if _, err := os.Lstat(f); err == nil {
				return fmt.Errorf("certs: %s already exists; it is never overwritten: choose other file names, or move the old files away first", f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("certs: %w", err)
			}
		}
	}
	if err := writeFile(keyFile, keyPEM, 0o600, overwrite); err != nil {
		return err
	}
	return writeFile(certFile, certPEM, 0o644, overwrite)
}

func writeFile(name string, data []byte, mode os.FileMode, overwrite bool) error {
	if !overwrite {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return fmt.Errorf("certs: %w", err)
		}
		return finish(f, data, mode)
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".claimgate-*")
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if err := finish(f, data, mode); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), name); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("certs: %w", err)
	}
	return nil
}

// finish writes data and sets mode explicitly: the umask must not loosen
// or tighten what was asked for.
func finish(f *os.File, data []byte, mode os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("certs: write %s: %w", f.Name(), err)
	}
	return nil
}
