//go:build !(openssl && cgo)

package signer

import "crypto/rsa"

func opensslBuilt() error {
	return notBuilt(KindOpenSSL, "with cgo enabled and Debian's libssl-dev and pkg-config installed")
}

func openOpenSSL(*rsa.PrivateKey) (Signer, error) { return nil, opensslBuilt() }
