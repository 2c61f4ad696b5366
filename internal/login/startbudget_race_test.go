package login_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/login"
)

// liveSessions wraps the store and tracks the ids of live rows and bytes.
type liveSessions struct {
	login.Sessions
	mu    sync.Mutex
	live  map[string]int
	bytes int
}

func (l *liveSessions) CreateSession(ctx context.Context, id string, data []byte, exp time.Time) error {
	err := l.Sessions.CreateSession(ctx, id, data, exp)
	if err == nil {
		l.mu.Lock()
		l.live[id] = len(data)
		l.bytes += len(data)
		l.mu.Unlock()
	}
	return err
}
func (l *liveSessions) RotateSession(ctx context.Context, old string, v int64, id string, data []byte, exp time.Time) error {
	err := l.Sessions.RotateSession(ctx, old, v, id, data, exp)
	if err == nil {
		l.mu.Lock()
		l.bytes -= l.live[old]
		delete(l.live, old)
		l.live[id] = len(data)
		l.bytes += len(data)
		l.mu.Unlock()
	}
	return err
}
func (l *liveSessions) DeleteSession(ctx context.Context, id string) error {
	err := l.Sessions.DeleteSession(ctx, id)
	if err == nil {
		l.mu.Lock()
		l.bytes -= l.live[id]
		delete(l.live, id)
		l.mu.Unlock()
	}
	return err
}
func (l *liveSessions) count() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.live), l.bytes
}

// TestStartBudgetConcurrentReplacements: one session, bought from the
// budget, is sent with 64 concurrent sign-in requests, and each cookie
// they get back again, three rounds. Only one request can replace the
// session (a rotation at the version read); the others add rows and pay
// for them. When a replacement was a delete and a free create, every one
// of them added a row: 26 → 896 → 3,196 rows (36 MB) on a 4 KiB budget
// (review finding, High).
func TestStartBudgetConcurrentReplacements(t *testing.T) {
	ls := &liveSessions{live: map[string]int{}}
	var budget *login.StartBudget
	e := newEnv(t, setup{
		sessions: func(db login.Sessions) login.Sessions { ls.Sessions = db; return ls },
		startBudget: func(now func() time.Time) *login.StartBudget {
			budget = login.NewStartBudget(login.StartBudgetOptions{PerAddress: 4 << 10, Total: 4 << 10, Window: 30 * time.Minute, Delay: -1, Now: now})
			return budget
		}})
	b := e.browser()
	b.get(signInURL(realm, "x")).wantRedirect(t, login.PathLogin)
	// The budget is spent now (another new browser is refused).
	e.browser().get(signInURL(realm, strings.Repeat("y", 3000))).wantStatus(t, http.StatusServiceUnavailable)
	cookie := b.sessionCookie()

	// The same size as the seed's: a replacement adds nothing to pay for,
	// so only the rotation's one winner bounds the rows.
	wctx := "x"
	seed := []string{cookie}
	for round := 0; round < 3; round++ {
		var next []string
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range seed {
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, _ := http.NewRequest(http.MethodGet, e.srv.URL+signInURL(realm, wctx), nil)
					req.AddCookie(&http.Cookie{Name: e.cookieName(), Value: c})
					tr := &http.Transport{}
					defer tr.CloseIdleConnections()
					res, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
					if err != nil {
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					for _, sc := range res.Cookies() {
						if sc.Name == e.cookieName() && sc.Value != "" {
							mu.Lock()
							next = append(next, sc.Value)
							mu.Unlock()
						}
					}
				}()
			}
		}
		wg.Wait()
		n, by := ls.count()
		t.Logf("round %d: %d seeds -> %d new cookies; live rows %d, %d bytes (budget 4 KiB, refused %d)", round, len(seed), len(next), n, by, budget.Refused())
		if len(next) > 50 {
			next = next[:50]
		}
		seed = next
	}
	if n, by := ls.count(); by > 4<<10 {
		t.Errorf("a 4 KiB budget let %d rows (%d bytes) be stored", n, by)
	}
}

// TestStartBudgetChargesGrowth: rows bought small and then replaced, one
// at a time, by rows at the request's size limits pay for what they grow:
// when a replacement was free, the store held 31 times the budget.
func TestStartBudgetChargesGrowth(t *testing.T) {
	ls := &liveSessions{live: map[string]int{}}
	const budgetBytes = 64 << 10
	e := newEnv(t, setup{
		sessions: func(db login.Sessions) login.Sessions { ls.Sessions = db; return ls },
		startBudget: func(now func() time.Time) *login.StartBudget {
			return login.NewStartBudget(login.StartBudgetOptions{PerAddress: budgetBytes, Total: budgetBytes, Window: 30 * time.Minute, Delay: -1, Now: now})
		}})
	var bs []*browser
	for _, by := ls.count(); by < budgetBytes/2; _, by = ls.count() {
		b := e.browser()
		p := b.get(signInURL(realm, ""))
		if p.status != http.StatusSeeOther {
			break
		}
		bs = append(bs, b)
	}
	n, small := ls.count()
	t.Logf("budget %d bytes: %d rows, %d bytes (%d a row)", budgetBytes, n, small, small/n)
	grown := 0
	for _, b := range bs {
		switch p := b.get(signInURL(realm, strings.Repeat("w", 8<<10))); p.status {
		case http.StatusSeeOther:
			grown++
		case http.StatusServiceUnavailable: // the growth is over the budget: the old row stays
		default:
			p.wantStatus(t, http.StatusSeeOther)
		}
	}
	if grown == 0 || grown == len(bs) {
		t.Errorf("%d of %d replacements grew: want the budget to pay for some, then refuse", grown, len(bs))
	}
	n, big := ls.count()
	t.Logf("after replacing each: %d rows, %d bytes (%.1fx the budget)", n, big, float64(big)/budgetBytes)
	if big > 2*budgetBytes {
		t.Errorf("stored %d bytes on a %d-byte budget", big, budgetBytes)
	}
}

// TestNewSessionSizeCap: a sign-in request whose session would be over
// 16 KiB is refused with a 400 page, and nothing is stored or deleted: a
// browser that had a session keeps it. (A SAML request of many long class
// refs made a row of 144 KB.) A WS-Fed request at its limits is not
// refused.
func TestNewSessionSizeCap(t *testing.T) {
	fp := &fakeProtocol{}
	e := newEnv(t, setup{protocols: []login.Protocol{fp}})
	b := e.browser()
	b.get(signInURL(realm, strings.Repeat("w", 8<<10))).wantRedirect(t, login.PathLogin)
	had := b.sessionCookie()
	for _, state := range []string{strings.Repeat("s", 13<<10), strings.Repeat("s", 40<<10)} {
		p := b.get(fakeURL(state))
		p.wantStatus(t, http.StatusBadRequest)
		wantMessage(t, p, "error.bad_request")
		if p.setCookie(e.cookieName()) != nil {
			t.Error("a refused request set a cookie")
		}
		if _, _, ok, err := e.db.GetSession(context.Background(), had, e.clk.Now()); err != nil || !ok {
			t.Fatalf("the browser's session is gone after a refused request: %v", err)
		}
		fresh := e.browser().get(fakeURL(state))
		fresh.wantStatus(t, http.StatusBadRequest)
	}
	b.get(login.PathLogin).wantStatus(t, http.StatusOK) // still its sign-in
}
