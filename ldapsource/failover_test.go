package ldapsource

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
)

// The time limits below are not performance assertions: they check that
// a dead server costs at most its configured timeout instead of hanging a
// sign-in indefinitely (go-ldap's default timeout is 60 s).
const failoverTimeout = 300 * time.Millisecond

func TestSambaFailover(t *testing.T) {
	env := samba(t)
	real := env["CLAIMGATE_TEST_LDAP_URL"]
	for name, tc := range map[string]struct {
		dead     string
		startTLS bool
	}{
		"closed port":             {"ldaps://" + closedPort(t), false},
		"listener never answers":  {"ldaps://" + hangingListener(t), false},
		"StartTLS never answered": {"ldap://" + hangingListener(t), true},
	} {
		t.Run(name, func(t *testing.T) {
			d := env.directory(t, func(c *Config) {
				c.URLs = []string{tc.dead, real}
				if tc.startTLS {
					c.URLs[1] = env["CLAIMGATE_TEST_LDAP_STARTTLS_URL"]
					c.StartTLS = true
				}
				c.ConnectTimeout, c.BindTimeout = failoverTimeout, failoverTimeout
			})
			start := time.Now()
			id, err := d.Authenticate(ctxT(t), "alice", env.password())
			if err != nil || id.Username != "alice" {
				t.Fatalf("sign-in with the first server dead: %v", err)
			}
			if el := time.Since(start); el > 10*failoverTimeout+2*time.Second {
				t.Fatalf("sign-in took %s with a %s connect timeout", el, failoverTimeout)
			}
			if d.conn.servers[0].deadUntil.Load() == 0 || d.conn.servers[1].deadUntil.Load() != 0 {
				t.Fatal("the dead server was not marked dead (or the live one was)")
			}
			// While marked dead, the server is not tried first: the next
			// connection goes straight to the live one.
			if got := d.conn.order(time.Now())[0].url; got != d.conn.servers[1].url {
				t.Fatalf("first choice while dead: %s", got)
			}
		})
	}
}

func TestSambaAllServersDown(t *testing.T) {
	env := samba(t)
	d := env.directory(t, func(c *Config) {
		c.URLs = []string{"ldaps://" + closedPort(t), "ldaps://" + hangingListener(t)}
		c.ConnectTimeout, c.BindTimeout, c.SearchTimeout = failoverTimeout, failoverTimeout, failoverTimeout
	})
	for i := range 2 { // second round: both marked dead, still tried, still bounded
		start := time.Now()
		_, err := d.Authenticate(ctxT(t), "alice", env.password())
		if err == nil {
			t.Fatal("sign-in succeeded with every server down")
		}
		if r, rejected := claims.IsRejected(err); rejected {
			t.Fatalf("outage reported as a refusal (%s): the user would be told the password is wrong", r)
		}
		if !strings.Contains(err.Error(), "no LDAP server available") {
			t.Errorf("round %d: %v", i, err)
		}
		if el := time.Since(start); el > 10*failoverTimeout+2*time.Second {
			t.Fatalf("round %d: outage took %s to report", i, el)
		}
	}
	// The caller's deadline wins over the configured timeouts.
	d2 := env.directory(t, func(c *Config) { c.URLs = []string{"ldaps://" + hangingListener(t)}; c.ConnectTimeout = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	start := time.Now()
	if _, err := d2.Lookup(ctx, "alice"); err == nil || time.Since(start) > 10*failoverTimeout+2*time.Second {
		t.Fatalf("context deadline not honoured: %v after %s", err, time.Since(start))
	}
}

func TestSambaRoundRobin(t *testing.T) {
	env := samba(t)
	target := strings.TrimPrefix(env["CLAIMGATE_TEST_LDAP_URL"], "ldaps://")
	p1, p2 := newProxy(t, target), newProxy(t, target)
	d := env.directory(t, func(c *Config) {
		c.URLs = []string{"ldaps://" + p1.addr, "ldaps://" + p2.addr}
		c.Mode = RoundRobin
		c.PoolSize = NoPooling
	})
	for range 4 {
		if _, err := d.Lookup(ctxT(t), "alice"); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := p1.count(), p2.count(); a == 0 || b == 0 || a+b < 8 {
		t.Fatalf("round robin spread %d / %d connections", a, b)
	}
}

func TestSambaCheck(t *testing.T) {
	env := samba(t)
	dead := "ldaps://" + closedPort(t)
	d := env.directory(t, func(c *Config) { c.URLs = []string{env["CLAIMGATE_TEST_LDAP_URL"], dead} })
	r := d.Check(ctxT(t))
	if len(r) != 2 {
		t.Fatalf("%d reports", len(r))
	}
	if !r[0].Connected || !r[0].Bound || r[0].Err != nil || r[0].Duration <= 0 {
		t.Errorf("live server: %+v", r[0])
	}
	if r[1].URL != dead || r[1].Connected || r[1].Bound || r[1].Err == nil {
		t.Errorf("dead server: %+v", r[1])
	}
	bad := env.directory(t, func(c *Config) { c.BindPassword = "wrong" })
	if r := bad.Check(ctxT(t)); !r[0].Connected || r[0].Bound || r[0].Err == nil {
		t.Errorf("wrong service password: %+v", r[0])
	}
}
