package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// Store returns next with every operation timed and its failures counted,
// labelled with the operation's name (get_session, use_code, ...). On a nil
// Metrics it returns next.
func (m *Metrics) Store(next store.Store) store.Store {
	if m == nil || next == nil {
		return next
	}
	return &timedStore{m: m, next: next}
}

// timedStore is the decorator. It adds no behaviour: each method calls
// the same method of next with the same arguments and returns its results.
type timedStore struct {
	m    *Metrics
	next store.Store
}

var _ store.Store = (*timedStore)(nil)

// done records one operation that started at start. ErrNotFound,
// ErrDuplicate and ErrConflict are answers, not failures, and an operation
// whose context ended says nothing about the store.
func (s *timedStore) done(ctx context.Context, op string, start time.Time, err *error) {
	s.m.stDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if e := *err; e != nil && ctx.Err() == nil &&
		!errors.Is(e, store.ErrNotFound) && !errors.Is(e, store.ErrDuplicate) && !errors.Is(e, store.ErrConflict) {
		s.m.stErrors.WithLabelValues(op).Inc()
	}
}

func (s *timedStore) AddFactor(ctx context.Context, f store.Factor) (_ store.Factor, err error) {
	defer s.done(ctx, "add_factor", time.Now(), &err)
	return s.next.AddFactor(ctx, f)
}

func (s *timedStore) Factors(ctx context.Context, user string) (_ []store.Factor, err error) {
	defer s.done(ctx, "factors", time.Now(), &err)
	return s.next.Factors(ctx, user)
}

func (s *timedStore) Factor(ctx context.Context, id string) (_ store.Factor, err error) {
	defer s.done(ctx, "factor", time.Now(), &err)
	return s.next.Factor(ctx, id)
}

func (s *timedStore) ConfirmFactor(ctx context.Context, id string) (err error) {
	defer s.done(ctx, "confirm_factor", time.Now(), &err)
	return s.next.ConfirmFactor(ctx, id)
}

func (s *timedStore) DeleteFactor(ctx context.Context, id string) (err error) {
	defer s.done(ctx, "delete_factor", time.Now(), &err)
	return s.next.DeleteFactor(ctx, id)
}

func (s *timedStore) UpdateFactorUse(ctx context.Context, id string, prev, next store.FactorUse, when time.Time) (err error) {
	defer s.done(ctx, "update_factor_use", time.Now(), &err)
	return s.next.UpdateFactorUse(ctx, id, prev, next, when)
}

func (s *timedStore) UseFactorCode(ctx context.Context, u store.CodeUse) (_ bool, err error) {
	defer s.done(ctx, "use_factor_code", time.Now(), &err)
	return s.next.UseFactorCode(ctx, u)
}

func (s *timedStore) RecordSuccess(ctx context.Context, forget, mark string, markUntil time.Time) (err error) {
	defer s.done(ctx, "record_success", time.Now(), &err)
	return s.next.RecordSuccess(ctx, forget, mark, markUntil)
}

func (s *timedStore) UseCode(ctx context.Context, user, factorID, fingerprint string, expires time.Time) (_ bool, err error) {
	defer s.done(ctx, "use_code", time.Now(), &err)
	return s.next.UseCode(ctx, user, factorID, fingerprint, expires)
}

func (s *timedStore) UseStep(ctx context.Context, user, factorID string, step int64) (_ bool, err error) {
	defer s.done(ctx, "use_step", time.Now(), &err)
	return s.next.UseStep(ctx, user, factorID, step)
}

func (s *timedStore) CreateAppPassword(ctx context.Context, p store.AppPassword) (_ store.AppPassword, err error) {
	defer s.done(ctx, "create_app_password", time.Now(), &err)
	return s.next.CreateAppPassword(ctx, p)
}

func (s *timedStore) AppPasswords(ctx context.Context, user string) (_ []store.AppPassword, err error) {
	defer s.done(ctx, "app_passwords", time.Now(), &err)
	return s.next.AppPasswords(ctx, user)
}

