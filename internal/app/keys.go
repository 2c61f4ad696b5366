package app

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
)

// LoadKeys loads the signing keys in configuration order (the first signs)
// and the extra published certificates, reporting every file that fails.
func LoadKeys(c config.Signing) (*certs.Set, error) {
	var pairs []*certs.KeyPair
	var errs []error
	for i, k := range c.Keys {
		var kp *certs.KeyPair
		var err error
		if k.PKCS12File != "" {
			kp, err = certs.LoadPKCS12(k.PKCS12File, k.PKCS12Password.Value())
		} else {
			kp, err = certs.LoadPEM(k.CertFile, k.KeyFile)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("signing.keys[%d]: %w", i, err))
			continue
		}
		pairs = append(pairs, kp)
	}
	var extra []*x509.Certificate
	for i, f := range c.ExtraPublishedCerts {
		cert, err := certs.LoadCertificate(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("signing.extra_published_certs[%d]: %w", i, err))
			continue
		}
		extra = append(extra, cert)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	set, err := certs.NewSet(pairs, extra)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return set, nil
}
