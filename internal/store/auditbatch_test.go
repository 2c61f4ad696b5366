package store

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
)

// sink is a write function for an AuditBatcher that keeps what it was
// given. gate, when set, is received from before each write (a write in
// progress); fail makes writes fail while it is set.
type sink struct {
	mu      sync.Mutex
	recs    []audit.Record
	batches int
	calls   int
	fail    error
	gate    chan struct{}
	called  chan struct{} // gets a value at the start of each write, if set
}

func (k *sink) write(_ context.Context, recs []audit.Record) error {
	if k.called != nil {
		k.called <- struct{}{}
	}
	if k.gate != nil {
		<-k.gate
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if k.fail != nil {
		return k.fail
	}
	k.batches++
	k.recs = append(k.recs, recs...)
	return nil
}

func (k *sink) ids() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]string, len(k.recs))
	for i, r := range k.recs {
		out[i] = r.RequestID
	}
	return out
}

func rec(i int) audit.Record { return audit.Record{RequestID: strconv.Itoa(i)} }

func TestAuditBatcherKeepsOrder(t *testing.T) {
	k := &sink{}
	b := NewAuditBatcher(k.write, AuditBatchOptions{MaxBatch: 7})
	for i := range 500 {
		if err := b.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := k.ids()
	if len(got) != 500 {
		t.Fatalf("after Flush %d records written, want 500", len(got))
	}
	for i, id := range got {
		if id != strconv.Itoa(i) {
			t.Fatalf("record %d is %s: order not kept", i, id)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// While one write is in progress the next records queue, and Close
// still writes all of them before it returns.
func TestAuditBatcherCloseWritesQueued(t *testing.T) {
	k := &sink{gate: make(chan struct{}), called: make(chan struct{}, 1000)}
	b := NewAuditBatcher(k.write, AuditBatchOptions{MaxBatch: 10})
	for i := range 100 {
		if err := b.Append(context.Background(), rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	<-k.called // the first batch is being written, the rest wait
	closed := make(chan error)
	go func() { closed <- b.Close() }()
	<-b.stopping // Close has begun before the write in progress ends
	close(k.gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n := len(k.ids()); n != 100 {
		t.Fatalf("after Close %d records written, want 100", n)
	}
	if k.batches >= 100 {
		t.Errorf("%d batches for 100 records queued behind one write: no batching", k.batches)
	}
	if err := b.Append(context.Background(), rec(100)); !errors.Is(err, ErrAuditClosed) {
		t.Errorf("Append after Close: %v, want ErrAuditClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A failing write is retried with its records; appends meanwhile say
// that the trail is failing; once writes work every record is there once.
func TestAuditBatcherRetriesAndReportsFailure(t *testing.T) {
	boom := errors.New("disk full")
	k := &sink{fail: boom, called: make(chan struct{}, 1000)}
	b := NewAuditBatcher(k.write, AuditBatchOptions{Retry: time.Millisecond})
	defer b.Close()
	if err := b.Append(context.Background(), rec(0)); err != nil {
		t.Fatalf("first Append: %v (no write had failed yet)", err)
	}
	<-k.called
	<-k.called // the second try: the first one's failure is recorded
	err := b.Append(context.Background(), rec(1))
	if !errors.Is(err, boom) {
		t.Fatalf("Append while writes fail: %v, want it to wrap %v", err, boom)
	}
	k.mu.Lock()
	k.fail = nil
	k.mu.Unlock()
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := k.ids(); len(got) != 2 || got[0] != "0" || got[1] != "1" {
		t.Fatalf("written after recovery: %v, want [0 1]", got)
	}
	if err := b.Append(context.Background(), rec(2)); err != nil {
		t.Errorf("Append after recovery: %v", err)
	}
}

// Close cannot wait forever for a database that refuses every write: it
// ends and says how many records were lost.
func TestAuditBatcherCloseReportsLoss(t *testing.T) {
	k := &sink{fail: errors.New("read-only"), called: make(chan struct{}, 1000)}
	b := NewAuditBatcher(k.write, AuditBatchOptions{Retry: time.Millisecond})
	for i := range 3 {
		b.Append(context.Background(), rec(i))
	}
	err := b.Close()
	if err == nil || !errors.Is(err, k.fail) {
		t.Fatalf("Close with failing writes: %v, want the loss reported", err)
	}
}

// A full queue makes Append wait, and only as long as its context lasts:
// back-pressure on the requests, not unbounded memory.
func TestAuditBatcherBackPressure(t *testing.T) {
	k := &sink{gate: make(chan struct{}), called: make(chan struct{}, 1000)}
	b := NewAuditBatcher(k.write, AuditBatchOptions{MaxBatch: 1, Queue: 2})
	ctx := context.Background()
	if err := b.Append(ctx, rec(0)); err != nil {
		t.Fatal(err)
	}
	<-k.called // record 0 is being written; the queue is empty
	for i := 1; i <= 2; i++ {
		if err := b.Append(ctx, rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithCancel(ctx)
	waited := make(chan error)
	go func() { waited <- b.Append(short, rec(99)) }()
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Fatalf("Append to a full queue: %v, want the context's end", err)
	}
	close(k.gate)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := k.ids(); len(got) != 3 || got[2] != "2" {
		t.Fatalf("written: %v, want [0 1 2] without the refused record", got)
	}
}

// Appends and flushes from many goroutines (run with -race): every record
// written once, each goroutine's in its order.
func TestAuditBatcherConcurrent(t *testing.T) {
	k := &sink{}
	b := NewAuditBatcher(k.write, AuditBatchOptions{MaxBatch: 16, Queue: 32})
	const workers, each = 16, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := audit.Record{RequestID: strconv.Itoa(w*each + i), User: strconv.Itoa(w)}
				if err := b.Append(context.Background(), r); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					if err := b.Flush(context.Background()); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	last := map[string]int{}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.recs) != workers*each {
		t.Fatalf("%d records written, want %d", len(k.recs), workers*each)
	}
	for _, r := range k.recs {
		n, _ := strconv.Atoi(r.RequestID)
		if p, ok := last[r.User]; ok && n <= p {
			t.Fatalf("goroutine %s: record %d after %d", r.User, n, p)
		}
		last[r.User] = n
	}
}
