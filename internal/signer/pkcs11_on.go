//go:build pkcs11 && cgo

package signer

import (
	"errors"

	"github.com/claimgate/claimgate/internal/signer/pkcs11"
)

func pkcs11Built() error { return nil }

func openPKCS11(s PKCS11Spec) (Signer, error) {
	sg, err := pkcs11.Open(pkcs11.Config{Module: s.Module, TokenLabel: s.TokenLabel, PIN: s.PIN,
		KeyLabel: s.KeyLabel, Sessions: s.Sessions, WaitTimeout: s.WaitTimeout})
	if errors.Is(err, pkcs11.ErrUnavailable) {
		return nil, unavailable{err}
	}
	if err != nil {
		return nil, err
	}
	return sg, nil
}
