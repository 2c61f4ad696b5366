package main

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/signer"
)

// checkSigner opens the configured signer as serve would, signs a test
// digest, verifies the signature with the signing certificate and closes
// the signer: a wrong PIN, token or key label, or an HSM key that is not
// the certificate's, shows here rather than at the first sign-in. With
// pkcs11 it costs one login to the token.
func checkSigner(e *env, cfg *config.Config, keys *certs.Set) (err error) {
	spec := cfg.SignerSpec(keys.Signing)
	s, err := signer.Open(spec)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	d := sha256.Sum256([]byte("claimgate check"))
	sig, err := s.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("signing a test digest: %w", err)
	}
	pub, ok := keys.Signing.Certificate.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("the signing certificate's key is not RSA")
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
		return fmt.Errorf("the test signature does not verify with the signing certificate %s: %w", keys.Signing.Certificate.Subject, err)
	}
	kind := spec.Kind
	if kind == "" {
		kind = signer.KindGo
	}
	line := "signer: ok, " + kind
	if p := spec.PKCS11; p != nil {
		line += fmt.Sprintf(", key %q in token %q", p.KeyLabel, p.TokenLabel)
	} else if k := cfg.Signing.Keys[0]; k.PKCS12File != "" {
		line += ", key from " + k.PKCS12File
	} else {
		line += ", key from " + k.KeyFile
	}
	fmt.Fprintln(e.stdout, plain(line+": a test signature verifies with the signing certificate"))
	return nil
}
