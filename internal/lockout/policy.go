package lockout

import (
	"errors"
	"fmt"
	"time"
)

// Policy is the throttling configuration. See the package documentation for
// how the limits combine.
type Policy struct {
	// MaxFailures is how many failures one user may have from one address
	// within Window before that (user, address) pair is locked.
	MaxFailures int
	// BaseLockout is the first lock period; each further lock of the same key
	// without a quiet Window in between doubles it, up to MaxLockout.
	BaseLockout time.Duration
	MaxLockout  time.Duration
	// PerAddressMaxFailures is how many failures one address may have across
	// all users within Window before the address is locked (password spraying).
	PerAddressMaxFailures int
	// Window is the failure counting window, and the quiet period after which
	// lock periods start again from BaseLockout.
	Window time.Duration
	// UserLockAddresses is how many distinct addresses must each get a fresh
	// pair lock for one user within Window before the user is locked from
	// every address. It is at least 2, so one address alone can never lock
	// the user out elsewhere.
	UserLockAddresses int
	// UserLockout is the first user-wide lock period, doubling up to
	// UserMaxLockout: the longest a distributed attack can deny the user in
	// one go.
	UserLockout    time.Duration
	UserMaxLockout time.Duration
	// UnfamiliarMaxPasswords and UnfamiliarMaxCodes are how many wrong
	// passwords and wrong one-time codes one user may have within Window
	// from addresses that are not familiar for that user, all such
	// addresses together, before the user is locked for unfamiliar
	// addresses (AD FS's extranet smart lockout). Spreading guesses over
	// many addresses does not get more of them.
	UnfamiliarMaxPasswords int
	UnfamiliarMaxCodes     int
	// KnownAddressFor is how long an address the user signed in from
	// successfully stays familiar: exempt from the user-wide lock and not
	// counted by the unfamiliar limits (pair and address locks still
	// apply). Zero disables the exemption: every address is unfamiliar.
	KnownAddressFor time.Duration
}

// unfamiliarLimit is the user-wide limit for kind.
func (p Policy) unfamiliarLimit(k Kind) int {
	if k == KindCode {
		return p.UnfamiliarMaxCodes
	}
	return p.UnfamiliarMaxPasswords
}

// The defaults, documented in docs/security-lockout.md; the configuration
// uses these same constants.
const (
	DefaultMaxFailures            = 5
	DefaultBaseLockout            = time.Minute
	DefaultMaxLockout             = time.Hour
	DefaultPerAddressMaxFailures  = 20
	DefaultWindow                 = 15 * time.Minute
	DefaultUserLockAddresses      = 3
	DefaultUserLockout            = 5 * time.Minute
	DefaultUserMaxLockout         = 30 * time.Minute
	DefaultUnfamiliarMaxPasswords = 20
	DefaultUnfamiliarMaxCodes     = 10
	DefaultFamiliarFor            = 30 * 24 * time.Hour
)

// DefaultPolicy returns the defaults documented in docs/security-lockout.md.
func DefaultPolicy() Policy {
	return Policy{
		MaxFailures:            DefaultMaxFailures,
		BaseLockout:            DefaultBaseLockout,
		MaxLockout:             DefaultMaxLockout,
		PerAddressMaxFailures:  DefaultPerAddressMaxFailures,
		Window:                 DefaultWindow,
		UserLockAddresses:      DefaultUserLockAddresses,
		UserLockout:            DefaultUserLockout,
		UserMaxLockout:         DefaultUserMaxLockout,
		UnfamiliarMaxPasswords: DefaultUnfamiliarMaxPasswords,
		UnfamiliarMaxCodes:     DefaultUnfamiliarMaxCodes,
		KnownAddressFor:        DefaultFamiliarFor,
	}
}

// Validate reports every problem, each with the field it concerns.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field, msg string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(msg, args...)))
	}
	if p.MaxFailures < 1 {
		bad("max_failures", "must be at least 1, got %d", p.MaxFailures)
	}
	if p.PerAddressMaxFailures < p.MaxFailures {
		bad("per_address_max_failures", "must be at least max_failures (%d), got %d", p.MaxFailures, p.PerAddressMaxFailures)
	}
	if p.UnfamiliarMaxPasswords < 1 {
		bad("unfamiliar_max_passwords", "must be at least 1, got %d", p.UnfamiliarMaxPasswords)
	}
	if p.UnfamiliarMaxCodes < 1 {
		bad("unfamiliar_max_codes", "must be at least 1, got %d", p.UnfamiliarMaxCodes)
	}
	if p.UserLockAddresses < 2 {
		bad("user_lock_addresses", "must be at least 2 so one address cannot lock the user out everywhere, got %d", p.UserLockAddresses)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"base_lockout", p.BaseLockout}, {"window", p.Window}, {"user_lockout", p.UserLockout}} {
		if d.v <= 0 {
			bad(d.field, "must be positive, got %v", d.v)
		}
	}
	if p.MaxLockout < p.BaseLockout {
		bad("max_lockout", "must be at least base_lockout (%v), got %v", p.BaseLockout, p.MaxLockout)
	}
	if p.UserMaxLockout < p.UserLockout {
		bad("user_max_lockout", "must be at least user_lockout (%v), got %v", p.UserLockout, p.UserMaxLockout)
	}
	if p.KnownAddressFor < 0 {
		bad("known_address_for", "must not be negative, got %v", p.KnownAddressFor)
	}
	return errors.Join(errs...)
}

// period is base doubled (level-1) times, capped; computed by doubling so it
// cannot overflow.
func period(base, limit time.Duration, level int) time.Duration {
	d := base
	for i := 1; i < level && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
