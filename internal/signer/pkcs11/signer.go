//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"time"

	p11 "github.com/miekg/pkcs11"

	"github.com/claimgate/claimgate/internal/signer/internal/pkcs1"
)

// MaxSessions bounds Config.Sessions (signer.MaxSessions is the same):
// more sessions than cores buys nothing, and HSMs limit sessions per
// client.
const MaxSessions = 64

// DefaultWaitTimeout is how long Sign waits for a free session when
// Config.WaitTimeout is zero.
const DefaultWaitTimeout = 10 * time.Second

// ErrClosed is returned by Sign after Close.
var ErrClosed = errors.New("pkcs11: the signer is closed")

// ErrUnavailable marks an Open that failed because the HSM did not
// answer (a device error, the token not present, sessions refused), not
// because it refused the configuration: a later Open may succeed.
var ErrUnavailable = errors.New("pkcs11: the HSM is unavailable")

// unavailable is such an error, with its own message.
type unavailable struct{ err error }

func (u unavailable) Error() string        { return u.err.Error() }
func (u unavailable) Unwrap() error        { return u.err }
func (u unavailable) Is(target error) bool { return target == ErrUnavailable }

// ErrBusy is returned by Sign when no session came free within
// Config.WaitTimeout: the HSM is slow or hung, and crypto.Signer has no
// context to cancel with, so the wait is bounded here.
var ErrBusy = errors.New("pkcs11: every HSM session stayed busy for the whole wait timeout")

// Config finds the private key.
type Config struct {
	Module     string // path of the vendor's PKCS#11 library
	TokenLabel string
	PIN        string // the user PIN
	KeyLabel   string // CKA_LABEL of the private key
	Sessions   int    // 1 to MaxSessions
	// WaitTimeout bounds how long Sign waits for a free session; zero
	// means DefaultWaitTimeout.
	WaitTimeout time.Duration
}

// Signer signs with a private key in a PKCS#11 token. It is safe for
// concurrent use: each signature takes one of its sessions, so up to
// Config.Sessions are made at once and further callers wait.
type Signer struct {
	cfg Config
	// mu is held shared by Sign and exclusively by Close and by the
	// recovery of lost sessions, so that no session is closed or
	// replaced under a signature.
	mu       sync.RWMutex
	closed   bool
	mod      *module
	slot     uint
	key      p11.ObjectHandle
	pub      *rsa.PublicKey
	free     chan p11.SessionHandle
	sessions []p11.SessionHandle
	loggedIn bool
	// gen counts recoveries, so that of many signatures that lost their
	// session at once only the first reopens the pool.
	gen uint64
	// refused is set when a recovery's login was refused for the PIN:
	// from then on Sign fails at once instead of trying the PIN again on
	// every request, which would lock the token.
	refused error
}

var _ crypto.Signer = (*Signer)(nil)

// Open opens Config.Sessions sessions on the token, logs in and finds
// the key. On error nothing stays open.
func Open(c Config) (_ *Signer, err error) {
	switch {
	case c.Module == "":
		return nil, errors.New("the PKCS#11 module path is required")
	case c.TokenLabel == "":
		return nil, errors.New("the token label is required")
	case c.KeyLabel == "":
		return nil, errors.New("the key label is required")
	case c.PIN == "":
		return nil, errors.New("the user PIN is required")
	case c.Sessions < 1 || c.Sessions > MaxSessions:
		return nil, fmt.Errorf("sessions must be between 1 and %d", MaxSessions)
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = DefaultWaitTimeout
	}
	m, err := modules.acquire(c.Module)
	if err != nil {
		return nil, err
	}
	s := &Signer{cfg: c, mod: m, free: make(chan p11.SessionHandle, c.Sessions)}
	defer func() {
		if err != nil {
			_ = s.Close()
			if lost(err) {
				err = unavailable{err}
			}
		}
	}()
	if s.slot, err = findToken(m.ctx, c.TokenLabel); err != nil {
		return nil, err
	}
	if s.sessions, err = openSessions(m.ctx, s.slot, c); err != nil {
		return nil, err
	}
	if err := modules.login(m, s.slot, s.sessions[0], c.TokenLabel, c.PIN); err != nil {
		return nil, err
	}
	s.loggedIn = true
	if s.key, s.pub, err = findKey(m.ctx, s.sessions[0], c.TokenLabel, c.KeyLabel); err != nil {
		return nil, err
	}
	for _, sh := range s.sessions {
		s.free <- sh
	}
	return s, nil
}

// Public returns the key's RSA public key, as the token reports it.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Sign makes an RSASSA-PKCS1-v1_5 signature of digest (SHA-256 or SHA-1,
// as opts says) in the token. The random source is not used: the scheme
// is deterministic.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h, err := pkcs1.Hash(digest, opts)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	sig, gen, err := s.sign(pkcs1.DigestInfo(h, digest))
	if err != nil && lost(err) {
		// The HSM lost the session or the login: reopen and retry once.
		if rerr := s.recover(gen); rerr != nil {
			return nil, fmt.Errorf("%w; reopening the sessions: %w", err, rerr)
		}
		sig, _, err = s.sign(pkcs1.DigestInfo(h, digest))
	}
	return sig, err
}

