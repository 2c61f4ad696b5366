//go:build openssl && cgo

package signer

import (
	"crypto/rsa"

	"github.com/claimgate/claimgate/internal/signer/openssl"
)

func opensslBuilt() error { return nil }

func openOpenSSL(k *rsa.PrivateKey) (Signer, error) { return openssl.New(k) }
