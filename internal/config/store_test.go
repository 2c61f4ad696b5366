package config

import (
	"fmt"
	"strings"
	"testing"
)

const pgPassword = "pg-Secret-77x"

// TestStorePostgres: the postgres driver takes its DSN as a secret (a
// value or {env:}), defaults the pool size, and never prints the DSN.
func TestStorePostgres(t *testing.T) {
	dsn := "postgres://claimgate:" + pgPassword + "@db.example:5432/claimgate?sslmode=verify-full"
	c := mustLoad(t, minimal+"store:\n  driver: postgres\n  dsn: '"+dsn+"'\n", nil)
	if c.Store.Driver != "postgres" || c.Store.DSN.Value() != dsn || c.Store.MaxConns != DefaultStoreMaxConns || c.Store.Path != "" {
		t.Fatalf("store = %+v (dsn %q)", c.Store, c.Store.DSN.Value())
	}
	if out := fmt.Sprintf("%v %+v %#v", c, c.Store, c.Store); strings.Contains(out, pgPassword) {
		t.Fatal("printing the config shows the DSN")
	}
	c = mustLoad(t, minimal+"store:\n  driver: postgres\n  dsn: {env: PG_DSN}\n  max_conns: 25\n", map[string]string{"PG_DSN": dsn})
	if c.Store.DSN.Value() != dsn || c.Store.DSN.Source() != "env PG_DSN" || c.Store.MaxConns != 25 {
		t.Fatalf("store from env = %+v, source %q", c.Store, c.Store.DSN.Source())
	}
}

// TestStoreProblems: each mistake is reported at its path, and a DSN
// that does not parse is reported without repeating it.
func TestStoreProblems(t *testing.T) {
	for _, tc := range []struct {
		store, path, fragment string
	}{
		{"driver: postgres", "store.dsn", "required for the postgres driver"},
		{"driver: postgres\n  dsn: {env: PG_UNSET}", "store.dsn", "PG_UNSET is not set"},
		{"driver: postgres\n  dsn: 'postgres://u:" + pgPassword + "@db.example:port/db'", "store.dsn", "invalid connection string: invalid port"},
		{"driver: postgres\n  dsn: 'postgres://u:" + pgPassword + "@db.example/db?sslmode=maybe'", "store.dsn", "sslmode is invalid"},
		{"driver: postgres\n  dsn: \"host=db password='" + pgPassword + "\"", "store.dsn", "invalid connection string"},
		{"driver: postgres\n  dsn: postgres://db.example/db\n  max_conns: -1", "store.max_conns", "between 1 and"},
		{"driver: postgres\n  dsn: postgres://db.example/db\n  path: /var/lib/x.db", "store.path", "only to the sqlite driver"},
		{"driver: sqlite\n  max_conns: 5", "store.max_conns", "only to the postgres driver"},
		{"dsn: postgres://db.example/db", "store.dsn", "only to the postgres driver"},
	} {
		_, err := Load(writeConfig(t, minimal+"store:\n  "+tc.store+"\n"), envMap(nil))
		if err == nil {
			t.Errorf("%q: loaded", tc.store)
			continue
		}
		if ps := problemsOf(t, err); !hasProblem(ps, tc.path, tc.fragment) {
			t.Errorf("%q: want %s: ...%s..., got %v", tc.store, tc.path, tc.fragment, ps)
		}
		if strings.Contains(err.Error(), pgPassword) {
			t.Errorf("%q: the error shows the password: %v", tc.store, err)
		}
	}
}
