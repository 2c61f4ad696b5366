package pgstore

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
// writing a plaintext password to the database.
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
	_, err := s.pool.Exec(ctx, `INSERT INTO app_passwords (id, user_name, name, hash, created_at, last_used_at, revoked)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.User, p.Name, p.Hash, unixNano(p.CreatedAt), unixNano(p.LastUsedAt), p.Revoked)
	if err != nil {
		return store.AppPassword{}, fmt.Errorf("store: create app password: %w", mapErr(err))
	}
	return p, nil
}

// AppPasswords lists a user's app passwords, oldest first.
func (s *DB) AppPasswords(ctx context.Context, user string) ([]store.AppPassword, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, user_name, name, hash, created_at, last_used_at, revoked
		FROM app_passwords WHERE user_name = $1 ORDER BY created_at, id`, user)
	if err != nil {
		return nil, fmt.Errorf("store: app passwords: %w", err)
	}
	defer rows.Close()
	var out []store.AppPassword
	for rows.Next() {
		var p store.AppPassword
		var created, used int64
		if err := rows.Scan(&p.ID, &p.User, &p.Name, &p.Hash, &created, &used, &p.Revoked); err != nil {
			return nil, err
		}
		p.CreatedAt, p.LastUsedAt = fromNano(created), fromNano(used)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: app passwords: %w", err)
	}
	return out, nil
}

// RevokeAppPassword marks an app password revoked; it stays listed.
func (s *DB) RevokeAppPassword(ctx context.Context, id string) error {
	return affectedOne(s.pool.Exec(ctx, `UPDATE app_passwords SET revoked = TRUE WHERE id = $1`, id))
}

// TouchAppPassword records a use. A revoked password is not touched, so a
// use racing a revocation cannot look like a later successful use.
func (s *DB) TouchAppPassword(ctx context.Context, id string, when time.Time) error {
	return affectedOne(s.relaxedExec(ctx, s.pool, `UPDATE app_passwords SET last_used_at = $1 WHERE id = $2 AND NOT revoked`,
		unixNano(when), id))
}

// RehashAppPassword replaces the hash of a live app password.
func (s *DB) RehashAppPassword(ctx context.Context, id, hash string) error {
	return affectedOne(s.relaxedExec(ctx, s.pool, `UPDATE app_passwords SET hash = $1 WHERE id = $2 AND NOT revoked`, hash, id))
}
