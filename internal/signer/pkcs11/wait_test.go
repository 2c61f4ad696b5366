//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"errors"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/signer/signertest"
)

// TestSignWaitIsBounded: with every session taken, Sign gives up after
// WaitTimeout with ErrBusy instead of waiting for ever (crypto.Signer has
// no context), and signs again once a session is free.
func TestSignWaitIsBounded(t *testing.T) {
	h := signertest.NewSoftHSM(t)
	s, err := Open(Config{Module: h.Module, TokenLabel: h.TokenLabel, PIN: h.PIN, KeyLabel: h.KeyLabel,
		Sessions: 1, WaitTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sh := <-s.free // a signature that hangs in the HSM
	if _, err := s.Sign(nil, make([]byte, 32), crypto.SHA256); !errors.Is(err, ErrBusy) {
		t.Errorf("Sign with no free session: %v, want ErrBusy", err)
	}
	s.free <- sh
	if _, err := s.Sign(nil, make([]byte, 32), crypto.SHA256); err != nil {
		t.Errorf("Sign once the session is free: %v", err)
	}
	o, err := Open(Config{Module: h.Module, TokenLabel: h.TokenLabel, PIN: h.PIN, KeyLabel: h.KeyLabel, Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.cfg.WaitTimeout != DefaultWaitTimeout {
		t.Errorf("default wait %v, want %v", o.cfg.WaitTimeout, DefaultWaitTimeout)
	}
}
