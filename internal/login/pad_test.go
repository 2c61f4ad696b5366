package login_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestEarlyRejectionWaitsLikeAFullCheck: a wrong password for an existing
// account takes the longest path (here 50 ms, a bind); a name that matches
// nothing answers without it. The early answer then waits until a full
// check's recorded duration has passed, so the time does not tell which
// names exist; the page is the same. Found by review: with Active
// Directory an unknown or disabled name answered a few round trips
// sooner. Before any full check was recorded, an early one is recorded
// instead and waits nothing.
func TestEarlyRejectionWaitsLikeAFullCheck(t *testing.T) {
	var mu sync.Mutex
	clock := time.Unix(1<<30, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newRig(t, rigSetup{guardNow: now})
	r.dir.onAuth = func(u string) {
		if slices.Contains([]string{"alice", "bob", "asmith"}, u) {
			mu.Lock()
			clock = clock.Add(50 * time.Millisecond) // the bind of an existing account
			mu.Unlock()
		}
	}
	first, c := r.attempt("", "nobody-1", "not it")
	if len(c.slept) != 0 || r.g.Stats().Refused.Observed != 1 {
		t.Fatalf("first early answer: slept %v, observed %d; want it recorded (nothing to wait for yet)", c.slept, r.g.Stats().Refused.Observed)
	}
	full, c := r.attempt("", "bob", "not it")
	if len(c.slept) != 0 {
		t.Errorf("a full check waited %v, want nothing", c.slept)
	}
	// The ring (32 samples) holds 0 ms and 50 ms; fill it with full
	// checks, spread over users and addresses below every limit, so the
	// draw is a full one whatever index is drawn.
	for i := range 32 {
		if _, c := r.attempt(sprayAddr(i), []string{"alice", "bob", "asmith"}[i%3], "not it"); c.dirChecks != 1 {
			t.Fatalf("full check %d was not checked: %+v", i, c)
		}
	}
	early, c := r.attempt("", "nobody-2", "not it")
	if !slices.Equal(c.slept, []time.Duration{50 * time.Millisecond}) {
		t.Errorf("an early rejection waited %v, want [50ms] (a full check less the 0 ms it took)", c.slept)
	}
	if st := r.g.Stats().Refused; st.Padded != 1 {
		t.Errorf("padded %d, want 1", st.Padded)
	}
	for _, p := range []*page{first, full, early} {
		p.wantStatus(t, http.StatusOK)
		if normalized(p) != normalized(full) {
			t.Errorf("pages differ:\n%s\nvs\n%s", normalized(p), normalized(full))
		}
	}
}
