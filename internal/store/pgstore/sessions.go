package pgstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

// sessionAD binds sealed session data to its (hashed) ID.
func sessionAD(idHash []byte) string { return seal.SessionAD(hex.EncodeToString(idHash)) }

// sessionBlob seals data for the row of idHash when the store has a key (the
// login flow may keep a pending enrolment secret in a session).
func (s *DB) sessionBlob(idHash, data []byte) ([]byte, error) {
	if s.seal == nil {
		return append([]byte{seal.PlainVersion}, data...), nil
	}
	return s.seal.Seal(data, sessionAD(idHash))
}

// CreateSession inserts a session at version 1 under SHA-256(id). It never
// replaces a row: an id that exists already is ErrDuplicate.
func (s *DB) CreateSession(ctx context.Context, id string, data []byte, expires time.Time) error {
	if id == "" {
		return errors.New("store: empty session id")
	}
	h := store.HashID(id)
	blob, err := s.sessionBlob(h, data)
	if err != nil {
		return err
	}
	_, err = s.relaxedExec(ctx, s.pool, `INSERT INTO sessions (id_hash, data, expires_at, version) VALUES ($1, $2, $3, 1)`,
		h, blob, unixNano(expires))
	if err != nil {
		return fmt.Errorf("store: create session: %w", mapErr(err))
	}
	return nil
}

// GetSession returns an unexpired session's data and version.
func (s *DB) GetSession(ctx context.Context, id string, now time.Time) ([]byte, int64, bool, error) {
	h := store.HashID(id)
	var blob []byte
	var version int64
	err := s.pool.QueryRow(ctx, `SELECT data, version FROM sessions WHERE id_hash = $1 AND expires_at > $2`, h, unixNano(now)).
		Scan(&blob, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: get session: %w", err)
	}
	if len(blob) == 0 {
		return nil, 0, false, seal.ErrCorrupt
	}
	switch {
	case blob[0] == seal.PlainVersion && s.seal != nil:
		// With a key every session is sealed and bound to its id; a plain
		// row is from before the key or was written behind claimgate's
		// back. Either way it is not a session to trust.
		return nil, 0, false, nil
	case blob[0] == seal.PlainVersion:
		return blob[1:], version, true, nil
	case s.seal == nil:
		return nil, 0, false, store.ErrNoKey
	}
	data, err := s.seal.Open(blob, sessionAD(h))
	if err != nil {
		return nil, 0, false, err
	}
	return data, version, true, nil
}

// UpdateSession replaces the data of the session at version, moving it to
// version+1, in one statement: a concurrent writer of the same version
// waits, then finds the version moved, so exactly one of them wins, and a
// row deleted since is left alone (ErrConflict).
func (s *DB) UpdateSession(ctx context.Context, id string, version int64, data []byte, expires time.Time) error {
	h := store.HashID(id)
	blob, err := s.sessionBlob(h, data)
	if err != nil {
		return err
	}
	tag, err := s.relaxedExec(ctx, s.pool, `UPDATE sessions SET data = $1, expires_at = $2, version = version + 1
		WHERE id_hash = $3 AND version = $4`, blob, unixNano(expires), h, version)
	return oneRow(tag, err, "update session")
}

// RotateSession deletes oldID at version and creates newID with data in one
// transaction. If oldID is gone or changed, nothing is written and
// ErrConflict is returned: a session is rotated at most once.
func (s *DB) RotateSession(ctx context.Context, oldID string, version int64, newID string, data []byte, expires time.Time) error {
	if newID == "" {
		return errors.New("store: empty session id")
	}
	nh := store.HashID(newID)
	blob, err := s.sessionBlob(nh, data)
	if err != nil {
		return err
	}
	err = s.relaxedTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1 AND version = $2`, store.HashID(oldID), version)
		if err := oneRow(tag, err, "rotate session"); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO sessions (id_hash, data, expires_at, version) VALUES ($1, $2, $3, 1)`,
			nh, blob, unixNano(expires))
		return mapErr(err)
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("store: rotate session: %w", err)
	}
	return err
}

// DeleteSession removes a session; an absent one is not an error.
func (s *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, store.HashID(id)); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// oneRow turns "no row matched" into ErrConflict.
func oneRow(tag pgconn.CommandTag, err error, op string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	return nil
}
