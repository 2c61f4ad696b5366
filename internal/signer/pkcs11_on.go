//go:build pkcs11 && cgo

package signer

import "github.com/claimgate/claimgate/internal/signer/pkcs11"

func pkcs11Built() error { return nil }

func openPKCS11(s PKCS11Spec) (Signer, error) {
	return pkcs11.Open(pkcs11.Config{Module: s.Module, TokenLabel: s.TokenLabel, PIN: s.PIN,
		KeyLabel: s.KeyLabel, Sessions: s.Sessions})
}
