package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
)

// Defaults of AuditBatchOptions.
const (
	DefaultAuditMaxBatch = 256
	DefaultAuditQueue    = 4096
	DefaultAuditRetry    = 250 * time.Millisecond
	// auditWriteTimeout bounds one batch write, so a database that stops
	// answering (a dead TCP connection, which no statement timeout covers)
	// cannot stall the queue forever.
	auditWriteTimeout = 10 * time.Second
	// auditCloseAttempts is how many times Close still tries a failing
	// batch before it counts the records lost: a shutdown must end.
	auditCloseAttempts = 2
)

// ErrAuditClosed is an append to an AuditBatcher that was closed.
var ErrAuditClosed = errors.New("store: audit trail closed")

// AuditBatchOptions bounds an AuditBatcher. Zero fields take the defaults.
type AuditBatchOptions struct {
	// MaxBatch caps the records one write takes (DefaultAuditMaxBatch).
	MaxBatch int
	// Queue caps the records waiting to be written (DefaultAuditQueue). An
	// append to a full queue waits for room or for its context to end:
	// back-pressure on the requests, never unbounded memory.
	Queue int
	// Retry is the pause after a failed write before it is tried again
	// (DefaultAuditRetry).
	Retry time.Duration
}

// AuditBatcher is the group commit of the audit trail that both drivers
// use: AppendAudit queues a record and returns, and one goroutine writes
// what has queued (up to MaxBatch records) in one transaction, then the
// next lot. While one write commits, the records arriving meanwhile form
// the next batch, so the batches grow with the load and a quiet server
// writes each record at once: no timer adds latency, and a refused sign-in
// attempt during a flood costs a share of one commit instead of a commit.
//
// What this gives up: a record is in the database a moment after
// AppendAudit returned, not when it returns. A crash of the process loses
// the records still queued (at most Queue, in practice those of the last
// commit's duration); a clean Close loses none. Order is kept: records are
// written in the order their appends returned. A failed write is retried
// with its records at the head of the queue; while writes fail, appends
// still queue but report the failure, so the caller's error log shows it.
type AuditBatcher struct {
	write    func(ctx context.Context, recs []audit.Record) error
	ch       chan auditItem
	max      int
	retry    time.Duration
	mu       sync.RWMutex // appends send under the read lock; Close takes it to stop them
	closed   bool
	stopping chan struct{} // closed when Close starts
	done     chan struct{} // closed when the writer has drained the queue
	once     sync.Once

	errMu   sync.Mutex
	failing error // the last write's error; nil once a write worked
	lost    error // what Close could not write
}

// auditItem is a record, or (flush non-nil) a Flush marker.
type auditItem struct {
	rec   audit.Record
	flush chan error
}

// NewAuditBatcher starts the goroutine that writes batches with write,
// which must store recs, in order, in one transaction (all or none). Close
// stops it.
func NewAuditBatcher(write func(ctx context.Context, recs []audit.Record) error, o AuditBatchOptions) *AuditBatcher {
	b := &AuditBatcher{write: write, max: o.MaxBatch, retry: o.Retry,
		stopping: make(chan struct{}), done: make(chan struct{})}
	if b.max <= 0 {
		b.max = DefaultAuditMaxBatch
	}
	if b.retry <= 0 {
		b.retry = DefaultAuditRetry
	}
	q := o.Queue
	if q <= 0 {
		q = DefaultAuditQueue
	}
	b.ch = make(chan auditItem, q)
	go b.run()
	return b
}

// Append queues rec. It waits while the queue is full, until ctx ends.
// The error is non-nil if rec was not queued, or if it was but the last
// write failed (rec stays queued and is written once writes work again).
func (b *AuditBatcher) Append(ctx context.Context, rec audit.Record) error {
	if err := b.send(ctx, auditItem{rec: rec}); err != nil {
		return err
	}
	b.errMu.Lock()
	err := b.failing
	b.errMu.Unlock()
	if err != nil {
		return fmt.Errorf("store: audit record queued, but writing the audit trail fails: %w", err)
	}
	return nil
}

// Flush returns once every record appended before it was called is
// written, or with the error of the write that failed, or when ctx ends.
// After Close there is nothing left to flush.
func (b *AuditBatcher) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	if err := b.send(ctx, auditItem{flush: done}); err != nil {
		if errors.Is(err, ErrAuditClosed) {
			return nil
		}
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store: audit flush: %w", ctx.Err())
	}
}

// send puts it on the queue, waiting for room while ctx lasts.
func (b *AuditBatcher) send(ctx context.Context, it auditItem) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrAuditClosed
	}
	select {
	case b.ch <- it:
		return nil
	default:
	}
	select {
	case b.ch <- it:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: audit queue full (%d records waiting): %w", cap(b.ch), ctx.Err())
	case <-b.stopping:
		return ErrAuditClosed
	}
}

// Close writes every queued record and stops the writer. Appends after it
// fail with ErrAuditClosed. If the database refuses the last batches (a
// couple of attempts each), Close returns how many records were lost.
func (b *AuditBatcher) Close() error {
	b.once.Do(func() {
		close(b.stopping) // ends waits for room, and the retry loop
		b.mu.Lock()       // every send in progress has finished
		b.closed = true
		close(b.ch) // the writer drains what is left, then ends
		b.mu.Unlock()
	})
	<-b.done
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.lost
}

// run is the writer: it takes the first waiting item and whatever else is
// queued (up to max records), writes them as one batch, and repeats until
// Close closes the queue and it is empty.
func (b *AuditBatcher) run() {
	defer close(b.done)
	batch := make([]audit.Record, 0, b.max)
	var waiters []chan error
	lost := 0
	var lastErr error
	for {
		it, ok := <-b.ch
		if !ok {
			break
		}
		batch, waiters = b.add(batch[:0], waiters[:0], it)
	fill:
		for len(batch) < b.max {
			select {
			case it, ok := <-b.ch:
				if !ok {
					break fill
				}
				batch, waiters = b.add(batch, waiters, it)
			default:
				break fill
			}
		}
		err := b.commit(batch)
		if err != nil {
			lost += len(batch)
			lastErr = err
		}
		for _, w := range waiters {
			w <- err
		}
	}
	if lost > 0 {
		b.errMu.Lock()
		b.lost = fmt.Errorf("store: %d audit records not written at close: %w", lost, lastErr)
		b.errMu.Unlock()
	}
}

// add appends it to the batch, or its flush channel to the waiters.
func (b *AuditBatcher) add(batch []audit.Record, waiters []chan error, it auditItem) ([]audit.Record, []chan error) {
	if it.flush != nil {
		return batch, append(waiters, it.flush)
	}
	return append(batch, it.rec), waiters
}

// commit writes batch, retrying until it works; once Close has started,
// it gives up after auditCloseAttempts more tries and returns the error.
func (b *AuditBatcher) commit(batch []audit.Record) error {
	if len(batch) == 0 {
		return nil
	}
	closing := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), auditWriteTimeout)
		err := b.write(ctx, batch)
		cancel()
		b.errMu.Lock()
		b.failing = err
		b.errMu.Unlock()
		if err == nil {
			return nil
		}
		select {
		case <-b.stopping:
			if closing++; closing >= auditCloseAttempts {
				return err
			}
			time.Sleep(b.retry)
		case <-time.After(b.retry):
		}
	}
}
