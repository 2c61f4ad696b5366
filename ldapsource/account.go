package ldapsource

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/claimgate/claimgate/claims"
)

// userAccountControl and msDS-User-Account-Control-Computed bits (MS-ADTS 2.2.16).
const (
	ufAccountDisable     = 0x2
	ufLockout            = 0x10
	ufDontExpirePasswd   = 0x10000
	ufPasswordExpired    = 0x800000
	accountNeverExpires  = math.MaxInt64 // accountExpires "never", as is 0
	filetimeUnixEpochGap = 116444736000000000
)

// accountFacts are the attributes that decide whether an account may sign
// in at all, as read from the directory.
type accountFacts struct {
	UAC         int64
	ComputedUAC int64 // msDS-User-Account-Control-Computed
	HasComputed bool  // the DC returned the constructed attribute
	LockoutTime int64 // FILETIME; 0 = not locked
	Expires     int64 // accountExpires FILETIME; 0 or MaxInt64 = never
	PwdLastSet  int64 // FILETIME; 0 = must change at next logon
}

// filetime converts a Windows FILETIME (100 ns ticks since 1601) to time.
func filetime(ft int64) time.Time {
	return time.Unix(0, 0).UTC().Add(time.Duration(ft-filetimeUnixEpochGap) * 100)
}

// accountState refuses accounts that must not sign in whatever the
// password: disabled, locked out, past accountExpires. It runs before the
// user bind (and for Lookup), so such an account never gets a token even
// if a directory lets its bind through.
//
// Lockout: the DC computes UF_LOCKOUT into msDS-User-Account-Control-Computed
// from lockoutTime and the domain's lockoutDuration, so that is used when
// present. Without it, lockoutTime != 0 counts as locked: AD leaves
// lockoutTime set after the lockout duration ends until the next
// successful logon, so this errs on the side of refusing.
func accountState(f accountFacts, now time.Time) error {
	if f.UAC&ufAccountDisable != 0 {
		return claims.Rejected(claims.ReasonDisabled, "userAccountControl has ACCOUNTDISABLE")
	}
	if f.HasComputed {
		if f.ComputedUAC&ufLockout != 0 {
			return claims.Rejected(claims.ReasonLockedOut, "msDS-User-Account-Control-Computed has LOCKOUT")
		}
	} else if f.LockoutTime != 0 {
		return claims.Rejected(claims.ReasonLockedOut, "lockoutTime is set")
	}
	if f.Expires != 0 && f.Expires != accountNeverExpires {
		if at := filetime(f.Expires); !now.Before(at) {
			return claims.Rejected(claims.ReasonAccountExpired, "accountExpires "+at.Format(time.RFC3339))
		}
	}
	return nil
}

// passwordState refuses passwords AD would not accept for a logon even when
// they are correct: must change at next logon (pwdLastSet = 0) and expired.
// AD reports these on the bind only with the right password (773, 532), so
// this runs after a successful bind, where it only matters for a directory
// that let the bind pass.
func passwordState(f accountFacts) error {
	if f.PwdLastSet == 0 {
		return claims.Rejected(claims.ReasonMustChange, "pwdLastSet is 0")
	}
	if f.HasComputed && f.ComputedUAC&ufPasswordExpired != 0 && f.UAC&ufDontExpirePasswd == 0 {
		return claims.Rejected(claims.ReasonPasswordExpired, "msDS-User-Account-Control-Computed has PASSWORD_EXPIRED")
	}
	return nil
}

// parseInt reads an integer attribute; absent means 0.
func parseInt(attr string, vals []string) (int64, error) {
	if len(vals) == 0 || vals[0] == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(vals[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", attr, err)
	}
	return n, nil
}