func (s *timedStore) RevokeAppPassword(ctx context.Context, id string) (err error) {
	defer s.done(ctx, "revoke_app_password", time.Now(), &err)
	return s.next.RevokeAppPassword(ctx, id)
}

func (s *timedStore) TouchAppPassword(ctx context.Context, id string, when time.Time) (err error) {
	defer s.done(ctx, "touch_app_password", time.Now(), &err)
	return s.next.TouchAppPassword(ctx, id, when)
}

func (s *timedStore) RehashAppPassword(ctx context.Context, id, hash string) (err error) {
	defer s.done(ctx, "rehash_app_password", time.Now(), &err)
	return s.next.RehashAppPassword(ctx, id, hash)
}

func (s *timedStore) IssueEnrolmentCode(ctx context.Context, user string, hash []byte, expires time.Time) (err error) {
	defer s.done(ctx, "issue_enrolment_code", time.Now(), &err)
	return s.next.IssueEnrolmentCode(ctx, user, hash, expires)
}

func (s *timedStore) ConsumeEnrolmentCode(ctx context.Context, user string, hash []byte, now time.Time) (_ bool, err error) {
	defer s.done(ctx, "consume_enrolment_code", time.Now(), &err)
	return s.next.ConsumeEnrolmentCode(ctx, user, hash, now)
}

func (s *timedStore) RecordFailure(ctx context.Context, key string, now time.Time, window time.Duration) (_ int, err error) {
	defer s.done(ctx, "record_failure", time.Now(), &err)
	return s.next.RecordFailure(ctx, key, now, window)
}

func (s *timedStore) TakeAttempts(ctx context.Context, cs []store.AttemptCounter, now time.Time, window time.Duration) (_ []int, _ int, err error) {
	defer s.done(ctx, "take_attempts", time.Now(), &err)
	return s.next.TakeAttempts(ctx, cs, now, window)
}

func (s *timedStore) ReturnAttempts(ctx context.Context, keys []string, at time.Time) (err error) {
	defer s.done(ctx, "return_attempts", time.Now(), &err)
	return s.next.ReturnAttempts(ctx, keys, at)
}

func (s *timedStore) KeepAttempts(ctx context.Context, keys []string, now time.Time, window time.Duration) (err error) {
	defer s.done(ctx, "keep_attempts", time.Now(), &err)
	return s.next.KeepAttempts(ctx, keys, now, window)
}

func (s *timedStore) TakeLease(ctx context.Context, key, owner string, now time.Time, ttl time.Duration) (_ bool, err error) {
	defer s.done(ctx, "take_lease", time.Now(), &err)
	return s.next.TakeLease(ctx, key, owner, now, ttl)
}

func (s *timedStore) ReleaseLease(ctx context.Context, key, owner string) (err error) {
	defer s.done(ctx, "release_lease", time.Now(), &err)
	return s.next.ReleaseLease(ctx, key, owner)
}

func (s *timedStore) ResetFailures(ctx context.Context, key string) (err error) {
	defer s.done(ctx, "reset_failures", time.Now(), &err)
	return s.next.ResetFailures(ctx, key)
}

func (s *timedStore) SetLock(ctx context.Context, key string, until time.Time, level int) (err error) {
	defer s.done(ctx, "set_lock", time.Now(), &err)
	return s.next.SetLock(ctx, key, until, level)
}

func (s *timedStore) Lock(ctx context.Context, key string) (_ time.Time, _ int, err error) {
	defer s.done(ctx, "lock", time.Now(), &err)
	return s.next.Lock(ctx, key)
}

func (s *timedStore) LockRecords(ctx context.Context, keys []string) (_ []store.LockEntry, err error) {
	defer s.done(ctx, "lock_records", time.Now(), &err)
	return s.next.LockRecords(ctx, keys)
}

