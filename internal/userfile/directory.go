package userfile

import (
	"context"
	"fmt"
	"strings"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
)

// directory is the contract internal/login declares (see TEAM.md); this
// local copy pins Directory to it without importing the consumer.
type directory interface {
	Authenticate(ctx context.Context, username, password string) (claims.Identity, error)
	Lookup(ctx context.Context, username string) (claims.Identity, error)
}

var _ directory = (*Directory)(nil)

// Directory answers sign-ins from a users file. It is read-only after
// Load and safe for concurrent use.
type Directory struct {
	// Limiter bounds the password checks running at once (argon2id holds
	// 19 MiB each); set it before the first check, to the process's one
	// Limiter (internal/app does). Nil means no bound, for one-shot
	// commands and tests.
	Limiter *mfa.Limiter

	domain string
	bySAM  map[string]*entry // lower-case username
	byUPN  map[string]*entry // lower-case UPN
	// dummy is checked for unknown users so they cost as much as known ones.
	dummy string
}

type entry struct {
	id       claims.Identity
	hash     string
	totp     []byte
	disabled bool
}

// Load reads, validates and indexes the users file at path. Every problem
// in the file is reported at once, each with its path.
func Load(path string) (*Directory, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return New(f)
}

// New builds a Directory from an already decoded file (validated again here).
func New(f *File) (*Directory, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	d := &Directory{
		domain: f.Domain,
		bySAM:  make(map[string]*entry, len(f.Users)),
		byUPN:  make(map[string]*entry, len(f.Users)),
	}
	for _, u := range f.Users {
		e := &entry{
			id: claims.Identity{
				Username:        u.Username,
				UPN:             u.UPN,
				Domain:          f.Domain,
				DisplayName:     u.DisplayName,
				Email:           u.Email,
				Mobile:          u.Mobile,
				SID:             u.SID,
				PrimaryGroupSID: u.PrimaryGroupSID,
				GroupSIDs:       append([]string(nil), u.GroupSIDs...),
			},
			hash:     u.PasswordHash,
			disabled: u.Disabled,
		}
		if u.TOTPSecret != "" {
			s, err := mfa.DecodeBase32(u.TOTPSecret)
			if err != nil { // validated above; kept for safety
				return nil, fmt.Errorf("users file: %s: %w", u.Username, err)
			}
			e.totp = s
		}
		d.bySAM[strings.ToLower(u.Username)] = e
		if u.UPN != "" {
			d.byUPN[strings.ToLower(u.UPN)] = e
		}
	}
	dummy, err := mfa.DummyHashLike(commonHash(f.Users))
	if err != nil {
		return nil, fmt.Errorf("users file: dummy hash: %w", err)
	}
	d.dummy = dummy
	return d, nil
}

// commonHash returns a hash whose algorithm and cost parameters are the
// ones most users have, so the dummy check costs what a real one costs.
func commonHash(users []User) string {
	count := map[string]int{}
	example := map[string]string{}
	best := ""
	for _, u := range users {
		k := hashShape(u.PasswordHash)
		count[k]++
		if _, ok := example[k]; !ok {
			example[k] = u.PasswordHash
		}
		if best == "" || count[k] > count[best] {
			best = k
		}
	}
	return example[best]
}

// hashShape is the part of a hash that decides its cost: "$argon2id$v=19$m=..,t=..,p=.."
// or "$2b$10".
func hashShape(h string) string {
	parts := strings.SplitN(h, "$", 5)
	if strings.HasPrefix(h, "$argon2id$") && len(parts) == 5 {
		return strings.Join(parts[:4], "$")
	}
	if len(parts) >= 3 {
		return strings.Join(parts[:3], "$")
	}
	return h
}

// resolve finds a user by "sam", "DOMAIN\sam" or UPN, case-insensitively.
func (d *Directory) resolve(username string) *entry {
	u := strings.ToLower(strings.TrimSpace(username))
	if i := strings.IndexByte(u, '\\'); i >= 0 {
		if d.domain == "" || u[:i] != strings.ToLower(d.domain) {
			return nil
		}
		return d.bySAM[u[i+1:]]
	}
	if strings.Contains(u, "@") {
		return d.byUPN[u]
	}
	return d.bySAM[u]
}

// Authenticate checks username and password. A refused sign-in is a
// *claims.RejectedError with ReasonUnknownUser, ReasonBadPassword or
// ReasonDisabled; the password is checked before the disabled flag so the
// flag is not revealed to someone without the password.
func (d *Directory) Authenticate(ctx context.Context, username, password string) (claims.Identity, error) {
	if err := ctx.Err(); err != nil {
		return claims.Identity{}, err
	}
	e := d.resolve(username)
	if e == nil {
		// Spend the same time as a real check, waiting for the Limiter
		// like one; the result is irrelevant.
		if err := d.Limiter.RunFor(ctx, d.dummy, func() { _, _ = mfa.CheckPassword(d.dummy, password) }); err != nil {
			return claims.Identity{}, fmt.Errorf("userfile: password check: %w", err)
		}
		return claims.Identity{}, claims.Rejected(claims.ReasonUnknownUser, "not in the users file")
	}
	var ok bool
	var hashErr error
	if err := d.Limiter.RunFor(ctx, e.hash, func() { ok, hashErr = mfa.CheckPassword(e.hash, password) }); err != nil {
		// The request ended while waiting: the same error as for an
		// unknown name, so it tells nothing.
		return claims.Identity{}, fmt.Errorf("userfile: password check: %w", err)
	}
	if hashErr != nil {
		return claims.Identity{}, fmt.Errorf("userfile: password hash of %s: %w", e.id.Username, hashErr)
	}
	if !ok || password == "" {
		return claims.Identity{}, claims.Rejected(claims.ReasonBadPassword, "")
	}
	if e.disabled {
		return claims.Identity{}, claims.Rejected(claims.ReasonDisabled, "disabled in the users file")
	}
	return e.identity(), nil
}

// Lookup finds a user without a password. Unknown users are
// ReasonUnknownUser, disabled ones ReasonDisabled.
func (d *Directory) Lookup(ctx context.Context, username string) (claims.Identity, error) {
	if err := ctx.Err(); err != nil {
		return claims.Identity{}, err
	}
	e := d.resolve(username)
	if e == nil {
		return claims.Identity{}, claims.Rejected(claims.ReasonUnknownUser, "not in the users file")
	}
	if e.disabled {
		return claims.Identity{}, claims.Rejected(claims.ReasonDisabled, "disabled in the users file")
	}
	return e.identity(), nil
}

// TOTPSecret returns a copy of the user's TOTP seed, for the second step
// of the sign-in. It reports false for unknown and disabled users and for
// users without a seed.
func (d *Directory) TOTPSecret(username string) ([]byte, bool) {
	e := d.resolve(username)
	if e == nil || e.disabled || len(e.totp) == 0 {
		return nil, false
	}
	return append([]byte(nil), e.totp...), true
}

// identity returns a copy the caller may change.
func (e *entry) identity() claims.Identity {
	id := e.id
	id.GroupSIDs = append([]string(nil), e.id.GroupSIDs...)
	return id
}
