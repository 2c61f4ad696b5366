package app

import (
	"context"
	"fmt"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/pgstore"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// OpenStore opens the configured store with its encryption key; the admin
// CLI uses it while the server runs (the server opens it with
// OpenSharedStore). Everything past this point holds the store.Store
// interface, not a driver.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	return openConfigured(ctx, cfg, false)
}

// openConfigured opens cfg's store; serve is true for the process that
// signs users in (claimgate serve).
func openConfigured(ctx context.Context, cfg *config.Config, serve bool) (store.Store, error) {
	key, err := encryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, cfg.Store, key, serve)
}

// openStore is the one place that knows the drivers. With serve, the
// SQLite store takes its serve lock (one server per file: a second one
// fails to start) and keeps the sign-in leases in memory; PostgreSQL,
// the store of several instances, keeps them in the database either way.
func openStore(ctx context.Context, c config.Store, key []byte, serve bool) (store.Store, error) {
	switch c.Driver {
	case "", config.DefaultStoreDriver:
		db, err := sqlitestore.Open(ctx, c.Path, sqlitestore.Options{Key: key, Serve: serve})
		if err != nil {
			return nil, err // not a store.Store holding a nil *sqlitestore.DB
		}
		return db, nil
	case "postgres":
		db, err := pgstore.Open(ctx, c.DSN.Value(), pgstore.Options{Key: key, MaxConns: int32(c.MaxConns)})
		if err != nil {
			return nil, err // not a store.Store holding a nil *pgstore.DB
		}
		return db, nil
	default:
		return nil, fmt.Errorf("store.driver: unknown driver %q; use sqlite or postgres", c.Driver)
	}
}
