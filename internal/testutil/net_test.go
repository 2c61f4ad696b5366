package testutil

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeAddrBelowEphemeralRange: the port is free and outside the range
// the kernel hands out for ":0", so an ephemeral listener opened
// meanwhile cannot take it.
func TestFreeAddrBelowEphemeralRange(t *testing.T) {
	for range 50 {
		addr := FreeAddr(t)
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if port < 20000 || port >= 32768 {
			t.Fatalf("FreeAddr gave %s, want a port in 20000–32767", addr)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("FreeAddr gave %s, which is not free: %v", addr, err)
		}
		ln.Close()
	}
}
