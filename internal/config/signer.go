package config

import (
	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/signer"
)

// maxTokenLabel is the size of a PKCS#11 token label (CK_TOKEN_INFO.label):
// a longer one can never match.
const maxTokenLabel = 32

// validateSigner checks signing.signer and signing.pkcs11. Whether this
// binary has the signer is asked of package signer, so a claimgate built
// without -tags openssl says so here, at load, with the path.
func (c *Config) validateSigner(ps *problems) {
	s := c.Signing
	if err := signer.Check(s.Signer); err != nil {
		ps.add("signing.signer", "%v", err)
	}
	p := s.PKCS11
	if s.Signer != signer.KindPKCS11 {
		if p != nil {
			ps.add("signing.pkcs11", "applies only with signing.signer: pkcs11")
		}
		return
	}
	if p == nil {
		ps.add("signing.pkcs11", "required with signing.signer: pkcs11: the module, token_label, pin and key_label of the HSM key")
		return
	}
	if p.Module == "" {
		ps.add("signing.pkcs11.module", "required: the path of the HSM vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so")
	}
	switch {
	case p.TokenLabel == "":
		ps.add("signing.pkcs11.token_label", "required: the label of the token that holds the key")
	case len(p.TokenLabel) > maxTokenLabel:
		ps.add("signing.pkcs11.token_label", "is %d bytes, but a PKCS#11 token label has at most %d", len(p.TokenLabel), maxTokenLabel)
	}
	if !p.PIN.IsSet() {
		ps.add("signing.pkcs11.pin", "required: the token's user PIN, as a value, {env: NAME} or {file: PATH}")
	}
	if p.KeyLabel == "" {
		ps.add("signing.pkcs11.key_label", "required: the label (CKA_LABEL) of the private key in the token")
	}
	if p.Sessions < 1 || p.Sessions > signer.MaxSessions {
		ps.add("signing.pkcs11.sessions", "must be between 1 and %d", signer.MaxSessions)
	}
}

// validateHeldKey checks signing.keys[0] when its key stays in the HSM:
// the certificate alone, because a key file next to it would mean the key
// is not only in the HSM.
func validateHeldKey(ps *problems, path string, k KeySource) {
	const why = "with signing.signer: pkcs11 the private key stays in the HSM; give only cert_file"
	if k.CertFile == "" {
		ps.add(path+".cert_file", "required: the certificate of the HSM key (signing.signer: pkcs11)")
	}
	if k.KeyFile != "" {
		ps.add(path+".key_file", "%s", why)
	}
	if k.PKCS12File != "" {
		ps.add(path+".pkcs12_file", "%s", why)
	}
	if k.PKCS12Password.IsSet() {
		ps.add(path+".pkcs12_password", "%s", why)
	}
}

// heldKey reports whether signing.keys[i] is the certificate of a key in
// an HSM.
func (c *Config) heldKey(i int) bool { return i == 0 && c.Signing.Signer == signer.KindPKCS11 }

// SignerSpec says how to open the signer for the signing pair, kp (the
// Set's Signing, as LoadSigning made it): which kind, and for pkcs11 where
// the key is. Give it to signer.Open.
func (c *Config) SignerSpec(kp *certs.KeyPair) signer.Spec {
	s := signer.Spec{Kind: c.Signing.Signer, Cert: kp.Certificate}
	if !kp.Held() {
		s.Key = kp.Key
	}
	if p := c.Signing.PKCS11; p != nil && s.Kind == signer.KindPKCS11 {
		s.PKCS11 = &signer.PKCS11Spec{Module: p.Module, TokenLabel: p.TokenLabel, PIN: p.PIN.Value(),
			KeyLabel: p.KeyLabel, Sessions: p.Sessions}
	}
	return s
}
