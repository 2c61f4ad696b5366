package audit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Appender is the durable sink for audit records (the store implements it).
type Appender interface {
	AppendAudit(ctx context.Context, rec Record) error
}

// Options configures a Logger. Every field is optional.
type Options struct {
	// Writer receives one JSON object per line. Nil means no line output.
	Writer io.Writer
	// Store receives every record. Nil means no durable copy.
	Store Appender
	// Now stamps records whose Time is zero. Nil means time.Now.
	Now func() time.Time
	// UnknownUserKey keys the token that replaces a user name that matched
	// no account (Reason ReasonUnknownUser) in every sink. Give the same
	// key (32 random bytes, kept secret) to every process whose records
	// should be comparable. Nil means a random key for this Logger: the
	// name is still never recorded, but tokens differ after a restart.
	UnknownUserKey []byte
}

// Logger writes audit records to its sinks. It is safe for concurrent use.
type Logger struct {
	w     io.Writer
	store Appender
	now   func() time.Time
	key   []byte     // UnknownUserKey
	mu    sync.Mutex // keeps JSON lines whole when Writer is shared
}

// New returns a Logger for opts.
func New(opts Options) *Logger {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	key := opts.UnknownUserKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails
	}
	return &Logger{w: opts.Writer, store: opts.Store, now: now, key: key}
}

// Log sanitises rec, replaces a user name that matched no account by its
// token, stamps it with the clock if its Time is zero and sends it to every
// sink. All sinks are attempted; their errors are joined. The caller
// decides whether a failed audit write aborts the sign-in.
func (l *Logger) Log(ctx context.Context, rec Record) error {
	if rec.Time.IsZero() {
		rec.Time = l.now()
	}
	if rec.Reason == ReasonUnknownUser && rec.User != "" {
		rec.User = unknownUserToken(l.key, rec.User)
	}
	rec = rec.Sanitize()
	var errs []error
	if l.w != nil {
		line, err := json.Marshal(rec)
		if err == nil {
			line = append(line, '\n')
			l.mu.Lock()
			_, err = l.w.Write(line)
			l.mu.Unlock()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("audit: write line: %w", err))
		}
	}
	if l.store != nil {
		if err := l.store.AppendAudit(ctx, rec); err != nil {
			errs = append(errs, fmt.Errorf("audit: append to store: %w", err))
		}
	}
	return errors.Join(errs...)
}
