//go:build !(pkcs11 && cgo)

package signer

func pkcs11Built() error { return notBuilt(KindPKCS11, "with cgo enabled") }

func openPKCS11(PKCS11Spec) (Signer, error) { return nil, pkcs11Built() }
