package ldapsource

import (
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
)

// ft converts a time to a Windows FILETIME.
func ft(t time.Time) int64 { return t.UnixNano()/100 + filetimeUnixEpochGap }

func TestFiletime(t *testing.T) {
	// 2020-01-01T00:00:00Z, the accountExpires setup.sh gives frank.
	if got := filetime(132223104000000000); !got.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("filetime = %s", got)
	}
}

func TestAccountState(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ok := accountFacts{UAC: 0x200, HasComputed: true, PwdLastSet: ft(now.Add(-time.Hour))}
	with := func(f func(*accountFacts)) accountFacts { a := ok; f(&a); return a }
	for name, tc := range map[string]struct {
		f    accountFacts
		want claims.Reason
	}{
		"normal":               {ok, ""},
		"never expires (0)":    {with(func(a *accountFacts) { a.Expires = 0 }), ""},
		"never expires (max)":  {with(func(a *accountFacts) { a.Expires = accountNeverExpires }), ""},
		"expires tomorrow":     {with(func(a *accountFacts) { a.Expires = ft(now.Add(24 * time.Hour)) }), ""},
		"expired yesterday":    {with(func(a *accountFacts) { a.Expires = ft(now.Add(-24 * time.Hour)) }), claims.ReasonAccountExpired},
		"expires this instant": {with(func(a *accountFacts) { a.Expires = ft(now) }), claims.ReasonAccountExpired},
		"disabled":             {with(func(a *accountFacts) { a.UAC |= ufAccountDisable }), claims.ReasonDisabled},
		"disabled and expired": {with(func(a *accountFacts) { a.UAC |= ufAccountDisable; a.Expires = 1 }), claims.ReasonDisabled},
		"computed lockout":     {with(func(a *accountFacts) { a.ComputedUAC = ufLockout; a.LockoutTime = ft(now) }), claims.ReasonLockedOut},
		// The DC computed "not locked": lockout duration is over although
		// lockoutTime is still set (it is cleared at the next logon).
		"lockout over":                 {with(func(a *accountFacts) { a.LockoutTime = ft(now.Add(-48 * time.Hour)) }), ""},
		"no computed, lockoutTime set": {with(func(a *accountFacts) { a.HasComputed = false; a.LockoutTime = 1 }), claims.ReasonLockedOut},
		"no computed, lockoutTime 0":   {with(func(a *accountFacts) { a.HasComputed = false }), ""},
		// Password state is not an account-state matter (AD says 773/532
		// only for a correct password).
		"must change": {with(func(a *accountFacts) { a.PwdLastSet = 0 }), ""},
	} {
		got, _ := claims.IsRejected(accountState(tc.f, now))
		if got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

func TestPasswordState(t *testing.T) {
	set := ft(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for name, tc := range map[string]struct {
		f    accountFacts
		want claims.Reason
	}{
		"fine":                         {accountFacts{PwdLastSet: set, HasComputed: true}, ""},
		"must change":                  {accountFacts{PwdLastSet: 0}, claims.ReasonMustChange},
		"expired":                      {accountFacts{PwdLastSet: set, HasComputed: true, ComputedUAC: ufPasswordExpired}, claims.ReasonPasswordExpired},
		"expired but never-expire set": {accountFacts{PwdLastSet: set, HasComputed: true, UAC: ufDontExpirePasswd, ComputedUAC: ufPasswordExpired}, ""},
	} {
		got, _ := claims.IsRejected(passwordState(tc.f))
		if got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
