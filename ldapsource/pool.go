package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// errClosed is returned after Directory.Close.
var errClosed = errors.New("ldapsource: directory is closed")

// errConnClosing is what an Observer is told when an operation returned
// no error but left its connection closing.
var errConnClosing = errors.New("ldapsource: connection closed during the operation")

// pool keeps up to size open connections of one kind (service-bound, or
// for user binds) and hands each to one caller at a time.
//
// slots holds one token per open connection (idle or in use), so at most
// size connections exist; idle holds the ones not in use. A caller takes
// an idle connection if there is one, otherwise opens a new one if a slot
// is free, otherwise waits for either (or for its context).
type pool struct {
	c           *connector
	serviceBind bool
	size        int // NoPooling: a fresh connection per operation
	slots       chan struct{}
	idle        chan *conn
	closed      atomic.Bool
	opened      atomic.Int64 // connections opened, for tests and benchmarks
}

func newPool(c *connector, serviceBind bool, size int) *pool {
	p := &pool{c: c, serviceBind: serviceBind, size: size}
	if size > 0 {
		p.slots = make(chan struct{}, size)
		p.idle = make(chan *conn, size)
	}
	return p
}

// get returns a connection and whether it was reused from the pool.
func (p *pool) get(ctx context.Context) (*conn, bool, error) {
	if p.closed.Load() {
		return nil, false, errClosed
	}
	if p.size <= 0 {
		c, err := p.open(ctx)
		return c, false, err
	}
	for {
		var c *conn
		select {
		case c = <-p.idle:
		default:
			select {
			case c = <-p.idle:
			case p.slots <- struct{}{}:
				c, err := p.open(ctx)
				if err != nil {
					<-p.slots
				}
				return c, false, err
			case <-ctx.Done():
				return nil, false, fmt.Errorf("ldapsource: waiting for a connection: %w", context.Cause(ctx))
			}
		}
		// Health check on reuse: go-ldap marks a connection closing as soon
		// as its reader sees EOF or an error, and connections idle longer
		// than IdleTimeout may have been dropped by the DC or a firewall.
		if c.IsClosing() || p.c.cfg.Now().Sub(c.lastUsed) > p.c.cfg.IdleTimeout {
			p.discard(c)
			continue
		}
		return c, true, nil
	}
}

func (p *pool) open(ctx context.Context) (*conn, error) {
	c, err := p.c.open(ctx, p.serviceBind)
	if err == nil {
		p.opened.Add(1)
	}
	return c, err
}

// put returns c to the pool, or closes it when it is broken, the pool is
// closed or pooling is off.
func (p *pool) put(c *conn, broken bool) {
	if p.size <= 0 {
		c.Close()
		return
	}
	if broken || p.closed.Load() {
		p.discard(c)
		return
	}
	c.lastUsed = p.c.cfg.Now()
	p.idle <- c // never blocks: at most size connections hold slots
	if p.closed.Load() {
		p.drain()
	}
}

func (p *pool) discard(c *conn) {
	c.Close()
	<-p.slots
}

// with runs fn on a pooled connection. A connection that turns out broken
// is replaced; when it came from the pool (and so may simply have gone
// stale) fn is retried once on a fresh connection.
func (p *pool) with(ctx context.Context, fn func(*conn) error) error {
	for attempt := 0; ; attempt++ {
		c, reused, err := p.get(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		err = fn(c)
		broken := c.broken(err)
		p.observe(ctx, c, start, err, broken)
		p.put(c, broken)
		if broken && reused && attempt == 0 && ctx.Err() == nil {
			p.c.log.Debug("pooled ldap connection broken, retrying on a new one", "server", c.server.url, "err", err)
			continue
		}
		return err
	}
}

// observe reports one operation on c: a failure only when the connection
// broke (the server did not answer); an LDAP result is an answer.
func (p *pool) observe(ctx context.Context, c *conn, start time.Time, err error, broken bool) {
	if ctx.Err() != nil {
		return // the caller gave up: that says nothing about the server
	}
	op := OpBind
	if p.serviceBind {
		op = OpSearch
	}
	if !broken {
		err = nil
	} else if err == nil {
		err = errConnClosing
	}
	p.c.cfg.observe(c.server.url, op, start, err)
}

// close closes idle connections now and in-use ones when they come back.
func (p *pool) close() {
	p.closed.Store(true)
	if p.size > 0 {
		p.drain()
	}
}

func (p *pool) drain() {
	for {
		select {
		case c := <-p.idle:
			p.discard(c)
		default:
			return
		}
	}
}
