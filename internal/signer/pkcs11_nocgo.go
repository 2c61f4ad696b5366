//go:build pkcs11 && !cgo

package signer

// -tags pkcs11 without cgo would build a claimgate that silently lacks
// the pkcs11 signer it was asked for (pkcs11_on.go needs cgo), so the
// build stops here instead, and the undefined name says why.
var _ = claimgate_tag_pkcs11_needs_cgo_build_with_CGO_ENABLED_1_and_gcc
