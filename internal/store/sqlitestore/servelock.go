package sqlitestore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ServeLockSuffix names the serve lock: the database's path with this
// suffix (claimgate.db.serve-lock), a file next to it that holds no data.
const ServeLockSuffix = ".serve-lock"

// serveLockPath is the lock file of the database at db, named after the
// file's real path (symbolic links resolved, the file's or else its
// directory's), so two paths to one database share one lock. Hard links
// are not followed: the database must not be hard-linked.
func serveLockPath(db string) string {
	if p, err := filepath.EvalSymlinks(db); err == nil {
		return p + ServeLockSuffix
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(db)); err == nil {
		return filepath.Join(d, filepath.Base(db)) + ServeLockSuffix
	}
	return db + ServeLockSuffix
}

// errLockHeld: flock found the serve lock held in a conflicting mode.
var errLockHeld = errors.New("lock held")

// lockFile opens (creating, mode 0600) the file at path and takes its
// flock, exclusive or shared, without waiting. The lock lives as long as
// the returned file stays open, and ends with the process whatever way it
// ends, so a crash never leaves it taken. flock belongs to the open file
// description: two opens in one process conflict as two processes do.
func lockFile(path string, exclusive bool) (*os.File, error) {
	// Read-only is enough for flock, and a lock file another user made
	// (a demo run as root before the service) does not stop the service.
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLockHeld
		}
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return f, nil
}

// takeServeLock takes dbPath's serve lock exclusively, for a DB opened
// with Options.Serve: from then on this DB is the only one on the machine
// that takes leases on the file, so it may keep them in memory.
func takeServeLock(dbPath string) (*os.File, error) {
	f, err := lockFile(serveLockPath(dbPath), true)
	if errors.Is(err, errLockHeld) {
		return nil, fmt.Errorf("store: %s is in use by another claimgate serve (or demo) signing users in: "+
			"the SQLite store is for one instance; to run several, use store.driver postgres", dbPath)
	}
	if err != nil {
		return nil, fmt.Errorf("store: serve lock: %w", err)
	}
	return f, nil
}

// shareLeaseLock takes the serve lock shared, once, before the first lease
// of a DB opened without Options.Serve (such DBs keep leases in the file,
// where they exclude each other across processes): it fails while a
// serving DB, whose leases no one else can see, has the file, and keeps a
// server from starting while this DB lives.
func (s *DB) shareLeaseLock() error {
	s.leaseLockMu.Lock()
	defer s.leaseLockMu.Unlock()
	if s.leaseLock != nil {
		return nil
	}
	if s.closed {
		return errors.New("store: closed")
	}
	f, err := lockFile(serveLockPath(s.path), false)
	if errors.Is(err, errLockHeld) {
		return fmt.Errorf("store: %s is served by a claimgate serve, which keeps its sign-in leases in memory: "+
			"sign users in through it (the SQLite store is for one instance; use store.driver postgres for several)", s.path)
	}
	if err != nil {
		return fmt.Errorf("store: serve lock: %w", err)
	}
	s.leaseLock = f
	return nil
}

// isClosed reports whether Close has run (or Open failed).
func (s *DB) isClosed() bool {
	s.leaseLockMu.Lock()
	defer s.leaseLockMu.Unlock()
	return s.closed
}

// closeLeaseLock releases the serve lock, in either mode, for good: Close
// calls it after the last write (and Open when it fails).
func (s *DB) closeLeaseLock() error {
	s.leaseLockMu.Lock()
	defer s.leaseLockMu.Unlock()
	s.closed = true
	if s.leaseLock == nil {
		return nil
	}
	err := s.leaseLock.Close()
	s.leaseLock = nil
	return err
}