func (s *timedStore) Locks(ctx context.Context, now time.Time) (_ []store.LockEntry, err error) {
	defer s.done(ctx, "locks", time.Now(), &err)
	return s.next.Locks(ctx, now)
}

func (s *timedStore) Unlock(ctx context.Context, key string) (err error) {
	defer s.done(ctx, "unlock", time.Now(), &err)
	return s.next.Unlock(ctx, key)
}

func (s *timedStore) UnlockPrefix(ctx context.Context, prefix string) (_ int64, err error) {
	defer s.done(ctx, "unlock_prefix", time.Now(), &err)
	return s.next.UnlockPrefix(ctx, prefix)
}

func (s *timedStore) CreateSession(ctx context.Context, id string, data []byte, expires time.Time) (err error) {
	defer s.done(ctx, "create_session", time.Now(), &err)
	return s.next.CreateSession(ctx, id, data, expires)
}

func (s *timedStore) GetSession(ctx context.Context, id string, now time.Time) (_ []byte, _ int64, _ bool, err error) {
	defer s.done(ctx, "get_session", time.Now(), &err)
	return s.next.GetSession(ctx, id, now)
}

func (s *timedStore) UpdateSession(ctx context.Context, id string, version int64, data []byte, expires time.Time) (err error) {
	defer s.done(ctx, "update_session", time.Now(), &err)
	return s.next.UpdateSession(ctx, id, version, data, expires)
}

func (s *timedStore) RotateSession(ctx context.Context, oldID string, version int64, newID string, data []byte, expires time.Time) (err error) {
	defer s.done(ctx, "rotate_session", time.Now(), &err)
	return s.next.RotateSession(ctx, oldID, version, newID, data, expires)
}

func (s *timedStore) DeleteSession(ctx context.Context, id string) (err error) {
	defer s.done(ctx, "delete_session", time.Now(), &err)
	return s.next.DeleteSession(ctx, id)
}

func (s *timedStore) TakeSMSSend(ctx context.Context, user, factorID, hash string, now time.Time, lim store.SMSLimits) (_ store.SMSSend, err error) {
	defer s.done(ctx, "take_sms_send", time.Now(), &err)
	return s.next.TakeSMSSend(ctx, user, factorID, hash, now, lim)
}

func (s *timedStore) UndoSMSSend(ctx context.Context, user, factorID, hash string, prev store.PendingSMS) (err error) {
	defer s.done(ctx, "undo_sms_send", time.Now(), &err)
	return s.next.UndoSMSSend(ctx, user, factorID, hash, prev)
}

func (s *timedStore) ConsumeSMSCode(ctx context.Context, user, factorID, hash string, now time.Time) (_ bool, err error) {
	defer s.done(ctx, "consume_sms_code", time.Now(), &err)
	return s.next.ConsumeSMSCode(ctx, user, factorID, hash, now)
}

func (s *timedStore) AppendAudit(ctx context.Context, rec audit.Record) (err error) {
	defer s.done(ctx, "append_audit", time.Now(), &err)
	return s.next.AppendAudit(ctx, rec)
}

func (s *timedStore) ListAudit(ctx context.Context, f store.AuditFilter) (_ []audit.Record, err error) {
	defer s.done(ctx, "list_audit", time.Now(), &err)
	return s.next.ListAudit(ctx, f)
}

func (s *timedStore) PruneAudit(ctx context.Context, before time.Time) (_ int64, err error) {
	defer s.done(ctx, "prune_audit", time.Now(), &err)
	return s.next.PruneAudit(ctx, before)
}

func (s *timedStore) Cleanup(ctx context.Context, now time.Time, keep time.Duration) (_ int64, err error) {
	defer s.done(ctx, "cleanup", time.Now(), &err)
	return s.next.Cleanup(ctx, now, keep)
}

// Close closes next; it is not timed (it happens once).
func (s *timedStore) Close() error { return s.next.Close() }
