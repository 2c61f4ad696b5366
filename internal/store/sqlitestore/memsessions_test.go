package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// TestServeSessionReadsFromCache: a serving DB answers a session it wrote
// from memory: a row changed in the file behind its back (which only
// another writer could do, and the serve lock leaves none) is not seen,
// while every write of its own is, at once, including the ones that
// remove a session. A DB without Serve reads the file each time.
func TestServeSessionReadsFromCache(t *testing.T) {
	ctx := context.Background()
	s := openServe(t, dbPath(t))
	exp := t0.Add(time.Hour)
	if err := s.CreateSession(ctx, "sid", []byte(`{"v":1}`), exp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.rawExec(`UPDATE sessions SET version = 7`); err != nil {
		t.Fatal(err)
	}
	if data, v, ok, err := s.GetSession(ctx, "sid", t0); err != nil || !ok || v != 1 || string(data) != `{"v":1}` {
		t.Fatalf("GetSession: %s %d %v %v; want the written row, version 1, from memory", data, v, ok, err)
	}
	if _, err := s.rawExec(`UPDATE sessions SET version = 1`); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSession(ctx, "sid", 1, []byte(`{"v":2}`), exp); err != nil {
		t.Fatal(err)
	}
	if data, v, ok, _ := s.GetSession(ctx, "sid", t0); !ok || v != 2 || string(data) != `{"v":2}` {
		t.Fatalf("after an update: %s %d %v", data, v, ok)
	}
	if err := s.UpdateSession(ctx, "sid", 1, []byte(`{"v":"stale"}`), exp); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if data, v, ok, _ := s.GetSession(ctx, "sid", t0); !ok || v != 2 || string(data) != `{"v":2}` {
		t.Fatalf("after a refused update: %s %d %v, want version 2 unchanged", data, v, ok)
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid", exp); ok {
		t.Error("an expired session was found")
	}
	// Written again, so cached again (the refused write dropped it).
	if err := s.UpdateSession(ctx, "sid", 2, []byte(`{"v":2.5}`), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateSession(ctx, "sid", 3, "sid2", []byte(`{"v":3}`), exp); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid", t0); ok {
		t.Error("the rotated-away session was still found")
	}
	if data, v, ok, _ := s.GetSession(ctx, "sid2", t0); !ok || v != 1 || string(data) != `{"v":3}` {
		t.Fatalf("the rotated session: %s %d %v", data, v, ok)
	}
	// The caller owns what it got: changing it changes nothing stored.
	data, _, _, _ := s.GetSession(ctx, "sid2", t0)
	data[0] = 'X'
	if again, _, _, _ := s.GetSession(ctx, "sid2", t0); string(again) != `{"v":3}` {
		t.Fatalf("a caller's change reached the cache: %s", again)
	}
	if err := s.DeleteSession(ctx, "sid2"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.GetSession(ctx, "sid2", t0); ok {
		t.Error("a deleted session was found")
	}
	if n := len(s.sessions.m); n != 0 {
		t.Errorf("%d sessions cached after every one went; want 0", n)
	}

	plain, err := Open(ctx, dbPath(t), Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.CreateSession(ctx, "p", []byte(`{}`), exp); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.rawExec(`DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := plain.GetSession(ctx, "p", t0); ok {
		t.Error("a DB opened without Serve answered from a cache")
	}
}

// TestServeSessionCacheBounded: past maxCachedSessions the cache gives
// entries up, and those are still read, from the file; a restart starts
// with an empty cache and reads the file.
func TestServeSessionCacheBounded(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openServe(t, path)
	exp := t0.Add(time.Hour)
	const n = maxCachedSessions + 50
	for i := range n {
		if err := s.CreateSession(ctx, fmt.Sprint("s", i), []byte(fmt.Sprint(i)), exp); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.sessions.m); got != maxCachedSessions {
		t.Fatalf("%d sessions cached, want %d", got, maxCachedSessions)
	}
	check := func(s *DB) {
		t.Helper()
		for i := range n {
			data, _, ok, err := s.GetSession(ctx, fmt.Sprint("s", i), t0)
			if err != nil || !ok || string(data) != fmt.Sprint(i) {
				t.Fatalf("session %d: %q %v %v", i, data, ok, err)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openServe(t, path)
	check(s2)
	if got := len(s2.sessions.m); got != 0 {
		t.Errorf("reads filled the cache with %d sessions; only writes may", got)
	}
}

// TestServeSessionCacheBytes: a large session (a long wctx) is not kept
// in memory but read from the file, and the cache's bytes stay bounded
// however many sessions of the largest kept size a flood of sign-in
// requests creates (found by review: 4,096 rows of ~11 KiB each).
func TestServeSessionCacheBytes(t *testing.T) {
	ctx := context.Background()
	s := openServe(t, dbPath(t))
	exp := t0.Add(time.Hour)
	big := make([]byte, maxCachedRow)
	if err := s.CreateSession(ctx, "big", big, exp); err != nil {
		t.Fatal(err)
	}
	if len(s.sessions.m) != 0 {
		t.Fatal("a session larger than maxCachedRow was cached")
	}
	if data, _, ok, err := s.GetSession(ctx, "big", t0); err != nil || !ok || len(data) != len(big) {
		t.Fatalf("the large session from the file: %d bytes %v %v", len(data), ok, err)
	}
	row := make([]byte, maxCachedRow-100) // sealed, just under the cap
	for i := range 3000 {
		if err := s.CreateSession(ctx, fmt.Sprint("s", i), row, exp); err != nil {
			t.Fatal(err)
		}
		if s.sessions.bytes > maxCachedBytes {
			t.Fatalf("after %d sessions the cache holds %d bytes, over %d", i+1, s.sessions.bytes, maxCachedBytes)
		}
	}
	var sum int
	for _, r := range s.sessions.m {
		sum += len(r.blob)
	}
	if sum != s.sessions.bytes || len(s.sessions.m) == 0 {
		t.Errorf("the cache counts %d bytes in %d rows, holds %d", s.sessions.bytes, len(s.sessions.m), sum)
	}
}

// TestSessionWritesBesideAServer: a DB opened without Serve (claimgate
// demo, a test) cannot write sessions on a file a server is serving, whose
// cache would not see them (found by review); reading them is harmless.
func TestSessionWritesBesideAServer(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	srv := openServe(t, path)
	if err := srv.CreateSession(ctx, "sid", []byte(`{}`), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	other := openT(t, path, testKey)
	for name, write := range map[string]func() error{
		"CreateSession": func() error { return other.CreateSession(ctx, "x", []byte(`{}`), t0.Add(time.Hour)) },
		"UpdateSession": func() error { return other.UpdateSession(ctx, "sid", 1, []byte(`{"a":1}`), t0.Add(time.Hour)) },
		"RotateSession": func() error { return other.RotateSession(ctx, "sid", 1, "sid2", []byte(`{}`), t0.Add(time.Hour)) },
		"DeleteSession": func() error { return other.DeleteSession(ctx, "sid") },
	} {
		if err := write(); err == nil || !strings.Contains(err.Error(), "served by a claimgate serve") {
			t.Errorf("%s beside a server: %v, want the serve lock's refusal", name, err)
		}
	}
	if _, v, ok, err := srv.GetSession(ctx, "sid", t0); err != nil || !ok || v != 1 {
		t.Errorf("the server's session after the refused writes: v%d %v %v", v, ok, err)
	}
	if _, _, ok, err := other.GetSession(ctx, "sid", t0); err != nil || !ok {
		t.Errorf("reading beside a server: %v %v", ok, err)
	}
}
