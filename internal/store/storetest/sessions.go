package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

func testSessions(t *testing.T, su *suite) {
	s := su.open(t)
	if err := s.CreateSession(ctx(), "sid-1", []byte(`{"step":1}`), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	d, v, ok, err := s.GetSession(ctx(), "sid-1", t0)
	if !ok || err != nil || string(d) != `{"step":1}` || v != 1 {
		t.Fatalf("GetSession = %q v%d %v %v", d, v, ok, err)
	}
	if err := s.CreateSession(ctx(), "sid-1", []byte(`{"step":9}`), t0.Add(time.Minute)); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("CreateSession over an existing id: err = %v, want ErrDuplicate", err)
	}
	if err := s.CreateSession(ctx(), "", []byte("x"), t0.Add(time.Minute)); err == nil {
		t.Error("empty session id accepted")
	}
	if err := s.UpdateSession(ctx(), "sid-1", v, []byte(`{"step":2}`), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d, v2, _, _ := s.GetSession(ctx(), "sid-1", t0); string(d) != `{"step":2}` || v2 != 2 {
		t.Errorf("update: %q v%d", d, v2)
	}
	// A writer holding the old version loses, and changes nothing.
	if err := s.UpdateSession(ctx(), "sid-1", v, []byte(`{"step":"stale"}`), t0.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	if d, _, _, _ := s.GetSession(ctx(), "sid-1", t0); string(d) != `{"step":2}` {
		t.Errorf("stale update changed the row: %q", d)
	}
	// The update moved the expiry; at it the session is gone.
	if _, _, ok, _ := s.GetSession(ctx(), "sid-1", t0.Add(time.Minute)); !ok {
		t.Error("UpdateSession did not move the expiry")
	}
	if _, _, ok, _ := s.GetSession(ctx(), "sid-1", t0.Add(2*time.Minute)); ok {
		t.Error("expired session returned")
	}
	if _, _, ok, _ := s.GetSession(ctx(), "sid-2", t0); ok {
		t.Error("unknown session returned")
	}
	if err := s.DeleteSession(ctx(), "sid-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.GetSession(ctx(), "sid-1", t0); ok {
		t.Error("deleted session returned")
	}
	// Deleted is final: no update brings it back, whichever version.
	for _, ver := range []int64{1, 2, 3} {
		if err := s.UpdateSession(ctx(), "sid-1", ver, []byte(`{"step":"again"}`), t0.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("update of a deleted session at v%d: err = %v, want ErrConflict", ver, err)
		}
	}
	if _, _, ok, _ := s.GetSession(ctx(), "sid-1", t0); ok {
		t.Error("deleted session resurrected by an update")
	}
	if err := s.DeleteSession(ctx(), "sid-1"); err != nil {
		t.Errorf("deleting an absent session: %v", err)
	}
	// A second handle (another instance) sees the deletion too.
	if su.reopen != nil {
		s.CreateSession(ctx(), "sid-3", []byte("x"), t0.Add(time.Hour))
		s2 := su.second(t, s, Key())
		if err := s2.DeleteSession(ctx(), "sid-3"); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := s.GetSession(ctx(), "sid-3", t0); ok {
			t.Error("a session deleted through another handle is still there")
		}
	}
}

// testRotateSessionOnce: a session is rotated at most once; the loser of
// two rotations of one version writes nothing.
func testRotateSessionOnce(t *testing.T, su *suite) {
	s := su.open(t)
	exp := t0.Add(time.Hour)
	if err := s.CreateSession(ctx(), "a", []byte("A"), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateSession(ctx(), "a", 1, "b", []byte("B"), exp); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.GetSession(ctx(), "a", t0); ok {
		t.Error("old id still works after rotation")
	}
	if d, v, ok, _ := s.GetSession(ctx(), "b", t0); !ok || string(d) != "B" || v != 1 {
		t.Errorf("new id: %q v%d %v", d, v, ok)
	}
	if err := s.RotateSession(ctx(), "a", 1, "c", []byte("C"), exp); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second rotation of the same version: err = %v, want ErrConflict", err)
	}
	if _, _, ok, _ := s.GetSession(ctx(), "c", t0); ok {
		t.Error("losing rotation created its session")
	}
	// A rotation from a stale version of a live session loses too, and
	// leaves the live one as it was.
	if err := s.UpdateSession(ctx(), "b", 1, []byte("B2"), exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateSession(ctx(), "b", 1, "d", []byte("D"), exp); !errors.Is(err, store.ErrConflict) {
		t.Errorf("rotation from a stale version: err = %v", err)
	}
	if d, v, ok, _ := s.GetSession(ctx(), "b", t0); !ok || string(d) != "B2" || v != 2 {
		t.Errorf("after a losing rotation: %q v%d %v", d, v, ok)
	}
	if _, _, ok, _ := s.GetSession(ctx(), "d", t0); ok {
		t.Error("rotation from a stale version created its session")
	}
	// Rotating onto an existing id writes nothing either.
	s.CreateSession(ctx(), "e", []byte("E"), exp)
	if err := s.RotateSession(ctx(), "b", 2, "e", []byte("X"), exp); err == nil {
		t.Error("rotation onto an existing id succeeded")
	}
	if d, _, ok, _ := s.GetSession(ctx(), "b", t0); !ok || string(d) != "B2" {
		t.Errorf("a failed rotation deleted the old session: %q %v", d, ok)
	}
	if d, _, _, _ := s.GetSession(ctx(), "e", t0); string(d) != "E" {
		t.Errorf("a failed rotation overwrote another session: %q", d)
	}
}

// testRotateSessionOneWinner: many requests rotating one session version
// at once, through two handles when the driver has them: one wins.
func testRotateSessionOneWinner(t *testing.T, su *suite) {
	s := su.open(t)
	hs := []store.Store{s}
	if su.reopen != nil {
		hs = append(hs, su.second(t, s, Key()))
	}
	exp := t0.Add(time.Hour)
	if err := s.CreateSession(ctx(), "a", []byte("A"), exp); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	race(10, func(i int) {
		err := hs[i%len(hs)].RotateSession(ctx(), "a", 1, "new-"+string(rune('0'+i)), []byte("N"), exp)
		switch {
		case err == nil:
			wins.Add(1)
		case !errors.Is(err, store.ErrConflict):
			t.Error(err)
		}
	})
	if wins.Load() != 1 {
		t.Fatalf("%d rotations of one version won, want 1", wins.Load())
	}
	live := 0
	for i := range 10 {
		if _, _, ok, _ := s.GetSession(ctx(), "new-"+string(rune('0'+i)), t0); ok {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d new sessions exist, want 1", live)
	}
}
