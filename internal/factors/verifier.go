package factors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// FileSecrets gives TOTP secrets kept outside the store: the YAML users
// file's totp_secret.
type FileSecrets interface {
	TOTPSecret(username string) ([]byte, bool)
}

// Store is the slice of the store the verifier needs.
type Store interface {
	Factors(ctx context.Context, user string) ([]store.Factor, error)
	Factor(ctx context.Context, id string) (store.Factor, error)
	UseFactorCode(ctx context.Context, u store.CodeUse) (bool, error)
	UseCode(ctx context.Context, user, factorID, fingerprint string, expires time.Time) (bool, error)
	UseStep(ctx context.Context, user, factorID string, step int64) (bool, error)
	store.SMSCodeStore
}

// SMSSender sends a text message; mfa.Gateway implements it.
type SMSSender interface {
	SendCode(ctx context.Context, phone, code, message string) error
}

// Options configure a Verifier.
type Options struct {
	Store Store
	File  FileSecrets // may be nil
	// TOTPSkewSteps is the tolerance either side of now (0: the current
	// step only; negative: the default of 1).
	TOTPSkewSteps int
	// HOTPLookAhead is how many counters ahead a code may be (0: only the
	// next one; negative: the default of 10).
	HOTPLookAhead int
	// SMS sends codes; nil disables SMS methods.
	SMS SMSSender
	// SMSDigits, SMSTTL, SMSMaxSends and SMSMinInterval shape SMS codes:
	// defaults 6, 5 minutes, 3 sends per sign-in code, 30 s between sends.
	SMSDigits      int
	SMSTTL         time.Duration
	SMSMaxSends    int
	SMSMinInterval time.Duration
	// SMSMessage is the text, with %s for the code.
	SMSMessage string
	// SMSRate counts texts per user across sign-ins; with SMSRateMax > 0
	// at most SMSRateMax are sent per user within SMSRateWindow, so a
	// stolen password cannot run up a gateway bill or flood a phone.
	SMSRate       RateCounter
	SMSRateMax    int
	SMSRateWindow time.Duration
	// PhoneFromDirectory offers SMS to the identity's directory mobile
	// number when the user has no SMS factor in the store.
	PhoneFromDirectory bool
	Rand               io.Reader
	Logger             *slog.Logger
}

// RateCounter counts events per key in a window (the store's failure
// counters serve).
type RateCounter interface {
	RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
}

// fileFactorID names the users-file TOTP secret among a user's methods.
const fileFactorID = "file-totp"

// directorySMSID names SMS to the directory's phone number.
const directorySMSID = "directory-sms"

// Verifier implements login.SecondFactor.
type Verifier struct {
	o Options
}

var _ login.SecondFactor = (*Verifier)(nil)

