package sqlitestore

import (
	"context"
	"errors"
	"fmt"
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