// sign signs digestInfo over one free session; gen is the pool's
// generation it used.
func (s *Signer) sign(digestInfo []byte) (_ []byte, gen uint64, _ error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.closed:
		return nil, 0, ErrClosed
	case s.refused != nil:
		return nil, 0, s.refused
	}
	gen = s.gen
	t := time.NewTimer(s.cfg.WaitTimeout)
	defer t.Stop()
	var sh p11.SessionHandle
	select {
	case sh = <-s.free:
	case <-t.C:
		return nil, gen, ErrBusy
	}
	defer func() { s.free <- sh }()
	// CKM_RSA_PKCS pads and signs what it is given, so the DigestInfo is
	// ours to build: that keeps one mechanism for every hash and every
	// token, where CKM_SHA256_RSA_PKCS would hash a second time.
	if err := s.mod.ctx.SignInit(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS, nil)}, s.key); err != nil {
		return nil, gen, fmt.Errorf("pkcs11: starting a signature: %w", err)
	}
	sig, err := s.mod.ctx.Sign(sh, digestInfo)
	if err != nil {
		return nil, gen, fmt.Errorf("pkcs11: signing: %w", err)
	}
	return sig, gen, nil
}

// Close closes the sessions, logging out and finalising the module when
// no other signer of this process uses them. Later calls do nothing.
func (s *Signer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.loggedIn {
		modules.logout(s.mod, s.slot, s.sessions[0])
	}
	var errs []error
	for _, sh := range s.sessions {
		if err := s.mod.ctx.CloseSession(sh); err != nil {
			errs = append(errs, fmt.Errorf("pkcs11: closing a session: %w", err))
		}
	}
	modules.release(s.mod)
	return errors.Join(errs...)
}

// findToken returns the slot whose token has label, or an error listing
// the labels there are.
// Two tokens with the label are refused, naming their slots: which one
// a module lists first may change, and signing with the wrong key makes
// AD FS reject every token.
func findToken(ctx *p11.Ctx, label string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("listing the module's slots: %w", err)
	}
	var seen []string
	var found []uint
	for _, slot := range slots {
		ti, err := ctx.GetTokenInfo(slot)
		if err != nil {
			continue // a slot that cannot describe its token holds no usable one
		}
		l := strings.TrimRight(ti.Label, " \x00")
		if l == label {
			found = append(found, slot)
		} else if l != "" {
			seen = append(seen, fmt.Sprintf("%q", l))
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
	default:
		ids := make([]string, len(found))
		for i, f := range found {
			ids[i] = fmt.Sprint(f)
		}
		return 0, fmt.Errorf("%d tokens are labelled %q (slots %s); give each token a label of its own", len(found), label, strings.Join(ids, ", "))
	}
	if len(seen) == 0 {
		return 0, fmt.Errorf("no token labelled %q: the module shows no initialised token", label)
	}
	return 0, fmt.Errorf("no token labelled %q (the module shows %s)", label, strings.Join(seen, ", "))
}

// findKey finds the one RSA private key labelled label and its public
// key: from the private key object's modulus and exponent, which PKCS#11
// lets any session read, or else from the public key object of the same
// label.
func findKey(ctx *p11.Ctx, sh p11.SessionHandle, token, label string) (p11.ObjectHandle, *rsa.PublicKey, error) {
	keys, err := find(ctx, sh, p11.CKO_PRIVATE_KEY, label)
	if err != nil {
		return 0, nil, fmt.Errorf("looking for key %q on token %q: %w", label, token, err)
	}
	switch len(keys) {
	case 0:
		return 0, nil, fmt.Errorf("token %q has no private key labelled %q (CKA_LABEL); check signing.pkcs11.key_label", token, label)
	case 1:
	default:
		return 0, nil, fmt.Errorf("token %q has %d private keys labelled %q; give the signing key a label of its own", token, len(keys), label)
	}
	pub, err := rsaPublic(ctx, sh, keys[0])
	if err != nil {
		pubs, ferr := find(ctx, sh, p11.CKO_PUBLIC_KEY, label)
		if ferr != nil || len(pubs) != 1 {
			return 0, nil, fmt.Errorf("key %q on token %q: reading its public key: %w", label, token, err)
		}
		if pub, err = rsaPublic(ctx, sh, pubs[0]); err != nil {
			return 0, nil, fmt.Errorf("key %q on token %q: reading its public key: %w", label, token, err)
		}
	}
	return keys[0], pub, nil
}

func find(ctx *p11.Ctx, sh p11.SessionHandle, class uint, label string) ([]p11.ObjectHandle, error) {
	if err := ctx.FindObjectsInit(sh, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, class), p11.NewAttribute(p11.CKA_LABEL, label),
	}); err != nil {
		return nil, err
	}
	objs, _, err := ctx.FindObjects(sh, 2) // two are enough to know it is not one
	if ferr := ctx.FindObjectsFinal(sh); err == nil {
		err = ferr
	}
	return objs, err
}

func rsaPublic(ctx *p11.Ctx, sh p11.SessionHandle, o p11.ObjectHandle) (*rsa.PublicKey, error) {
	attrs, err := ctx.GetAttributeValue(sh, o, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_KEY_TYPE, nil), p11.NewAttribute(p11.CKA_MODULUS, nil), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, nil),
	})
	if err != nil {
		return nil, err
	}
	var kt, n, e []byte
	for _, a := range attrs {
		switch a.Type {
		case p11.CKA_KEY_TYPE:
			kt = a.Value
		case p11.CKA_MODULUS:
			n = a.Value
		case p11.CKA_PUBLIC_EXPONENT:
			e = a.Value
		}
	}
	if t, ok := ulong(kt); !ok || t != p11.CKK_RSA {
		return nil, errors.New("it is not an RSA key, and AD FS needs RSA")
	}
	exp := new(big.Int).SetBytes(e)
	if len(n) == 0 || !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31-1 {
		return nil, errors.New("the token returned no usable modulus and exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
}

// ulong decodes a CK_ULONG attribute value, which the module writes in
// the host's byte order and size.
func ulong(b []byte) (uint64, bool) {
	switch len(b) {
	case 8:
		return binary.NativeEndian.Uint64(b), true
	case 4:
		return uint64(binary.NativeEndian.Uint32(b)), true
	}
	return 0, false
}
