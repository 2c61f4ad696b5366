//go:build openssl && !cgo

package signer

// -tags openssl without cgo would build a claimgate that silently lacks
// the openssl signer it was asked for (openssl_on.go needs cgo), so the
// build stops here instead, and the undefined name says why.
var _ = claimgate_tag_openssl_needs_cgo_build_with_CGO_ENABLED_1_gcc_and_libssl_dev
