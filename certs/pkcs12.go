package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// LoadPKCS12 loads a key and its certificate from a PKCS#12 (.pfx) file,
// as the Windows certificate export wizard and Export-PfxCertificate write
// them. Like a PEM key, the file must not be readable by group or others.
// The certificate that matches the key is used, wherever it is in the
// file's chain.
func LoadPKCS12(file, password string) (*KeyPair, error) {
	if err := checkPrivateFile(file); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("certs: read PKCS#12 file: %w", err)
	}
	k, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, fmt.Errorf("certs: PKCS#12 file %s: the password is wrong (check the configured pkcs12_password)", file)
	}
	if err != nil {
		return nil, fmt.Errorf("certs: PKCS#12 file %s: %w", file, err)
	}
	key, err := asSigner(k)
	if err != nil {
		return nil, fmt.Errorf("certs: PKCS#12 file %s: %w", file, err)
	}
	cert := matching(key, append([]*x509.Certificate{leaf}, chain...))
	if cert == nil {
		return nil, fmt.Errorf("certs: PKCS#12 file %s: no certificate in it belongs to its private key", file)
	}
	return &KeyPair{Key: key, Certificate: cert}, nil
}
