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
}

// Check connects to every configured server in turn, outside the pools,
// binds as the service account and reports what worked and how long it
// took. It does not change which servers are considered dead.
func (d *Directory) Check(ctx context.Context) []ServerReport {
	var out []ServerReport
	for _, s := range d.conn.servers {
		r := ServerReport{URL: s.url}
		start := time.Now()
		lc, err := d.conn.connect(ctx, s, false)
		if err == nil {
			r.Connected = true
			err = run(ctx, lc, d.cfg.BindTimeout, func() error { return lc.Bind(d.cfg.BindDN, d.cfg.BindPassword) })
			r.Bound = err == nil
			lc.Close()
		}
		r.Duration = time.Since(start)
		r.Err = err
		out = append(out, r)
	}
	return out
}
