package signer

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"
)

// The kinds of signer, as signing.signer names them.
const (
	KindGo      = "go"
	KindOpenSSL = "openssl"
	KindPKCS11  = "pkcs11"
)

// DefaultSessions is how many PKCS#11 sessions sign in parallel when
// PKCS11Spec.Sessions is zero, and MaxSessions the most one signer opens
// (package pkcs11 enforces the same bound).
const (
	DefaultSessions = 4
	MaxSessions     = 64
)

// ErrUnavailable marks an Open that failed because the HSM did not
// answer (device error, token not present, sessions refused), as opposed
// to a configuration it refused: a later Open may succeed.
var ErrUnavailable = errors.New("signer: the HSM is unavailable")

// unavailable is an Open error that is ErrUnavailable and keeps its own
// message.
type unavailable struct{ err error }

func (u unavailable) Error() string        { return u.err.Error() }
func (u unavailable) Unwrap() error        { return u.err }
func (u unavailable) Is(target error) bool { return target == ErrUnavailable }

// Spec says which signer to open and with what.
type Spec struct {
	// Kind is KindGo, KindOpenSSL or KindPKCS11; "" is KindGo.
	Kind string
	// Key is the loaded RSA private key for KindGo and KindOpenSSL; unused
	// with KindPKCS11, whose key stays in the module.
	Key crypto.Signer
	// Cert is the signing certificate. Open refuses a key that does not
	// belong to it: AD FS would reject every token (event 371).
	Cert *x509.Certificate
	// PKCS11 says where the key is for KindPKCS11.
	PKCS11 *PKCS11Spec
}

// PKCS11Spec finds a private key in a PKCS#11 token.
type PKCS11Spec struct {
	Module     string // the vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string // the token's label (softhsm2-util --show-slots shows it)
	PIN        string // the user PIN
	KeyLabel   string // CKA_LABEL of the private key
	Sessions   int    // sessions signing in parallel; 0 means DefaultSessions
	// WaitTimeout bounds how long a signature waits for a free session
	// (crypto.Signer has no context); 0 means package pkcs11's default.
	WaitTimeout time.Duration
}

// Signer is a crypto.Signer that holds resources (a libcrypto key, HSM
// sessions) until it is closed. It is safe for concurrent use. Sign after
// Close returns an error.
type Signer interface {
	crypto.Signer
	io.Closer
}

// Check reports whether this claimgate can open a signer of kind, without
// opening one, so that configuration validation can say so up front.
func Check(kind string) error {
	switch kind {
	case "", KindGo:
		return nil
	case KindOpenSSL:
		return opensslBuilt()
	case KindPKCS11:
		return pkcs11Built()
	}
	return fmt.Errorf("unknown signer %q: use %s, %s or %s", kind, KindGo, KindOpenSSL, KindPKCS11)
}

// Built lists the kinds of signer this binary has, for `claimgate
// version`: go always, openssl and pkcs11 when built with their tags.
func Built() []string {
	var out []string
	for _, k := range []string{KindGo, KindOpenSSL, KindPKCS11} {
		if Check(k) == nil {
			out = append(out, k)
		}
	}
	return out
}

// Open opens the signer s describes and checks that its key belongs to
// s.Cert. Open it once and keep it; Close it when done.
func Open(s Spec) (Signer, error) {
	if err := Check(s.Kind); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	if s.Cert == nil {
		return nil, errors.New("signer: the signing certificate is required")
	}
	var sg Signer
	var err error
	what := "the signing key"
	switch s.Kind {
	case "", KindGo:
		if s.Key == nil {
			return nil, errors.New("signer: go: the private key is required")
		}
		sg = goSigner{s.Key}
	case KindOpenSSL:
		k, ok := s.Key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signer: openssl: needs an RSA private key loaded from a file, not %T", s.Key)
		}
		sg, err = openOpenSSL(k)
	case KindPKCS11:
		if s.PKCS11 == nil {
			return nil, errors.New("signer: pkcs11: the module, token, PIN and key label are required")
		}
		p := *s.PKCS11
		if p.Sessions == 0 {
			p.Sessions = DefaultSessions
		}
		what = fmt.Sprintf("the key labelled %q in token %q", p.KeyLabel, p.TokenLabel)
		sg, err = openPKCS11(p)
	}
	if err != nil {
		return nil, fmt.Errorf("signer: %s: %w", kindName(s.Kind), err)
	}
	if err := matches(sg.Public(), s.Cert); err != nil {
		_ = sg.Close()
		return nil, fmt.Errorf("signer: %s: %s %w", kindName(s.Kind), what, err)
	}
	return sg, nil
}

func kindName(k string) string {
	if k == "" {
		return KindGo
	}
	return k
}

func matches(pub crypto.PublicKey, cert *x509.Certificate) error {
	p, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("is %T, but AD FS needs RSA", pub)
	}
	if !p.Equal(cert.PublicKey) {
		return fmt.Errorf("does not belong to the signing certificate %q (serial %s)", cert.Subject.CommonName, cert.SerialNumber)
	}
	return nil
}

// notBuilt is the error for a kind this binary was built without.
func notBuilt(kind, needs string) error {
	return fmt.Errorf("%s needs a claimgate built with -tags %s (go build -tags %s ./cmd/claimgate, %s); this one was built without it",
		kind, kind, kind, needs)
}
