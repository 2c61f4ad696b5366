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
	hash := fingerprint(id.Username, code)
	send, err := v.o.Store.TakeSMSSend(ctx, id.Username, m.ID, hash, now, v.smsLimits())
	if err != nil {
		return fmt.Errorf("factors: SMS send: %w", err)
	}
	if !send.Taken {
		return fmt.Errorf("%w: %w", ErrResendLimit, v.smsWait(send.Pending, now))
	}
	// undo gives the send back when the rate limit refuses it, so a
	// refused text does not use up the resend interval.
	undo := func() {
		if err := v.o.Store.UndoSMSSend(ctx, id.Username, m.ID, hash, send.Prev); err != nil {
			v.o.Logger.Warn("SMS send not given back", "user", id.Username, "err", err)
		}
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

func (v *Verifier) smsLimits() store.SMSLimits {
	return store.SMSLimits{TTL: v.o.SMSTTL, MaxSends: v.o.SMSMaxSends, MinInterval: v.o.SMSMinInterval}
}

// smsWait says how long the pending code p keeps a new text from going:
// the rest of its life once SMSMaxSends texts went, else the rest of the
// resend interval.
func (v *Verifier) smsWait(p store.PendingSMS, now time.Time) *login.WaitError {
	if p.Sends >= v.o.SMSMaxSends {
		return &login.WaitError{Wait: p.Expires.Sub(now), Reason: "send_limit"}
	}
	return &login.WaitError{Wait: v.o.SMSMinInterval - now.Sub(p.LastSent), Reason: "resend_interval"}
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
	// The pending code is deleted by the one caller whose code matches:
	// a code works once, on whichever instance it is typed.
	ok, err := v.o.Store.ConsumeSMSCode(ctx, id.Username, m.ID, fingerprint(id.Username, norm), now)
	if err != nil {
		return false, fmt.Errorf("factors: SMS code: %w", err)
	}
	if !ok {
		return false, nil
	}
	fresh, err := v.o.Store.UseCode(ctx, id.Username, m.ID, fingerprint(id.Username, norm)+":"+now.UTC().Format(time.RFC3339Nano), now.Add(v.o.SMSTTL))
	if err != nil {
		return false, fmt.Errorf("factors: record use: %w", err)
	}
	return fresh, nil
}
