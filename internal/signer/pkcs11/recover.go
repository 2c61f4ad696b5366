//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"

	p11 "github.com/miekg/pkcs11"
)

// openSessions opens c.Sessions sessions on slot; on error it closes the
// ones it opened.
func openSessions(ctx *p11.Ctx, slot uint, c Config) ([]p11.SessionHandle, error) {
	var out []p11.SessionHandle
	for range c.Sessions {
		sh, err := ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION)
		if err != nil {
			for _, o := range out {
				_ = ctx.CloseSession(o)
			}
			return nil, fmt.Errorf("opening a session on token %q: %w", c.TokenLabel, err)
		}
		out = append(out, sh)
	}
	return out, nil
}

// recover replaces the session pool after a signature found its session
// or the login gone (lost): it closes what is left, opens the sessions
// again, logs in again if the token forgot the login, and finds the key
// again (an HSM that restarted may give it another handle). It runs under
// the write lock, so every session is back in the pool, and only once
// per generation: of the signatures that failed together, the first
// recovers and the others retry on its sessions.
//
// If it fails, the old handles go back in the pool, so that the next
// signature fails fast and tries again rather than waiting for a session.
// A PIN refusal is final (refused): trying the PIN on every request would
// lock the token.
func (s *Signer) recover(gen uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.refused != nil:
		return s.refused
	case s.gen != gen:
		return nil // another signature has already reopened the pool
	}
	for len(s.free) > 0 {
		<-s.free
	}
	refill := func() {
		for _, sh := range s.sessions {
			s.free <- sh
		}
	}
	defer refill()
	fresh, err := openSessions(s.mod.ctx, s.slot, s.cfg)
	if err != nil {
		return err
	}
	if err := modules.relogin(s.mod, s.slot, fresh[0], s.cfg.TokenLabel, s.cfg.PIN); err != nil {
		closeAll(s.mod.ctx, fresh)
		if errors.As(err, new(refusal)) {
			s.refused = fmt.Errorf("pkcs11: %w; restart claimgate once the PIN is right", err)
		}
		return err
	}
	key, pub, err := findKey(s.mod.ctx, fresh[0], s.cfg.TokenLabel, s.cfg.KeyLabel)
	if err == nil && !pub.Equal(s.pub) {
		err = fmt.Errorf("the key labelled %q on token %q is no longer the key claimgate started with", s.cfg.KeyLabel, s.cfg.TokenLabel)
	}
	if err != nil {
		closeAll(s.mod.ctx, fresh)
		return err
	}
	closeAll(s.mod.ctx, s.sessions) // most are gone already; the rest would leak
	s.sessions, s.key = fresh, key
	s.gen++
	return nil
}

func closeAll(ctx *p11.Ctx, sessions []p11.SessionHandle) {
	for _, sh := range sessions {
		_ = ctx.CloseSession(sh)
	}
}

// refusal is a login the token refused for the PIN, or that claimgate
// did not try because the token's PIN flags warn of a lock.
type refusal struct{ msg string }

func (r refusal) Error() string { return r.msg }

// Probe signs a fixed digest, for readiness: a lost HSM, or one that
// stopped accepting the key, shows in /readyz (and Sign's recovery is
// tried) before a user's sign-in meets it.
func (s *Signer) Probe() error {
	d := sha256.Sum256([]byte("claimgate readiness probe"))
	_, err := s.Sign(nil, d[:], crypto.SHA256)
	return err
}
