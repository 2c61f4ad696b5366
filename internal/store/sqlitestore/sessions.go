package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// sessionAD binds sealed session data to its (hashed) ID.
func sessionAD(idHash []byte) string { return "session/" + hex.EncodeToString(idHash) }

// PutSession stores the session under SHA-256(id), its data sealed when the
// store has a key (the login flow may keep a pending enrolment secret there).
func (s *DB) PutSession(ctx context.Context, id string, data []byte, expires time.Time) error {
	if id == "" {
		return errors.New("store: empty session id")
	}
	h := store.HashID(id)
	blob := append([]byte{plainVersion}, data...)
	if s.seal != nil {
		var err error
		if blob, err = s.seal.seal(data, sessionAD(h)); err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, data, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
		h, blob, unixNano(expires))
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	return nil
}

// GetSession returns an unexpired session's data.
func (s *DB) GetSession(ctx context.Context, id string, now time.Time) ([]byte, bool, error) {
	h := store.HashID(id)
	var blob []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM sessions WHERE id_hash = ? AND expires_at > ?`, h, unixNano(now)).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: get session: %w", err)
	}
	if len(blob) == 0 {
		return nil, false, errCorrupt
	}
	switch {
	case blob[0] == plainVersion && s.seal != nil:
		// With a key every session is sealed and bound to its id. A plain
		// row is from before the key, or was written by someone with
		// access to the file: either way it is not a session to trust.
		return nil, false, nil
	case blob[0] == plainVersion:
		return blob[1:], true, nil
	case s.seal == nil:
		return nil, false, store.ErrNoKey
	}
	data, err := s.seal.open(blob, sessionAD(h))
	if err != nil {
		return nil, false, err
	}
	return data, true, nil
}

// DeleteSession removes a session; an absent one is not an error.
func (s *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, store.HashID(id)); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
