package config

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/claimgate/claimgate/certs"
)

// CheckFiles reports, with their paths, configured files and directories
// that do not exist or are of the wrong kind. Validate checks only shape;
// call this at start-up (or from `claimgate check`) before using them.
// Files that claimgate creates itself (the store, a file audit log) are
// not checked: whoever opens them reports a failure.
func (c *Config) CheckFiles() []Problem {
	var ps problems
	file := func(path, name string) {
		if name == "" {
			return
		}
		fi, err := os.Stat(name)
		switch {
		case err != nil:
			ps.add(path, "%v", err)
		case fi.IsDir():
			ps.add(path, "%s is a directory, not a file", name)
		}
	}
	dir := func(path, name string) {
		if name == "" {
			return
		}
		fi, err := os.Stat(name)
		switch {
		case err != nil:
			ps.add(path, "%v", err)
		case !fi.IsDir():
			ps.add(path, "%s is not a directory", name)
		}
	}
	if t := c.Server.TLS; t != nil {
		file("server.tls.cert_file", t.CertFile)
		file("server.tls.key_file", t.KeyFile)
	}
	for i, k := range c.Signing.Keys {
		p := index("signing.keys", i)
		file(p+".cert_file", k.CertFile)
		file(p+".key_file", k.KeyFile)
		file(p+".pkcs12_file", k.PKCS12File)
	}
	for i, f := range c.Signing.ExtraPublishedCerts {
		file(index("signing.extra_published_certs", i), f)
	}
	if p := c.Signing.PKCS11; p != nil {
		before := len(ps)
		file("signing.pkcs11.module", p.Module)
		if p.Module != "" && len(ps) == before {
			if msg := moduleProblem(p.Module); msg != "" {
				ps.add("signing.pkcs11.module", "%s", msg)
			}
		}
	}
	for i, rp := range c.RelyingParties {
		if rp.Metadata != nil {
			file(index("relying_parties", i)+".metadata.file", rp.Metadata.File)
		}
	}
	c.saml2Files(file)
	if u := c.Directory.UsersFile; u != nil {
		file("directory.users_file.path", u.Path)
	}
	if l := c.Directory.LDAP; l != nil {
		before := len(ps)
		file("directory.ldap.ca_file", l.CAFile)
		// Read it as ldapsource will, so that an unreadable file or one
		// without a certificate is reported here under its YAML path.
		if l.CAFile != "" && len(ps) == before {
			if pem, err := os.ReadFile(l.CAFile); err != nil {
				ps.add("directory.ldap.ca_file", "%v", err)
			} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
				ps.add("directory.ldap.ca_file", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----); export the CA certificate as Base-64 encoded X.509", l.CAFile)
			}
		}
	}
	file("branding.logo_file", c.Branding.LogoFile)
	dir("branding.template_dir", c.Branding.TemplateDir)
	return ps
}

// LoadSigning loads every configured signing key and published
// certificate with package certs and makes the signing set. Each failure
// is a Problem at the key's path (wrong password, loose permissions,
// mismatched key, weak key), all reported at once. With signing.signer
// pkcs11 the signing pair is its certificate alone (certs.CertificateOnly):
// the HSM is not opened here, signer.Open with SignerSpec does that.
func (c *Config) LoadSigning() (*certs.Set, error) {
	var ps problems
	var pairs []*certs.KeyPair
	for i, k := range c.Signing.Keys {
		var kp *certs.KeyPair
		var err error
		if c.heldKey(i) {
			kp, err = heldPair(k.CertFile)
		} else if k.PKCS12File != "" {
			kp, err = certs.LoadPKCS12(k.PKCS12File, k.PKCS12Password.Value())
		} else {
			kp, err = certs.LoadPEM(k.CertFile, k.KeyFile)
		}
		if err != nil {
			ps.add(index("signing.keys", i), "%v", err)
			continue
		}
		pairs = append(pairs, kp)
	}
	var extra []*x509.Certificate
	for i, f := range c.Signing.ExtraPublishedCerts {
		cert, err := certs.LoadCertificate(f)
		if err != nil {
			ps.add(index("signing.extra_published_certs", i), "%v", err)
			continue
		}
		extra = append(extra, cert)
	}
	if len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	set, err := certs.NewSet(pairs, extra)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Path: "signing", Message: err.Error()}}}
	}
	return set, nil
}

// heldPair is signing.keys[0] when its key is in an HSM.
func heldPair(certFile string) (*certs.KeyPair, error) {
	cert, err := certs.LoadCertificate(certFile)
	if err != nil {
		return nil, err
	}
	return certs.CertificateOnly(cert)
}

// moduleProblem refuses a PKCS#11 module that someone other than root or
// the user claimgate runs as could replace, as key files that others
// could read are refused: claimgate loads the library into its own
// process and hands it the PIN and every digest it signs, so whoever can
// write it can sign as claimgate. The file the path resolves to is
// checked (a symlink's own bits mean nothing).
func moduleProblem(name string) string {
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return err.Error()
	}
	fi, err := os.Stat(real)
	if err != nil {
		return err.Error()
	}
	if m := fi.Mode().Perm(); m&0o022 != 0 {
		return fmt.Sprintf("%s is writable by its group or by others (mode %04o): whoever can replace the module can sign as claimgate; chmod go-w %s", real, m, real)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Getuid() {
		return fmt.Sprintf("%s is owned by uid %d, not by root or the user claimgate runs as: whoever owns the module can replace it and sign as claimgate; chown root %s", real, st.Uid, real)
	}
	return ""
}
