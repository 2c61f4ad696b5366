package ldapsource

import (
	"context"
	"sync"
	"testing"
	"time"
)

// event is one ObserveRequest call.
type event struct {
	server, op string
	failed     bool
}

type recordingObserver struct {
	mu     sync.Mutex
	events []event
}

func (o *recordingObserver) ObserveRequest(server, op string, d time.Duration, err error) {
	if d < 0 {
		panic("negative duration")
	}
	o.mu.Lock()
	o.events = append(o.events, event{server, op, err != nil})
	o.mu.Unlock()
}

func (o *recordingObserver) take() []event {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.events
	o.events = nil
	return e
}

func count(es []event, want event) int {
	n := 0
	for _, e := range es {
		if e == want {
			n++
		}
	}
	return n
}

// TestSambaObserverSeesEveryRequest: against the real DC with a closed
// port configured first, the observer is told of the failed connect to
// the dead server, the connects, searches and the user bind on the live
// one; a wrong password is an answer (no failure), and a request whose
// context had ended is not reported at all.
func TestSambaObserverSeesEveryRequest(t *testing.T) {
	env := samba(t)
	obs := &recordingObserver{}
	dead, live := "ldaps://"+closedPort(t), env["CLAIMGATE_TEST_LDAP_URL"]
	d := env.directory(t, func(c *Config) { c.URLs = []string{dead, live}; c.Observer = obs })

	if _, err := d.Authenticate(ctxT(t), "alice", env.password()); err != nil {
		t.Fatal(err)
	}
	es := obs.take()
	for _, want := range []event{
		{dead, OpConnect, true}, {live, OpConnect, false}, {live, OpSearch, false}, {live, OpBind, false},
	} {
		if count(es, want) == 0 {
			t.Errorf("no %+v in %+v", want, es)
		}
	}
	for _, e := range es {
		if e.server == live && e.failed {
			t.Errorf("a request to the live server reported as failed: %+v", es)
		}
	}

	if _, err := d.Authenticate(ctxT(t), "alice", "wrong-"+env.password()); err == nil {
		t.Fatal("wrong password accepted")
	}
	es = obs.take()
	if count(es, event{live, OpBind, false}) != 1 || count(es, event{live, OpBind, true}) != 0 {
		t.Errorf("wrong password: want one answered bind, got %+v", es)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d2 := env.directory(t, func(c *Config) { c.Observer = obs })
	if _, err := d2.Authenticate(ctx, "alice", env.password()); err == nil {
		t.Fatal("sign-in with an ended context succeeded")
	}
	if es := obs.take(); len(es) != 0 {
		t.Errorf("requests of an abandoned sign-in were reported: %+v", es)
	}
}
