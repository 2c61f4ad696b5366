package factors

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// smsCode is a code sent and not yet used. Only its hash is kept.
type smsCode struct {
	hash    string
	expires time.Time
	sends   int
	lastAt  time.Time
}

// ErrResendLimit is returned by Prepare when no more codes may be sent now.
var ErrResendLimit = errors.New("factors: SMS resend limit reached")

// Prepare sends an SMS code for SMS methods and does nothing for others.
// Sends are limited per user and factor: at most SMSMaxSends codes within
// SMSTTL, and at least SMSMinInterval apart.
func (v *Verifier) Prepare(ctx context.Context, id claims.Identity, m login.Method, now time.Time) error {
	if m.Kind != store.KindSMS {
		return nil
	}
	if v.o.SMS == nil {
		return errors.New("factors: SMS is not configured")
	}
	phone, err := v.phone(ctx, id, m)
	if err != nil {
		return err
	}
	r := v.o.Rand
	if r == nil {
		r = rand.Reader
	}
	code, err := mfa.NewNumericCode(r, v.o.SMSDigits)
	if err != nil {
		return err
	}
	key := id.Username + "\x00" + m.ID
	undo, wait := v.takeSend(key, fingerprint(id.Username, code), now)
	if wait != nil {
		return fmt.Errorf("%w: %w", ErrResendLimit, wait)
	}
	if v.o.SMSRate != nil && v.o.SMSRateMax > 0 {
		n, err := v.o.SMSRate.RecordFailure(ctx, "sms-rate:"+id.Username, now, v.o.SMSRateWindow)
		if err != nil {
			undo()
			return fmt.Errorf("factors: SMS rate: %w", err)
		}
		if n > v.o.SMSRateMax {
			undo()
			// The counter's window started at most a window ago.
			return fmt.Errorf("%w: %w", ErrResendLimit, &login.WaitError{Wait: v.o.SMSRateWindow, Reason: "rate_limit"})
		}
	}
	if err := v.o.SMS.SendCode(ctx, phone, code, fmt.Sprintf(v.o.SMSMessage, code)); err != nil {
		// The text may or may not have left: the send stays counted.
		return fmt.Errorf("factors: send SMS: %w", err)
	}
	v.o.Logger.Info("SMS code sent", "user", id.Username, "phone", maskPhone(phone))
	return nil
}

// takeSend checks the per-code limits and, in the same critical section,
// records the send with the new code's hash: parallel Prepare calls for
// one user and factor cannot all pass the check. undo puts the previous
// state back (for a refusal that comes later, the rate limit).
func (v *Verifier) takeSend(key, hash string, now time.Time) (undo func(), wait *login.WaitError) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if wait := v.maySendLocked(key, now); wait != nil {
		return nil, wait
	}
	if len(v.sms) > 256 {
		for k, old := range v.sms {
			if now.After(old.expires) {
				delete(v.sms, k)
			}
		}
	}
	p := v.sms[key]
	if p == nil || now.After(p.expires) {
		// The expiry runs from the first send, so resends cannot keep a
		// sign-in open forever.
		p = &smsCode{expires: now.Add(v.o.SMSTTL)}
		v.sms[key] = p
	}
	prev := *p
	// A new code replaces the old one.
	p.hash, p.sends, p.lastAt = hash, p.sends+1, now
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.sms[key] == p && p.hash == hash {
			*p = prev
		}
	}, nil
}

// maySendLocked applies the per-code limits (v.mu held): at most SMSMaxSends texts while a
// code lives, at least SMSMinInterval apart. It returns nil when a text
// may go now, else how long to wait.
func (v *Verifier) maySendLocked(key string, now time.Time) *login.WaitError {
	p := v.sms[key]
	if p == nil || now.After(p.expires) {
		return nil
	}
	if p.sends >= v.o.SMSMaxSends {
		return &login.WaitError{Wait: p.expires.Sub(now), Reason: "send_limit"}
	}
	if gap := now.Sub(p.lastAt); gap < v.o.SMSMinInterval {
		return &login.WaitError{Wait: v.o.SMSMinInterval - gap, Reason: "resend_interval"}
	}
	return nil
}

func (v *Verifier) phone(ctx context.Context, id claims.Identity, m login.Method) (string, error) {
	if m.ID == directorySMSID {
		if id.Mobile == "" {
			return "", errors.New("factors: no phone number in the directory")
		}
		return id.Mobile, nil
	}
	f, err := v.o.Store.Factor(ctx, m.ID)
	if err != nil {
		return "", fmt.Errorf("factors: load: %w", err)
	}
	if f.User != id.Username || f.Phone == "" {
		return "", errors.New("factors: SMS factor has no phone number")
	}
	return f.Phone, nil
}

func (v *Verifier) verifySMS(ctx context.Context, id claims.Identity, m login.Method, code string, now time.Time) (bool, error) {
	norm, err := mfa.NormalizeCode(code, v.o.SMSDigits)
	if err != nil {
		return false, nil
	}
	key := id.Username + "\x00" + m.ID
	v.mu.Lock()
	p := v.sms[key]
	ok := p != nil && now.Before(p.expires) && equal(p.hash, fingerprint(id.Username, norm))
	if ok {
		delete(v.sms, key)
	}
	v.mu.Unlock()
	if !ok {
		return false, nil
	}
	fresh, err := v.o.Store.UseCode(ctx, id.Username, m.ID, fingerprint(id.Username, norm)+":"+now.UTC().Format(time.RFC3339Nano), now.Add(v.o.SMSTTL))
	if err != nil {
		return false, fmt.Errorf("factors: record use: %w", err)
	}
	return fresh, nil
}