// NewVerifier fills defaults.
func NewVerifier(o Options) (*Verifier, error) {
	if o.Store == nil {
		return nil, errors.New("factors: a store is required")
	}
	if o.TOTPSkewSteps < 0 {
		o.TOTPSkewSteps = 1
	}
	if o.HOTPLookAhead < 0 {
		o.HOTPLookAhead = 10
	}
	if o.SMSDigits == 0 {
		o.SMSDigits = 6
	}
	if o.SMSTTL <= 0 {
		o.SMSTTL = 5 * time.Minute
	}
	if o.SMSMaxSends <= 0 {
		o.SMSMaxSends = 3
	}
	if o.SMSMinInterval <= 0 {
		o.SMSMinInterval = 30 * time.Second
	}
	if o.SMSMessage == "" {
		o.SMSMessage = "Your sign-in code is %s"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{o: o}, nil
}

// Methods lists the user's confirmed factors, then the users-file secret,
// then SMS to the directory phone number.
func (v *Verifier) Methods(ctx context.Context, id claims.Identity) ([]login.Method, error) {
	fs, err := v.o.Store.Factors(ctx, id.Username)
	if err != nil {
		return nil, fmt.Errorf("factors: list: %w", err)
	}
	var out []login.Method
	hasSMS := false
	for _, f := range fs {
		if !f.Confirmed || (f.Kind == store.KindSMS && v.o.SMS == nil) {
			continue
		}
		hasSMS = hasSMS || f.Kind == store.KindSMS
		out = append(out, login.Method{ID: f.ID, Kind: f.Kind, Label: label(f), Digits: digits(f), Ready: f.Kind != store.KindSMS})
	}
	if v.o.File != nil {
		if _, ok := v.o.File.TOTPSecret(id.Username); ok {
			out = append(out, login.Method{ID: fileFactorID, Kind: store.KindTOTP, Label: "your authenticator app", Digits: 6, Ready: true})
		}
	}
	if v.o.SMS != nil && v.o.PhoneFromDirectory && !hasSMS && id.Mobile != "" {
		out = append(out, login.Method{ID: directorySMSID, Kind: store.KindSMS, Label: "a text message to " + maskPhone(id.Mobile), Digits: v.o.SMSDigits})
	}
	return out, nil
}

func label(f store.Factor) string {
	switch f.Kind {
	case store.KindSMS:
		return "a text message to " + maskPhone(f.Phone)
	case store.KindHOTP:
		return "your security token " + f.Name
	default:
		return "your authenticator app (" + f.Name + ")"
	}
}

func digits(f store.Factor) int {
	if f.Digits == 0 {
		return 6
	}
	return f.Digits
}

// maskPhone keeps the last two digits: enough for the user to recognise
// the number, not enough to learn it.
func maskPhone(p string) string {
	if len(p) <= 2 {
		return "…"
	}
	return "…" + p[len(p)-2:]
}

// Verify checks code for method m, once.
func (v *Verifier) Verify(ctx context.Context, id claims.Identity, m login.Method, code string, now time.Time) (bool, error) {
	switch {
	case m.ID == fileFactorID:
		return v.verifyFileTOTP(ctx, id, code, now)
	case m.Kind == store.KindSMS:
		return v.verifySMS(ctx, id, m, code, now)
	}
	f, err := v.o.Store.Factor(ctx, m.ID)
	if err != nil {
		return false, fmt.Errorf("factors: load: %w", err)
	}
	if f.User != id.Username || !f.Confirmed {
		return false, nil
	}
	p := mfa.OATHParams{Algorithm: f.Algorithm, Digits: f.Digits, Period: f.Period}
	switch f.Kind {
	case store.KindTOTP:
		step, ok := mfa.VerifyTOTP(f.Secret, code, now, p, v.o.TOTPSkewSteps, f.LastStep)
		if !ok {
			return false, nil
		}
		return v.commit(ctx, f, store.FactorUse{Counter: f.Counter, LastStep: f.LastStep}, store.FactorUse{Counter: f.Counter, LastStep: step},
			"totp:"+strconv.FormatInt(step, 10), stepEnd(step, p, v.o.TOTPSkewSteps), now)
	case store.KindHOTP:
		next, ok := mfa.VerifyHOTP(f.Secret, code, f.Counter, v.o.HOTPLookAhead, p)
		if !ok {
			return false, nil
		}
		return v.commit(ctx, f, store.FactorUse{Counter: f.Counter, LastStep: f.LastStep}, store.FactorUse{Counter: next, LastStep: f.LastStep},
			"hotp:"+strconv.FormatUint(next-1, 10), now.Add(365*24*time.Hour), now)
	}
	return false, nil
}

// commit moves the factor forward and records the used code in one
// durable store step (one flush per accepted code), before Verify says
// yes and so before any token is issued; losing either race means the
// code was already used.
func (v *Verifier) commit(ctx context.Context, f store.Factor, prev, next store.FactorUse, fingerprint string, expires, now time.Time) (bool, error) {
	fresh, err := v.o.Store.UseFactorCode(ctx, store.CodeUse{FactorID: f.ID, User: f.User, Prev: prev, Next: next, When: now,
		Fingerprint: fingerprint, Expires: expires})
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("factors: record use: %w", err)
	}
	return fresh, nil
}

// verifyFileTOTP checks the users-file secret. With no factor row whose
// LastStep can move forward, the store keeps the last accepted step for the
// user instead (UseStep), so the rule is the store factors' one: a step is
// accepted only if it is later than every step used before, and a used step
// retires every earlier one, whichever instance or restart sees it next. The
// used-code record is the second lock, as for store factors; it also keeps
// a code used just before an upgrade (when only that record existed) from
// working again.
func (v *Verifier) verifyFileTOTP(ctx context.Context, id claims.Identity, code string, now time.Time) (bool, error) {
	secret, ok := v.o.File.TOTPSecret(id.Username)
	if !ok {
		return false, nil
	}
	p, _ := mfa.OATHParams{}.Normalized()
	step, ok := mfa.VerifyTOTP(secret, code, now, p, v.o.TOTPSkewSteps, -1)
	if !ok {
		return false, nil
	}
	later, err := v.o.Store.UseStep(ctx, id.Username, fileFactorID, step)
	if err != nil {
		return false, fmt.Errorf("factors: record step: %w", err)
	}
	if !later {
		return false, nil
	}
	fresh, err := v.o.Store.UseCode(ctx, id.Username, fileFactorID, "totp:"+strconv.FormatInt(step, 10), stepEnd(step, p, v.o.TOTPSkewSteps))
	if err != nil {
		return false, fmt.Errorf("factors: record use: %w", err)
	}
	return fresh, nil
}

// stepEnd is when a code of step can no longer verify: after that its
// used-code record may go.
func stepEnd(step int64, p mfa.OATHParams, skew int) time.Time {
	if p.Period == 0 {
		p.Period = 30 * time.Second
	}
	return time.Unix(0, 0).Add(time.Duration(step+int64(skew)+1) * p.Period).Add(time.Minute)
}

// fingerprint hides an SMS code in the used-code table.
func fingerprint(user, code string) string {
	h := sha256.Sum256([]byte(user + "\x00" + code))
	return "sms:" + hex.EncodeToString(h[:])
}
