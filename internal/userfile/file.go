package userfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// maxFileSize caps the users file; a file this large is a mistake, not a directory.
const maxFileSize = 16 << 20

// File is the users file as written on disk.
type File struct {
	// Domain is the NetBIOS domain name used for windowsaccountname (DOMAIN\user).
	Domain string `yaml:"domain,omitempty"`
	Users  []User `yaml:"users"`
}

// User is one entry of the users file.
type User struct {
	Username        string   `yaml:"username"`
	UPN             string   `yaml:"upn,omitempty"`
	DisplayName     string   `yaml:"display_name,omitempty"`
	Email           string   `yaml:"email,omitempty"`
	Mobile          string   `yaml:"mobile,omitempty"`
	SID             string   `yaml:"sid,omitempty"`
	PrimaryGroupSID string   `yaml:"primary_group_sid,omitempty"`
	GroupSIDs       []string `yaml:"group_sids,omitempty"`
	// PasswordHash is an argon2id PHC string or a bcrypt hash (see mfa.HashPassword).
	PasswordHash string `yaml:"password_hash"`
	// TOTPSecret is the Base32 TOTP seed, if the user has one.
	TOTPSecret string `yaml:"totp_secret,omitempty"`
	Disabled   bool   `yaml:"disabled,omitempty"`
}

// ReadFile decodes and validates the users file at path without building
// a Directory; Load uses it, and tools can use it to edit a file.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("users file %s: larger than %d bytes", path, maxFileSize)
	}
	return Parse(path, data)
}

// Parse decodes and validates a users file held in memory; name is used
// in error messages.
func Parse(name string, data []byte) (*File, error) {
	var f File
	var problems []string
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&f)
	var te *yaml.TypeError
	switch {
	case errors.Is(err, io.EOF):
		return nil, &ValidationError{File: name, Problems: []string{"file is empty"}}
	case errors.As(err, &te):
		// yaml keeps decoding past type errors: report them with the rest.
		problems = append(problems, te.Errors...)
	case err != nil:
		return nil, &ValidationError{File: name, Problems: []string{err.Error()}}
	default:
		var extra any
		if dec.Decode(&extra) != io.EOF {
			problems = append(problems, "more than one YAML document")
		}
	}
	problems = append(problems, f.problems()...)
	if len(problems) > 0 {
		return nil, &ValidationError{File: name, Problems: problems}
	}
	return &f, nil
}

// Write validates f and replaces the file at path with it, readable by its
// owner only (0600: it holds password hashes and TOTP seeds). The file is
// written to a temporary name and renamed, so a reader never sees half of it.
func Write(path string, f *File) error {
	if err := f.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.File = path
		}
		return err
	}
	body, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("users file %s: %w", path, err)
	}
	data := append([]byte("# claimgate users file: keep it private (mode 0600).\n"), body...)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".users-*.yaml")
	if err != nil {
		return fmt.Errorf("users file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("users file %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("users file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("users file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("users file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("users file %s: %w", path, err)
	}
	return nil
}
