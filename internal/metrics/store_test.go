package metrics_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

// snake is the operation label of a store method: GetSession →
// get_session, ConsumeSMSCode → consume_sms_code.
func snake(method string) string {
	rs := []rune(method)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && unicode.IsLower(rs[i-1])
			endOfAcronym := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || endOfAcronym {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), sqlitestore.FileName), sqlitestore.Options{Key: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStoreTimesEveryMethod calls every method of store.Store through the
// decorator, found by reflection so that a method added to the interface
// later is covered too (the decorator would not compile without it), on a
// real SQLite store, and checks that each was timed exactly once under
// its own operation label.
func TestStoreTimesEveryMethod(t *testing.T) {
	m := metrics.New()
	st := m.Store(openStore(t))
	v := reflect.ValueOf(st)
	typ := reflect.TypeFor[store.Store]()
	ctx := reflect.ValueOf(context.Background())
	var ops []string
	for i := range typ.NumMethod() {
		meth := typ.Method(i)
		if meth.Name == "Close" {
			continue
		}
		fn := v.MethodByName(meth.Name)
		args := make([]reflect.Value, fn.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(fn.Type().In(j))
		}
		args[0] = ctx
		fn.Call(args)
		ops = append(ops, snake(meth.Name))
	}
	if len(ops) < 30 {
		t.Fatalf("only %d store methods found: %v", len(ops), ops)
	}
	f := scrape(t, m)
	const h = "claimgate_store_operation_duration_seconds"
	for _, op := range ops {
		if n := f.Count(t, h, "operation", op); n != 1 {
			t.Errorf("%s: %d observations, want 1", op, n)
		}
	}
	if got := f.LabelValues(h, "operation"); len(got) != len(ops) {
		t.Errorf("operations %v, want exactly %v", got, ops)
	}
}

// TestStoreDecoratorPassesThrough: results and errors are the store's own,
// and only real failures count as errors: not found, a lost
// compare-and-set and a cancelled request are answers.
func TestStoreDecoratorPassesThrough(t *testing.T) {
	m := metrics.New()
	raw := openStore(t)
	st := m.Store(raw)
	ctx := context.Background()
	now := time.Now()
	if err := st.CreateSession(ctx, "s1", []byte("data"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, ver, found, err := st.GetSession(ctx, "s1", now)
	if err != nil || !found || string(data) != "data" || ver != 1 {
		t.Fatalf("GetSession: %q %d %v %v", data, ver, found, err)
	}
	if err := st.CreateSession(ctx, "s1", nil, now.Add(time.Hour)); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate session: %v", err)
	}
	if err := st.UpdateSession(ctx, "s1", 7, nil, now.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	if _, err := st.Factor(ctx, "no such factor"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing factor: %v", err)
	}
	fresh, err := st.UseCode(ctx, "alice", "f1", "totp:1", now.Add(time.Hour))
	if err != nil || !fresh {
		t.Fatalf("first UseCode: %v %v", fresh, err)
	}
	if fresh, err := st.UseCode(ctx, "alice", "f1", "totp:1", now.Add(time.Hour)); err != nil || fresh {
		t.Fatalf("replayed UseCode: %v %v", fresh, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, _, err := st.GetSession(cancelled, "s1", now); err == nil {
		t.Fatal("GetSession with a cancelled context succeeded")
	}
	f := scrape(t, m)
	if fam := f["claimgate_store_errors_total"]; len(fam.GetMetric()) != 0 {
		t.Errorf("answers counted as store errors: %v", fam)
	}
	if n := f.Count(t, "claimgate_store_operation_duration_seconds", "operation", "get_session"); n != 2 {
		t.Errorf("get_session timed %d times, want 2", n)
	}

	// A store that cannot answer: every operation is an error.
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.GetSession(ctx, "s1", now); err == nil {
		t.Fatal("GetSession on a closed store succeeded")
	}
	if err := st.AppendAudit(ctx, auditRecord()); err == nil {
		t.Fatal("AppendAudit on a closed store succeeded")
	}
	f = scrape(t, m)
	for _, op := range []string{"get_session", "append_audit"} {
		if v := f.Value(t, "claimgate_store_errors_total", "operation", op); v != 1 {
			t.Errorf("%s errors %v, want 1", op, v)
		}
	}
}
