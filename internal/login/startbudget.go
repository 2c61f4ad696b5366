package login

import (
	"cmp"
	"context"
	"math"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// StartBudget bounds what new sign-ins may write: each sign-in request
// that starts a session stores a row (the pending request, wctx and all;
// at most maxNewSession) until its idle timeout and the next cleanup,
// before anyone has proved anything. Without a bound, one client sending
// sign-in requests it never follows wrote about 12 KiB 2,400 times a
// second here, half a GiB in 20 s, until the disk was full.
//
// The budget is bytes of new session rows per Window (how long such a row
// can stay: the idle timeout and the cleanup's interval): PerAddress for
// one client address,
// Total across this instance. Each is a bucket that fills at its size per
// Window, up to its size, so a burst of the whole size is allowed and the
// long-run rate is size ÷ Window. A request over either gets the "busy,
// try again" page (503, Retry-After) after Delay, and nothing is written.
// Single sign-on, and every later step of a sign-in, write no new row and
// are not counted.
//
// Clients a sign-in finished from in the last ProvenFor (Proved) spend a
// second bucket of Total instead of the first: addresses that never sign
// in, however many, cannot spend what the users' own addresses need. A
// bucket hands out at most twice its size within any Window (full at the
// start, refilled once over it), and a row lives about a Window, so the
// rows addresses that never sign in can keep stored stay under
// 2 × Total, all rows under 4 × Total (the proven bucket too, which only
// finished sign-ins open), and one address's under 2 × PerAddress of each
// bucket. Many addresses that never sign in
// can spend the first bucket, and then new sign-ins from addresses no one
// has signed in from lately wait until it fills again: the disk, and the
// sessions already started, are kept.
//
// A budget outlives a reload: WithBounds gives the next configuration's
// bounds a view of the same state (what each bucket has spent, the proven
// clients), so a reload neither forgets the users' addresses nor hands a
// flood a second full budget.
type StartBudget struct {
	*startState
	total, perAddress float64 // bytes per window
	window            time.Duration
	seq               int64 // views made later have a higher one
}

// startState is what every view of a budget shares.
type startState struct {
	delay time.Duration
	now   func() time.Time
	wait  func(context.Context, time.Duration)

	mu    sync.Mutex
	all   bucket
	addrs map[string]*bucket
	max   int // addresses tracked at most
	// proven are the clients a sign-in finished from lately (until when):
	// their new sessions spend allProven, a bucket of Total of its own,
	// so a flood from addresses that never sign in cannot hold back the
	// offices and homes real users sign in from.
	proven    map[string]provenClient
	byUser    map[string][]string // the clients each user proved
	allProven bucket
	provedAt  time.Time // when the full proven table was last swept
	// sweptAt is when the full table was last swept.
	sweptAt time.Time
	// applied are the bounds of the newest view that took: its first
	// take moves every bucket by its change of size.
	applied struct {
		seq               int64
		total, perAddress float64
		window            time.Duration
	}
	// slow are windows that were in force before a reload shortened the
	// window, each until the rows stored under it have expired: the
	// buckets refill over the longest of them until then (refillWindow).
	// No entry is covered by another (a window as long, lasting as
	// long), and there are at most maxSlow (addSlow).
	slow []slowWindow
	seqs int64 // views made

	waiters, maxWaiters atomic.Int64
	refused             atomic.Int64
	onRefused           func(budget string)
}

// StartBudgetOptions configure NewStartBudget.
type StartBudgetOptions struct {
	// Total and PerAddress are bytes of new session rows per Window; 0
	// means no bound of that kind.
	Total, PerAddress int64
	// Window is how long an unfollowed row can stay (default 30 minutes;
	// app.Build gives the idle timeout plus the cleanup interval).
	Window time.Duration
	// Delay is how long a refused request waits before its answer (default
	// 1 s; negative: none), so a client that floods gets an answer a
	// second per connection, not as fast as it can ask. At most
	// MaxWaiters (default 1,024) wait at once; beyond, the answer comes
	// at once.
	Delay      time.Duration
	MaxWaiters int64
	// MaxAddresses bounds the addresses tracked (default 65,536). When it
	// is reached and none can be forgotten (a bucket full again is the
	// same as none, unless it still owes after a cut), a new address is
	// bounded by Total only.
	MaxAddresses int
	Now          func() time.Time
	// Wait replaces the delay's timer (tests).
	Wait func(context.Context, time.Duration)
	// OnRefused, when set, is told the budget that refused each request
	// (BudgetClient, BudgetInstance or BudgetProven): refusals write
	// nothing and are logged at debug only, so the metrics are where an
	// administrator sees them.
	OnRefused func(budget string)
}

// The budgets a request can be refused by: its client's, the instance's
// (for clients not proven), the proven clients' share of the instance's.
const (
	BudgetClient   = "client"
	BudgetInstance = "instance"
	BudgetProven   = "proven"
)

// Defaults of StartBudgetOptions.
const (
	DefaultStartDelay      = time.Second
	DefaultStartMaxWaiters = 1024
	DefaultStartAddresses  = 1 << 16
)

type bucket struct {
	level float64 // bytes that may be written now
	at    time.Time
	// owed is what a cut could not take back (the level was below it): a
	// later raise pays it first, until owedUntil, when the rows it stands
	// for (stored under the window before the cut) have expired.
	owed      float64
	owedUntil time.Time
}

// owes reports whether k still owes something a raise must pay first.
func (k *bucket) owes(now time.Time) bool { return k.owed > 0 && now.Before(k.owedUntil) }

// resize moves k from size was to size by the change, keeping what a
// cut could not take as owed until the rows it stands for expired.
func (k *bucket) resize(was, size float64, wasWindow time.Duration, now time.Time) {
	k.fill(was, wasWindow, now)
	if !k.owes(now) {
		k.owed = 0
	}
	delta := size - was
	if delta > 0 && k.owed > 0 {
		pay := min(delta, k.owed)
		delta, k.owed = delta-pay, k.owed-pay
	}
	v := k.level + delta
	if v < 0 {
		// The rows spent before the cut were stored under wasWindow: the
		// debt lasts as long as they can, whatever window comes next. A
		// second cut keeps the whole debt that long (the safe side).
		k.owed -= v
		if until := now.Add(wasWindow); until.After(k.owedUntil) {
			k.owedUntil = until
		}
		v = 0
	}
	k.level = min(v, size)
}

// NewStartBudget returns a budget, full; nil when o bounds nothing.
func NewStartBudget(o StartBudgetOptions) *StartBudget {
	if o.Total <= 0 && o.PerAddress <= 0 {
		return nil
	}
	if o.Window <= 0 {
		o.Window = 30 * time.Minute
	}
	if o.Delay == 0 {
		o.Delay = DefaultStartDelay
	}
	if o.MaxWaiters <= 0 {
		o.MaxWaiters = DefaultStartMaxWaiters
	}
	if o.MaxAddresses <= 0 {
		o.MaxAddresses = DefaultStartAddresses
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Wait == nil {
		o.Wait = sleep
	}
	st := &startState{delay: o.Delay, now: o.Now, wait: o.Wait, addrs: map[string]*bucket{}, max: o.MaxAddresses, onRefused: o.OnRefused,
		proven: map[string]provenClient{}, byUser: map[string][]string{}, seqs: 1}
	b := &StartBudget{startState: st, total: float64(o.Total), perAddress: float64(o.PerAddress), window: o.Window, seq: 1}
	st.all = bucket{level: b.total, at: o.Now()}
	st.allProven = st.all
	st.applied.seq, st.applied.total, st.applied.perAddress, st.applied.window = 1, b.total, b.perAddress, b.window
	st.maxWaiters.Store(o.MaxWaiters)
	return b
}

// WithBounds is b for a new configuration (a reload): its bounds, and
// what b has spent and knows. Its first take moves each bucket by the
// change of its size, within [0, size]: a raised bound gives its increase
// at once, a lowered one takes it back (what it cannot take from a spent
// bucket is owed by a later raise for as long as the rows spent before
// the cut can live: a cut and its revert give nothing). A shorter window
// refills at the old, slower rate until the rows stored under the old one
// have expired. From then on every view, an older one too (a request of
// the generation a reload replaced), takes within the newest applied
// bounds: an old view would otherwise clip the buckets back to its sizes
// and undo a raise.
// Only Window stays the view's own (the expiry of the rows its
// generation stores). Nil bounds (both 0) give nil, no budget, as
// NewStartBudget does; so does a nil b.
func (b *StartBudget) WithBounds(total, perAddress int64, window time.Duration) *StartBudget {
	if b == nil || (total <= 0 && perAddress <= 0) {
		return nil
	}
	if window <= 0 {
		window = 30 * time.Minute
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seqs++
	return &StartBudget{startState: b.startState, total: float64(max(total, 0)), perAddress: float64(max(perAddress, 0)), window: window, seq: b.seqs}
}

// apply moves the buckets to b's bounds if b is newer than the view that
// last did; under mu.
func (b *StartBudget) apply(now time.Time) {
	if b.seq <= b.applied.seq {
		return
	}
	was, wasWindow := b.applied, b.refillWindow(now)
	for _, k := range []*bucket{&b.all, &b.allProven} {
		k.resize(was.total, b.total, wasWindow, now)
	}
	for _, k := range b.addrs {
		k.resize(was.perAddress, b.perAddress, wasWindow, now)
	}
	if b.window < was.window {
		// A shorter window would refill what the rows stored under the
		// longer one spent faster than they expire: a shortening and its
		// revert would hand out a fresh budget each time.
		b.addSlow(slowWindow{window: was.window, until: now.Add(was.window)}, now)
	}
	b.applied.seq, b.applied.total, b.applied.perAddress, b.applied.window = b.seq, b.total, b.perAddress, b.window
}

// slowWindow is a window the buckets refill over until the rows stored
// under it have expired.
type slowWindow struct {
	window time.Duration
	until  time.Time
}

// maxSlow bounds the slow windows kept: reloads that each shorten the
// window a little, further apart each time, would otherwise add one each
// for as long as the longest lives.
const maxSlow = 8

// addSlow records w, forgetting the entries that have ended and those w
// covers (a window at most as long, ending no later); w itself is not
// added when an entry covers it. Beyond maxSlow two entries become one
// (mergeSlow). Under mu.
func (st *startState) addSlow(w slowWindow, now time.Time) {
	for _, e := range st.slow {
		if now.Before(e.until) && e.window >= w.window && !e.until.Before(w.until) {
			return // covered
		}
	}
	keep := st.slow[:0]
	for _, e := range st.slow {
		if now.Before(e.until) && (e.window > w.window || e.until.After(w.until)) {
			keep = append(keep, e) // neither ended nor covered by w
		}
	}
	st.slow = append(keep, w)
	if len(st.slow) > maxSlow {
		st.mergeSlow(now)
	}
}

// mergeSlow makes two neighbouring entries one: the longer window until
// the later end, a refill never faster than the two gave. The list is
// covering-free, so ordered by window its ends run the other way: from
// the end of the longer entry of a neighbouring pair to the end of the
// shorter, the buckets refill over the shorter window, and merged over
// the longer. (mergeSlow runs inside apply, before applied is set, so
// applied is the window before this shortening; every entry left is at
// least that long, so the max in rate changes nothing and only keeps a
// rate from ever exceeding the applied window's.) Of the pairs, the one that loses the
// least refill over that time is merged: merging the two shortest, say,
// could keep a week-long refill for an hour where exact bookkeeping
// gives two. Under mu.
func (st *startState) mergeSlow(now time.Time) {
	slices.SortFunc(st.slow, func(a, b slowWindow) int { return cmp.Compare(a.window, b.window) })
	rate := func(w time.Duration) float64 { return 1 / max(w, st.applied.window).Seconds() }
	best, lost := 0, math.Inf(1)
	for i := 0; i+1 < len(st.slow); i++ {
		short, long := st.slow[i], st.slow[i+1]
		from := long.until
		if from.Before(now) {
			from = now
		}
		if l := short.until.Sub(from).Seconds() * (rate(short.window) - rate(long.window)); l < lost {
			best, lost = i, l
		}
	}
	short, long := st.slow[best], st.slow[best+1]
	st.slow[best+1] = slowWindow{window: long.window, until: later(short.until, long.until)}
	st.slow = slices.Delete(st.slow, best, best+1)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// refillWindow is the window the buckets refill over now: the applied
// one, or a longer one in force before a shortening, until the rows
// stored under that one have expired. Under mu.
func (st *startState) refillWindow(now time.Time) time.Duration {
	w := st.applied.window
	for _, e := range st.slow {
		if now.Before(e.until) && e.window > w {
			w = e.window
		}
	}
	return w
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// fill brings k up to now: size ÷ window per unit of time, at most size.
func (k *bucket) fill(size float64, window time.Duration, now time.Time) {
	if d := now.Sub(k.at); d > 0 {
		k.level = min(size, k.level+size*float64(d)/float64(window))
		k.at = now
	}
}

// Take spends n bytes of addr's budget and the total's, or neither when
// either has less than n left. An IPv6 address counts as its /64: one
// host (one customer line) has that many addresses to choose from.
func (b *StartBudget) Take(addr string, n int) bool {
	refusedBy := b.take(budgetKey(addr), float64(n))
	if refusedBy == "" {
		return true
	}
	b.refused.Add(1)
	if b.onRefused != nil {
		b.onRefused(refusedBy) // outside mu: the callback may take its own locks
	}
	return false
}

// take is Take under mu: "" when n was spent, else the budget that
// refused it.
func (b *StartBudget) take(addr string, need float64) string {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.apply(now)
	cur := b.applied // the newest view's bounds, whichever view takes
	cur.window = b.refillWindow(now)
	all, allName := &b.all, BudgetInstance
	if pc, ok := b.proven[addr]; ok && now.Before(pc.until) {
		all, allName = &b.allProven, BudgetProven
	}
	if cur.total > 0 {
		all.fill(cur.total, cur.window, now)
		if all.level < need {
			return allName
		}
	}
	var k *bucket
	if cur.perAddress > 0 {
		k = b.address(addr, now, cur.perAddress, cur.window)
		if k != nil {
			k.fill(cur.perAddress, cur.window, now)
			if k.level < need {
				return BudgetClient
			}
		}
	}
	if cur.total > 0 {
		all.level -= need
	}
	if k != nil {
		k.level -= need
	}
	return ""
}

// address is addr's bucket, made full when new; nil when the table is
// full of addresses still spending.
func (b *StartBudget) address(addr string, now time.Time, perAddress float64, window time.Duration) *bucket {
	if k, ok := b.addrs[addr]; ok {
		return k
	}
	if len(b.addrs) >= b.max {
		// A sweep reads the whole table under the lock: at most one a
		// second, or a flood of new addresses would make each take one.
		if now.Sub(b.sweptAt) < time.Second {
			return nil
		}
		b.sweptAt = now
		for a, k := range b.addrs {
			// A full bucket is the same as none, unless it still owes:
			// forgotten, a raise would give it the whole new size.
			if k.fill(perAddress, window, now); k.level >= perAddress && !k.owes(now) {
				delete(b.addrs, a)
			}
		}
		if len(b.addrs) >= b.max {
			return nil
		}
	}
	k := &bucket{level: perAddress, at: now}
	b.addrs[addr] = k
	return k
}

// ProvenFor is how long a client stays proven after a sign-in finished
// from it.
const ProvenFor = 7 * 24 * time.Hour

// MaxProvenPerUser is how many clients one user's sign-ins keep proven
// at once: the first ones stay (renewed by each sign-in from them) until
// they expire, so one account, an insider's or a phished one, signing in
// from many addresses proves 4 of them, at most 4 × PerAddress of the
// proven share, not all of it.
const MaxProvenPerUser = 4

type provenClient struct {
	until time.Time
	user  string // whose sign-in proved it
}

// Proved records that user's sign-in finished from addr: for ProvenFor
// its new sessions spend the proven clients' own share of Total (still
// within its own PerAddress). A client another user proved is renewed and
// stays theirs; a user with MaxProvenPerUser clients proven proves no
// more. The table holds MaxAddresses clients; when it is full and none
// has expired (swept at most once a second), addr stays as it was. Only a
// finished sign-in makes a client proven, so the proven share is spent
// only by users who can sign in.
func (b *StartBudget) Proved(user, addr string) {
	if b == nil {
		return
	}
	addr = budgetKey(addr)
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if pc, ok := b.proven[addr]; ok {
		pc.until = now.Add(ProvenFor)
		b.proven[addr] = pc
		return
	}
	if mine := b.live(user, now); len(mine) >= MaxProvenPerUser {
		return
	}
	if len(b.proven) >= b.max {
		if now.Sub(b.provedAt) < time.Second {
			return
		}
		b.provedAt = now
		for a, pc := range b.proven {
			if !now.Before(pc.until) {
				b.forget(a, pc.user)
			}
		}
		if len(b.proven) >= b.max {
			return
		}
	}
	b.proven[addr] = provenClient{until: now.Add(ProvenFor), user: user}
	b.byUser[user] = append(b.byUser[user], addr)
}

// live is user's proven clients, the expired ones forgotten first.
func (b *StartBudget) live(user string, now time.Time) []string {
	for _, a := range b.byUser[user] {
		if pc := b.proven[a]; !now.Before(pc.until) {
			b.forget(a, user)
		}
	}
	return b.byUser[user]
}

// forget drops addr, proven by user.
func (b *StartBudget) forget(addr, user string) {
	delete(b.proven, addr)
	mine := b.byUser[user]
	for i, a := range mine {
		if a == addr {
			mine = append(mine[:i:i], mine[i+1:]...)
			break
		}
	}
	if len(mine) == 0 {
		delete(b.byUser, user)
	} else {
		b.byUser[user] = mine
	}
}

// Window is the budget's window (0 for a nil budget).
func (b *StartBudget) Window() time.Duration {
	if b == nil {
		return 0
	}
	return b.window
}

// Refused counts the requests refused so far.
func (b *StartBudget) Refused() int64 {
	if b == nil {
		return 0
	}
	return b.refused.Load()
}

// hold waits out a refused request's delay, unless MaxWaiters already do.
func (b *StartBudget) hold(ctx context.Context) {
	if b.delay <= 0 {
		return
	}
	if b.waiters.Add(1) > b.maxWaiters.Load() {
		b.waiters.Add(-1)
		return
	}
	defer b.waiters.Add(-1)
	b.wait(ctx, b.delay)
}

// budgetKey is the client a budget is kept for: an IPv4 address as it is,
// an IPv6 address as its /64, anything else (no address) as it is.
func budgetKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}
