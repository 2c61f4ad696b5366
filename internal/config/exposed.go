package config

import (
	"fmt"
	"os"
	"strings"
)

// ExposedFiles lists the secret files and the users file that the group
// or others may read, one warning each with its key and the chmod to run.
// They are warnings, not problems: container platforms hand secrets over
// as files readable by all (Docker secrets 0444, Kubernetes 0644 by
// default) inside a container that is its own boundary. The signing key
// and the audit-name key, checked where they are loaded, are refused.
func (c *Config) ExposedFiles() []string {
	type file struct{ key, path string }
	var fs []file
	secret := func(key string, s Secret) {
		if p, ok := strings.CutPrefix(s.Source(), "file "); ok {
			fs = append(fs, file{key, p})
		}
	}
	secret("mfa.encryption_key", c.MFA.EncryptionKey)
	for i, k := range c.Signing.Keys {
		secret(fmt.Sprintf("signing.keys[%d].pkcs12_password", i), k.PKCS12Password)
	}
	if c.Signing.PKCS11 != nil {
		secret("signing.pkcs11.pin", c.Signing.PKCS11.PIN)
	}
	if c.Directory.LDAP != nil {
		secret("directory.ldap.bind_password", c.Directory.LDAP.BindPassword)
	}
	if c.Directory.UsersFile != nil {
		fs = append(fs, file{"directory.users_file.path", c.Directory.UsersFile.Path})
	}
	secret("sms.gateway.token", c.SMS.Gateway.Token)
	secret("store.dsn", c.Store.DSN)
	secret("saml2.persistent_id_key", c.SAML2.PersistentIDKey)
	var out []string
	for _, f := range fs {
		fi, err := os.Stat(f.path)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s has mode %04o: its group or others can read it; chmod 600 %s (owned by the service user)",
			f.key, f.path, fi.Mode().Perm(), f.path))
	}
	return out
}
