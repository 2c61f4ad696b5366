package ldapsource

import (
	"context"
	"time"
)

// ServerReport is what Check found out about one configured server.
type ServerReport struct {
	URL string
	// Connected is true when TCP and TLS (LDAPS or StartTLS) succeeded.
	Connected bool
	// Bound is true when the service account bind succeeded.
	Bound bool
	// Duration is the time for connect, TLS and bind together.
	Duration time.Duration
	// Err is the first failure, nil when Bound.
	Err error
	// Finding explains Err in terms of the configuration when the cause
	// is known (a CA not trusted, a certificate for another name, the
	// service account refused); nil otherwise.
	Finding *Finding
}

// Finding is a problem Check found that a configuration change (or a
// change in the directory) fixes.
type Finding struct {
	// Fields are the Config fields to look at: "BindDN", "URLs[1]", ...
	Fields []string
	// Text says what is wrong and what to do, for an AD administrator.
	Text string
	// Warning is set when sign-in still works (for some users).
	Warning bool
}

// Check connects to every configured server in turn, outside the pools,
// binds as the service account and reports what worked and how long it
// took. A failed certificate check or service bind is explained in
// Finding.
//
// Each outcome is recorded as sign-in records it: a server that failed is
// tried last for RetryAfter, one that worked is healthy. So the searches
// that follow in the same run (CheckSearch, CheckUser) go to a server that
// answered, and a hung domain controller costs its connect timeout once.
func (d *Directory) Check(ctx context.Context) []ServerReport {
	var out []ServerReport
	for i, s := range d.conn.servers {
		r := ServerReport{URL: s.url}
		start := time.Now()
		lc, err := d.conn.connect(ctx, s, false)
		if err == nil {
			r.Connected = true
			err = run(ctx, lc, d.cfg.BindTimeout, func() error { return lc.Bind(d.cfg.BindDN, d.cfg.BindPassword) })
			r.Bound = err == nil
			lc.Close()
			if err != nil {
				r.Finding = serviceBindFinding(err)
			}
		} else {
			r.Finding = d.conn.tlsFinding(ctx, i, s, err)
		}
		r.Duration = time.Since(start)
		r.Err = err
		switch {
		case err == nil:
			s.deadUntil.Store(0)
		case ctx.Err() == nil:
			s.deadUntil.Store(d.cfg.Now().Add(d.cfg.RetryAfter).UnixNano())
		}
		out = append(out, r)
	}
	return out
}
