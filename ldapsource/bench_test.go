package ldapsource

import "testing"

// BenchmarkSambaAuthenticate is one password sign-in (user search, user
// bind, tokenGroups read, identity) against the real DC over LDAPS,
// with the connection pools and without them (TCP + TLS + service bind
// for every operation).
func BenchmarkSambaAuthenticate(b *testing.B) {
	env := samba(b)
	for _, bc := range []struct {
		name string
		size int
	}{{"pooled", 4}, {"unpooled", NoPooling}} {
		b.Run(bc.name, func(b *testing.B) {
			d := env.directory(b, func(c *Config) { c.PoolSize = bc.size; c.Logger = nil })
			ctx := ctxT(b)
			for b.Loop() {
				if _, err := d.Authenticate(ctx, "alice", env.password()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSambaLookup is a password-less lookup (search + tokenGroups).
func BenchmarkSambaLookup(b *testing.B) {
	env := samba(b)
	for _, bc := range []struct {
		name string
		size int
	}{{"pooled", 4}, {"unpooled", NoPooling}} {
		b.Run(bc.name, func(b *testing.B) {
			d := env.directory(b, func(c *Config) { c.PoolSize = bc.size; c.Logger = nil })
			ctx := ctxT(b)
			for b.Loop() {
				if _, err := d.Lookup(ctx, "alice"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSambaAuthenticateParallel is concurrent sign-ins sharing one pool.
func BenchmarkSambaAuthenticateParallel(b *testing.B) {
	env := samba(b)
	d := env.directory(b, func(c *Config) { c.PoolSize = 8; c.Logger = nil })
	ctx := ctxT(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Authenticate(ctx, "alice", env.password()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
