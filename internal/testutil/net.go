package testutil

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

// FreeAddr returns a loopback address with a port that was free a moment
// ago, for a server a test starts later (a `claimgate serve` child given
// the address in its configuration).
//
// The port is drawn from 20000–32767, below Linux's ephemeral range
// (32768–60999): a port the kernel hands out for ":0" (httptest servers
// started meanwhile, outgoing connections) could be given again to one of
// them between this check and the server's own bind, which made tests fail
// with "address already in use"; a port below the range is never handed
// out that way.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12768))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue // taken: draw another
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port in 20000–32767")
	return ""
}
