package userfile

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
)

// ValidationError lists every problem found in a users file, each with
// the path of the offending value.
type ValidationError struct {
	File     string
	Problems []string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "users file %s: %d problem(s):", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

// Validate checks every entry and reports all problems at once.
func (f *File) Validate() error {
	if p := f.problems(); len(p) > 0 {
		return &ValidationError{File: "(in memory)", Problems: p}
	}
	return nil
}

// minTOTPSecret is RFC 4226's minimum shared secret length (R6: 128 bits).
const minTOTPSecret = 16

func (f *File) problems() []string {
	var out []string
	add := func(path, format string, args ...any) {
		out = append(out, path+": "+fmt.Sprintf(format, args...))
	}
	// sendable reports a value no token could carry (XML 1.0 has no way
	// to write U+FFFE or most controls), so the sign-in would otherwise
	// fail only at issuance. It returns false so the field's own check
	// does not add a second, vaguer problem for the same value.
	sendable := func(path, v string) bool {
		if err := claims.CheckXMLText(v); err != nil {
			add(path, "%v cannot be sent in a token (XML 1.0)", err)
			return false
		}
		return true
	}
	if f.Domain != "" && sendable("domain", f.Domain) && !validNetBIOS(f.Domain) {
		add("domain", "not a NetBIOS domain name (1-15 characters, none of \\ / : * ? \" < > | . or spaces)")
	}
	if len(f.Users) == 0 {
		add("users", "at least one user is required")
	}
	names := map[string]int{}
	upns := map[string]int{}
	sids := map[string]int{}
	for i, u := range f.Users {
		p := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Username == "":
			add(p+".username", "required")
		case !sendable(p+".username", u.Username):
		case !validSAM(u.Username):
			add(p+".username", "must be 1-256 characters without spaces, control characters or any of \" / \\ [ ] : ; | = , + * ? < > @")
		default:
			k := strings.ToLower(u.Username)
			if j, dup := names[k]; dup {
				add(p+".username", "%q already used by users[%d] (names are case-insensitive)", u.Username, j)
			} else {
				names[k] = i
			}
		}
		if u.UPN != "" && sendable(p+".upn", u.UPN) {
			k := strings.ToLower(u.UPN)
			if !validUPN(u.UPN) {
				add(p+".upn", "not a user principal name (name@suffix)")
			} else if j, dup := upns[k]; dup {
				add(p+".upn", "%q already used by users[%d]", u.UPN, j)
			} else {
				upns[k] = i
			}
		}
		sendable(p+".display_name", u.DisplayName)
		if u.Email != "" && sendable(p+".email", u.Email) && !validUPN(u.Email) {
			add(p+".email", "not an e-mail address")
		}
		if u.Mobile != "" && sendable(p+".mobile", u.Mobile) && !validPhone(u.Mobile) {
			add(p+".mobile", "not a phone number (digits, optionally a leading +, 6-15 digits)")
		}
		if u.SID != "" {
			if !ValidSID(u.SID) {
				add(p+".sid", "not a SID (want S-1-5-21-...)")
			} else if j, dup := sids[u.SID]; dup {
				add(p+".sid", "already used by users[%d]", j)
			} else {
				sids[u.SID] = i
			}
		}
		if u.PrimaryGroupSID != "" && !ValidSID(u.PrimaryGroupSID) {
			add(p+".primary_group_sid", "not a SID (want S-1-5-21-...-513)")
		}
		seen := map[string]int{}
		for j, g := range u.GroupSIDs {
			gp := fmt.Sprintf("%s.group_sids[%d]", p, j)
			if !ValidSID(g) {
				add(gp, "not a SID (want S-1-5-21-...)")
			} else if k, dup := seen[g]; dup {
				add(gp, "duplicate of group_sids[%d]", k)
			} else {
				seen[g] = j
			}
		}
		if u.PasswordHash == "" {
			add(p+".password_hash", "required (make one with: claimgate hash-password)")
		} else if err := mfa.CheckHashFormat(u.PasswordHash); err != nil {
			add(p+".password_hash", "not an argon2id PHC string or bcrypt hash within limits")
		}
		if u.TOTPSecret != "" {
			if s, err := mfa.DecodeBase32(u.TOTPSecret); err != nil {
				add(p+".totp_secret", "not Base32")
			} else if len(s) < minTOTPSecret {
				add(p+".totp_secret", "%d bytes; at least %d are required (RFC 4226)", len(s), minTOTPSecret)
			}
		}
	}
	return out
}

var sidRE = regexp.MustCompile(`^S-1-([0-9]+|0[xX][0-9A-Fa-f]{12})((-[0-9]+){1,15})$`)

// ValidSID reports whether s is a SID in string form: S-1-<authority>
// followed by one to fifteen sub-authorities, with the authority below
// 2^48 and each sub-authority below 2^32.
func ValidSID(s string) bool {
	m := sidRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	if !strings.HasPrefix(m[1], "0x") && !strings.HasPrefix(m[1], "0X") {
		a, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil || a >= 1<<48 {
			return false
		}
	}
	for _, sub := range strings.Split(m[2][1:], "-") {
		v, err := strconv.ParseUint(sub, 10, 64)
		if err != nil || v > math.MaxUint32 {
			return false
		}
	}
	return true
}

func validNetBIOS(s string) bool {
	return len(s) <= 15 && s != "" && !strings.ContainsAny(s, "\\/:*?\"<>|. \t") && printable(s)
}

func validSAM(s string) bool {
	return len(s) <= 256 && !strings.ContainsAny(s, "\"/\\[]:;|=,+*?<>@ \t") && printable(s)
}

func validUPN(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Count(s, "@") == 1 && !strings.ContainsAny(s, " \t\\") && printable(s)
}

func validPhone(s string) bool {
	d := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	d = strings.TrimPrefix(d, "+")
	if len(d) < 6 || len(d) > 15 {
		return false
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
