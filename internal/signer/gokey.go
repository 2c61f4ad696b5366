package signer

import "crypto"

// goSigner is the default kind: the loaded key itself, so crypto/rsa
// signs. It holds nothing that needs releasing.
type goSigner struct{ crypto.Signer }

func (goSigner) Close() error { return nil }

var _ Signer = goSigner{}
