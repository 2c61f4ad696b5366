package sqlitestore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/claimgate/claimgate/internal/store"
)

// Benchmarks of the per-sign-in write paths (synchronous=FULL, so each is
// bounded by an fsync of the WAL).
func BenchmarkUseCode(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir()+"/"+FileName, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.UseCode(ctx, "alice", "f1", "totp:"+strconv.Itoa(i), t0.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFactorReadAndUpdate(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/"+FileName, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: "p", Secret: []byte("12345678901234567890")})
	if err != nil {
		b.Fatal(err)
	}
	step := int64(0)
	for b.Loop() {
		got, err := s.Factor(ctx, f.ID)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.UpdateFactorUse(ctx, f.ID, store.FactorUse{LastStep: got.LastStep}, store.FactorUse{LastStep: step + 1}, t0); err != nil {
			b.Fatal(err)
		}
		step++
	}
}

func BenchmarkGetSession(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/"+FileName, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.CreateSession(ctx, "sid", make([]byte, 512), t0.Add(time.Hour))
	for b.Loop() {
		if _, _, ok, err := s.GetSession(ctx, "sid", t0); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
