package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// CreateAppPassword stores an app password's hash. The hash must be a PHC
// string ("$argon2id$..."): refusing anything else keeps a caller bug from
// writing a plaintext password to disk.
func (s *DB) CreateAppPassword(ctx context.Context, p store.AppPassword) (store.AppPassword, error) {
	if p.User == "" || p.Name == "" {
		return store.AppPassword{}, errors.New("store: app password needs a user and a name")
	}
	if !strings.HasPrefix(p.Hash, "$argon2id$") {
		return store.AppPassword{}, errors.New("store: app password hash must be an argon2id PHC string")
	}
	if p.ID == "" {
		id, err := s.newID()
		if err != nil {
			return store.AppPassword{}, err
		}
		p.ID = id
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	p.CreatedAt = p.CreatedAt.UTC()
	_, err := s.exec(ctx, durable, `INSERT INTO app_passwords (id, user_name, name, hash, created_at, last_used_at, revoked)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.User, p.Name, p.Hash, unixNano(p.CreatedAt), unixNano(p.LastUsedAt), boolInt(p.Revoked))
	if err != nil {
		return store.AppPassword{}, fmt.Errorf("store: create app password: %w", mapErr(err))
	}
	return p, nil
}

// AppPasswords lists a user's app passwords, oldest first.
func (s *DB) AppPasswords(ctx context.Context, user string) ([]store.AppPassword, error) {
	rows, err := s.r.query(ctx, `SELECT id, user_name, name, hash, created_at, last_used_at, revoked
		FROM app_passwords WHERE user_name = ? ORDER BY created_at, id`, user)
	if err != nil {
		return nil, fmt.Errorf("store: app passwords: %w", err)
	}
	defer rows.Close()
	var out []store.AppPassword
	for rows.Next() {
		var p store.AppPassword
		var created, used int64
		var revoked int
		if err := rows.Scan(&p.ID, &p.User, &p.Name, &p.Hash, &created, &used, &revoked); err != nil {
			return nil, err
		}
		p.CreatedAt, p.LastUsedAt, p.Revoked = fromNano(created), fromNano(used), revoked != 0
		out = append(out, p)
	}
	return out, rows.Err()
}

// RevokeAppPassword marks an app password revoked; it stays listed.
func (s *DB) RevokeAppPassword(ctx context.Context, id string) error {
	return affectedOne(s.exec(ctx, durable, `UPDATE app_passwords SET revoked = 1 WHERE id = ?`, id))
}

// TouchAppPassword records a use. A revoked password is not touched, so a
// use racing a revocation cannot look like a later successful use. A
// last-used time protects nothing: the commit is relaxed.
func (s *DB) TouchAppPassword(ctx context.Context, id string, when time.Time) error {
	return affectedOne(s.exec(ctx, relaxed, `UPDATE app_passwords SET last_used_at = ? WHERE id = ? AND revoked = 0`,
		unixNano(when), id))
}

// RehashAppPassword replaces the hash of a live app password (a hash made
// before per-user salts, upgraded on its next use). Relaxed: the old hash
// checks the same password, and a lost rehash is redone on the next use.
func (s *DB) RehashAppPassword(ctx context.Context, id, hash string) error {
	return affectedOne(s.exec(ctx, relaxed, `UPDATE app_passwords SET hash = ? WHERE id = ? AND revoked = 0`, hash, id))
}
