package main

import (
	"net"
	"net/http"
	"sync"
)

// activeConns counts the connections with a request in progress: net/http's
// StateActive, from when a request's header has been read until its
// response has been written and the rest of its body read. A stop uses it
// to tell a request still running (in its handler, or its response still
// being sent) from a connection that has sent none, or is idle between two.
// A connection carries one request at a time: the servers speak HTTP/1.1
// only (no "h2" in their TLS configuration); with HTTP/2 this would count
// connections, not requests.
type activeConns struct {
	mu     sync.Mutex
	state  map[net.Conn]http.ConnState
	active int
}

func newActiveConns() *activeConns { return &activeConns{state: map[net.Conn]http.ConnState{}} }

// track is http.Server.ConnState.
func (a *activeConns) track(c net.Conn, s http.ConnState) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.state[c] == http.StateActive {
		a.active--
	}
	if s == http.StateActive {
		a.active++
	}
	if s == http.StateClosed || s == http.StateHijacked {
		delete(a.state, c)
		return
	}
	a.state[c] = s
}

// count is the connections with a request in progress now.
func (a *activeConns) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.active
}
