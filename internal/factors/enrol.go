package factors

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// EnrolStore is the slice of the store self-enrolment needs.
type EnrolStore interface {
	AddFactor(ctx context.Context, f store.Factor) (store.Factor, error)
	Factor(ctx context.Context, id string) (store.Factor, error)
	Factors(ctx context.Context, user string) ([]store.Factor, error)
	DeleteFactor(ctx context.Context, id string) error
	UseFactorCode(ctx context.Context, u store.CodeUse) (bool, error)
}

// Enroller implements login.Enroller: TOTP self-enrolment under a policy.
type Enroller struct {
	Store EnrolStore
	// Issuer is the name the authenticator app shows (the product name).
	Issuer string
	// Networks, when not empty, are the only client networks that may enrol.
	Networks []netip.Prefix
	// RequireCode demands an administrator-issued enrolment code.
	RequireCode bool
	SkewSteps   int
	// Params are the TOTP parameters of new secrets; zero means SHA-1, 6
	// digits, 30 seconds (what every authenticator app supports).
	Params mfa.OATHParams
	Rand   io.Reader
}

var _ login.Enroller = (*Enroller)(nil)

// Allowed applies the network and code policy.
func (e *Enroller) Allowed(_ context.Context, _ claims.Identity, addr string) (bool, bool) {
	if len(e.Networks) > 0 {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return false, e.RequireCode
		}
		in := false
		for _, n := range e.Networks {
			in = in || n.Contains(a.Unmap())
		}
		if !in {
			return false, e.RequireCode
		}
	}
	return true, e.RequireCode
}

const enrolName = "authenticator app"

// Begin stores a new unconfirmed TOTP secret, replacing an earlier
// unconfirmed one.
func (e *Enroller) Begin(ctx context.Context, id claims.Identity) (*login.Enrollment, error) {
	fs, err := e.Store.Factors(ctx, id.Username)
	if err != nil {
		return nil, fmt.Errorf("factors: enrol: %w", err)
	}
	name := enrolName
	for _, f := range fs {
		if !f.Confirmed && f.Kind == store.KindTOTP {
			if err := e.Store.DeleteFactor(ctx, f.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("factors: enrol: %w", err)
			}
		} else if f.Name == name {
			name = enrolName + " " + strconv.Itoa(len(fs)+1)
		}
	}
	r := e.Rand
	if r == nil {
		r = rand.Reader
	}
	secret, err := mfa.NewSecret(r, 20)
	if err != nil {
		return nil, err
	}
	p, err := e.Params.Normalized()
	if err != nil {
		return nil, err
	}
	f, err := e.Store.AddFactor(ctx, store.Factor{User: id.Username, Kind: store.KindTOTP, Name: name, Secret: secret,
		Algorithm: p.Algorithm, Digits: p.Digits, Period: p.Period, LastStep: -1})
	if err != nil {
		return nil, fmt.Errorf("factors: enrol: %w", err)
	}
	return e.present(id, f)
}

// Present shows an unconfirmed secret again.
func (e *Enroller) Present(ctx context.Context, id claims.Identity, factorID string) (*login.Enrollment, error) {
	f, err := e.Store.Factor(ctx, factorID)
	if err != nil {
		return nil, fmt.Errorf("factors: enrol: %w", err)
	}
	if f.User != id.Username || f.Confirmed {
		return nil, errors.New("factors: enrolment does not belong to this sign-in")
	}
	return e.present(id, f)
}

func (e *Enroller) present(id claims.Identity, f store.Factor) (*login.Enrollment, error) {
	account := id.UPN
	if account == "" {
		account = id.Username
	}
	uri := mfa.KeyURI(e.Issuer, account, f.Secret, mfa.OATHParams{Algorithm: f.Algorithm, Digits: f.Digits, Period: f.Period})
	png, err := mfa.QRPNG(uri, 220)
	if err != nil {
		return nil, err
	}
	return &login.Enrollment{ID: f.ID, Secret: f.Secret, URI: uri, QRPNG: png}, nil
}

// Finish confirms the factor when code verifies against it (and, under
// that policy, the enrolment code is right). The code counts as used.
func (e *Enroller) Finish(ctx context.Context, id claims.Identity, factorID, code, enrolmentCode string, now time.Time) (bool, error) {
	f, err := e.Store.Factor(ctx, factorID)
	if err != nil {
		return false, fmt.Errorf("factors: enrol: %w", err)
	}
	if f.User != id.Username || f.Confirmed {
		return false, nil
	}
	p := mfa.OATHParams{Algorithm: f.Algorithm, Digits: f.Digits, Period: f.Period}
	step, ok := mfa.VerifyTOTP(f.Secret, code, now, p, e.SkewSteps, f.LastStep)
	if !ok {
		return false, nil
	}
	// The enrolment code, the code's use and the confirmation are one
	// durable step (one flush), all or nothing: an enrolment code is not
	// spent on a code that then loses its race, and the factor is
	// confirmed only with its first code recorded as used.
	p, _ = p.Normalized()
	u := store.CodeUse{FactorID: f.ID, User: f.User, Prev: store.FactorUse{Counter: f.Counter, LastStep: f.LastStep},
		Next: store.FactorUse{Counter: f.Counter, LastStep: step}, When: now,
		Fingerprint: "totp:" + strconv.FormatInt(step, 10), Expires: stepEnd(step, p, 1), Confirm: true}
	if e.RequireCode {
		u.EnrolmentCode = store.HashID(mfa.NormalizeAppPassword(enrolmentCode))
	}
	ok, err = e.Store.UseFactorCode(ctx, u)
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("factors: enrol: %w", err)
	}
	return ok, nil
}
