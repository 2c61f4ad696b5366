package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/store"
)

// OpenSharedStore opens the store for the server, which keeps one store
// across several Builds (Options.Store: every generation after a reload
// shares it, and so its connections and sign-in leases), after the checks
// Build makes before it opens the store itself: every configured file
// present, data_dir made. A SQLite store is opened as the one server on
// its file (sqlitestore.Options.Serve): while it is open a second
// server on the file fails here, and the leases are kept in memory. The
// caller closes it after the last App.
func OpenSharedStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if ps := cfg.CheckFiles(); len(ps) > 0 {
		return nil, &config.ValidationError{Problems: ps}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	return openConfigured(ctx, cfg, true)
}

// RestartOnly lists, as problems at their configuration paths, the
// settings that differ between the running configuration and a new one
// but cannot change while claimgate runs: the listening sockets (sign-in
// and metrics) and the http.Server limits bound to them, whether TLS is on
// at all, the store and its encryption key (the store stays open across
// reloads), the data directory (audit key, metadata caches) and the
// operational log. A reload that would change any of them is refused as a
// whole, so that the running service is always either the old file or the
// new one, never a mixture; the message says to restart.
func RestartOnly(old, new *config.Config) []config.Problem {
	var ps []config.Problem
	changed := func(path string, differ bool) {
		if differ {
			ps = append(ps, config.Problem{Path: path,
				Message: "changed, but takes effect only on a restart (systemctl restart claimgate); nothing was reloaded"})
		}
	}
	o, n := old.Server, new.Server
	changed("server.listen", o.Listen != n.Listen)
	changed("server.tls", (o.TLS == nil) != (n.TLS == nil))
	changed("server.read_timeout", o.ReadTimeout != n.ReadTimeout)
	changed("server.read_header_timeout", o.ReadHeaderTimeout != n.ReadHeaderTimeout)
	changed("server.write_timeout", o.WriteTimeout != n.WriteTimeout)
	changed("server.idle_timeout", o.IdleTimeout != n.IdleTimeout)
	changed("server.max_header_bytes", o.MaxHeaderBytes != n.MaxHeaderBytes)
	changed("metrics.listen", old.Metrics.Listen != new.Metrics.Listen)
	changed("data_dir", old.DataDir != new.DataDir)
	ost, nst := old.Store, new.Store
	changed("store.driver", ost.Driver != nst.Driver)
	changed("store.path", ost.Path != nst.Path)
	changed("store.dsn", ost.DSN.Value() != nst.DSN.Value())
	changed("store.max_conns", ost.MaxConns != nst.MaxConns)
	oldKey, _ := encryptionKey(old)
	newKey, _ := encryptionKey(new)
	changed("mfa.encryption_key", !bytes.Equal(oldKey, newKey))
	changed("logging.level", old.Logging.Level != new.Logging.Level)
	changed("logging.format", old.Logging.Format != new.Logging.Format)
	return ps
}

// Summary is what the log says about a generation: which certificate
// signs, which are published (SHA-1 thumbprints, as AD FS shows them) and
// how many relying parties are configured.
type Summary struct {
	Signing        string
	Published      []string
	RelyingParties int
}

// Summary describes a.
func (a *App) Summary() Summary {
	s := Summary{Signing: certs.ThumbprintSHA1(a.Keys.Signing.Certificate), RelyingParties: len(a.Config.RelyingParties)}
	for _, c := range a.Keys.Published {
		s.Published = append(s.Published, certs.ThumbprintSHA1(c))
	}
	return s
}

// DirectoryState is the readiness check's last directory probe: whether
// one has finished, and whether sign-in works with the directory. A users
// file is always probed and usable.
func (a *App) DirectoryState() (probed, usable bool, detail string) {
	r := a.ready
	if r.dir == nil {
		return true, true, "users file"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last.done, r.last.ok, r.last.detail
}

// WaitDirectoryProbe waits until the first directory probe of a has
// finished (Build starts it; it takes at most readyProbeTimeout) and
// returns DirectoryState's answer, so that a reloading server swaps in a
// generation whose /readyz already knows the directory instead of saying
// "not checked yet" to the load balancer.
func (a *App) WaitDirectoryProbe(ctx context.Context) (usable bool, detail string, err error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if probed, usable, detail := a.DirectoryState(); probed {
			return usable, detail, nil
		}
		select {
		case <-ctx.Done():
			return false, "", ctx.Err()
		case <-t.C:
		}
	}
}
