package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/seal"
)

// sessionAD binds sealed session data to its (hashed) ID.
func sessionAD(idHash []byte) string { return seal.SessionAD(hex.EncodeToString(idHash)) }

// sessionBlob seals data for the row of idHash when the store has a key (the
// login flow may keep a pending enrolment secret in a session).
func (s *DB) sessionBlob(idHash, data []byte) ([]byte, error) {
	if s.seal == nil {
		return append([]byte{plainVersion}, data...), nil
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
	err = s.sessionWrite(ctx, relaxed, h, func(c wconn) (*sessionRow, error) {
		_, err := c.exec(`INSERT INTO sessions (id_hash, data, expires_at, version) VALUES (?, ?, ?, 1)`,
			h, blob, unixNano(expires))
		return &sessionRow{blob: blob, version: 1, expires: unixNano(expires)}, err
	})
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
	if row, ok := s.cachedSession(h, unixNano(now)); ok {
		blob, version = row.blob, row.version
	} else {
		err := s.r.queryRow(ctx, `SELECT data, version FROM sessions WHERE id_hash = ? AND expires_at > ?`, h, unixNano(now)).
			Scan(&blob, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, 0, false, nil
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("store: get session: %w", err)
		}
	}
	if len(blob) == 0 {
		return nil, 0, false, errCorrupt
	}
	switch {
	case blob[0] == plainVersion && s.seal != nil:
		// With a key every session is sealed and bound to its id. A plain
		// row is from before the key, or was written by someone with
		// access to the file: either way it is not a session to trust.
		return nil, 0, false, nil
	case blob[0] == plainVersion:
		// A copy: the caller owns what it gets, and the cache keeps its row.
		return append([]byte(nil), blob[1:]...), version, true, nil
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
// version+1, in one statement: a row deleted or changed since it was read
// is left alone and ErrConflict returned.
func (s *DB) UpdateSession(ctx context.Context, id string, version int64, data []byte, expires time.Time) error {
	h := store.HashID(id)
	blob, err := s.sessionBlob(h, data)
	if err != nil {
		return err
	}
	err = s.sessionWrite(ctx, relaxed, h, func(c wconn) (*sessionRow, error) {
		res, err := c.exec(`UPDATE sessions SET data = ?, expires_at = ?, version = version + 1
		WHERE id_hash = ? AND version = ?`, blob, unixNano(expires), h, version)
		if err != nil {
			return nil, fmt.Errorf("store: update session: %w", err)
		}
		return &sessionRow{blob: blob, version: version + 1, expires: unixNano(expires)}, oneRow(res, "update session")
	})
	return err
}

// RotateSession deletes oldID at version and creates newID with data in one
// statement. If oldID is gone or changed, nothing is written and
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
	// One statement: the row changes its id, so the old id stops working
	// and the new one exists in the same commit, and a row changed or gone
	// since it was read matches nothing.
	oh := store.HashID(oldID)
	if err := s.sessionWriter(); err != nil {
		return err
	}
	err = s.write(ctx, relaxed, func(c wconn) error {
		if s.sessions != nil {
			s.sessions.order.Lock()
			defer s.sessions.order.Unlock()
		}
		res, err := c.exec(`UPDATE sessions SET id_hash = ?, data = ?, expires_at = ?, version = 1
			WHERE id_hash = ? AND version = ?`, nh, blob, unixNano(expires), oh, version)
		if err == nil {
			err = oneRow(res, "rotate session")
		}
		if s.sessions != nil {
			s.sessions.drop(oh)
			if err == nil {
				s.sessions.put(nh, sessionRow{blob: blob, version: 1, expires: unixNano(expires)})
			} else {
				s.sessions.drop(nh)
			}
		}
		return mapErr(err)
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("store: rotate session: %w", err)
	}
	return err
}

// DeleteSession removes a session; an absent one is not an error. It is
// durable: a sign-out undone by a power cut would revive single sign-on.
func (s *DB) DeleteSession(ctx context.Context, id string) error {
	h := store.HashID(id)
	err := s.sessionWrite(ctx, durable, h, func(c wconn) (*sessionRow, error) {
		_, err := c.exec(`DELETE FROM sessions WHERE id_hash = ?`, h)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// sessionWrite runs fn, a write of session h's row, in the writer's turn
// at d. On a serving DB the cache then holds the row fn returns, or nothing
// for h when fn returned none or an error (memsessions.go).
func (s *DB) sessionWrite(ctx context.Context, d durability, h []byte, fn func(wconn) (*sessionRow, error)) error {
	if err := s.sessionWriter(); err != nil {
		return err
	}
	return s.write(ctx, d, func(c wconn) error {
		if s.sessions == nil {
			_, err := fn(c)
			return err
		}
		s.sessions.order.Lock()
		defer s.sessions.order.Unlock()
		row, err := fn(c)
		if err != nil || row == nil {
			s.sessions.drop(h)
		} else {
			s.sessions.put(h, *row)
		}
		return err
	})
}

// sessionWriter makes sure this DB may write sessions: a serving DB may; a
// DB opened without Options.Serve takes the serve lock shared first, as
// for a lease, so that it cannot write sessions behind a server's cache
// (and a server cannot start while it lives).
func (s *DB) sessionWriter() error {
	if s.sessions != nil {
		return nil
	}
	return s.shareLeaseLock()
}

// cachedSession is session h's row from the cache of a serving DB.
func (s *DB) cachedSession(h []byte, now int64) (sessionRow, bool) {
	if s.sessions == nil {
		return sessionRow{}, false
	}
	return s.sessions.get(h, now)
}

// oneRow turns "no row matched" into ErrConflict.
func oneRow(res sql.Result, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if n != 1 {
		return fmt.Errorf("store: %s: %w", op, store.ErrConflict)
	}
	return nil
}
