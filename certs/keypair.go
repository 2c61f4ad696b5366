package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// KeyPair is a private key and the certificate of its public key.
type KeyPair struct {
	Key         crypto.Signer
	Certificate *x509.Certificate
}

// LoadPEM loads a certificate (PEM, or DER as Windows exports .cer files)
// and a PEM private key (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY" or
// SEC 1 "EC PRIVATE KEY"). The key file must not be readable by group or
// others, and the key must belong to the certificate. When the certificate
// file holds a chain, the certificate that matches the key is used.
func LoadPEM(certFile, keyFile string) (*KeyPair, error) {
	if err := checkPrivateFile(keyFile); err != nil {
		return nil, err
	}
	keyData, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("certs: read private key: %w", err)
	}
	key, err := parsePrivateKeyPEM(keyData)
	if err != nil {
		return nil, fmt.Errorf("certs: private key file %s: %w", keyFile, err)
	}
	certData, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("certs: read certificate: %w", err)
	}
	chain, err := parseCertificates(certData)
	if err != nil {
		return nil, fmt.Errorf("certs: certificate file %s: %w", certFile, err)
	}
	cert := matching(key, chain)
	if cert == nil {
		return nil, fmt.Errorf("certs: the private key in %s does not belong to the certificate in %s (SHA-1 thumbprint %s)",
			keyFile, certFile, ThumbprintSHA1(chain[0]))
	}
	return &KeyPair{Key: key, Certificate: cert}, nil
}

// LoadCertificate loads one public certificate (PEM or DER), for a
// certificate that is published but whose key claimgate does not hold.
// A PEM file holding several certificates is refused: say which one.
func LoadCertificate(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("certs: read certificate: %w", err)
	}
	chain, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("certs: certificate file %s: %w", file, err)
	}
	if len(chain) != 1 {
		return nil, fmt.Errorf("certs: certificate file %s holds %d certificates; put exactly one in it", file, len(chain))
	}
	return chain[0], nil
}

// checkPrivateFile refuses a file that group or others may read or write.
// It looks at the mode bits only, so it also protects a file read by root.
func checkPrivateFile(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("certs: private key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("certs: private key file %s is not a regular file", file)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("certs: private key file %s has mode %#o, so other users on this machine can read it; "+
			"restrict it with: chmod 600 %s", file, perm, file)
	}
	return nil
}

func parsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found (expected a BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY block)")
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] == "4,ENCRYPTED" {
			return nil, errors.New("the private key is encrypted; give a .pfx file with its password instead, or decrypt the key with: openssl pkey -in KEY -out KEY.plain")
		}
		var k any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue // e.g. EC PARAMETERS before the key, or a certificate in the same file
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", block.Type, err)
		}
		return asSigner(k)
	}
}

func asSigner(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

// parseCertificates reads every PEM CERTIFICATE block, or one DER
// certificate when the data is not PEM.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("neither PEM nor a DER certificate: %w", err)
		}
		return []*x509.Certificate{c}, nil
	}
	var out []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no BEGIN CERTIFICATE block found")
	}
	return out, nil
}

// matching returns the certificate whose public key is key's, or nil.
func matching(key crypto.Signer, chain []*x509.Certificate) *x509.Certificate {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil
	}
	for _, c := range chain {
		if pub.Equal(c.PublicKey) {
			return c
		}
	}
	return nil
}
