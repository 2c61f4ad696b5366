package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
)

func (c *usersCmd) appPasswordCreate(user, name string) error {
	if name == "" {
		return errors.New("--name is required, e.g. --name \"iPhone Lync\"")
	}
	p, pw, err := factors.CreateAppPassword(c.ctx(), c.db, user, name, rand.Reader)
	if errors.Is(err, factors.ErrTooManyAppPasswords) {
		return fmt.Errorf("%s already has %d active app passwords, the most allowed; revoke one first (users list shows them)", user, factors.MaxAppPasswords)
	}
	if err != nil {
		return err
	}
	c.record(audit.EventAppPasswordCreated, user, name)
	fmt.Fprintf(c.e.stdout, "app password %s %q for %s (shown once; use it instead of the domain password):\n%s\n", p.ID, name, user, pw)
	return nil
}

func (c *usersCmd) appPasswordRevoke(user, id string) error {
	list, err := c.db.AppPasswords(c.ctx(), user)
	if err != nil {
		return err
	}
	for _, p := range list {
		if p.ID == id {
			if err := c.db.RevokeAppPassword(c.ctx(), id); err != nil {
				return err
			}
			c.record(audit.EventAppPasswordRevoked, user, p.Name)
			fmt.Fprintf(c.e.stdout, "app password %s revoked\n", id)
			return nil
		}
	}
	return fmt.Errorf("%s has no app password %s", user, id)
}

func (c *usersCmd) unlock(user string) error {
	l, err := lockout.New(c.db, lockout.DefaultPolicy())
	if err != nil {
		return err
	}
	if err := l.Unlock(c.ctx(), login.ThrottleKey(user)); err != nil {
		return err
	}
	c.record(audit.EventUnlock, user, "")
	fmt.Fprintf(c.e.stdout, "%s unlocked\n", user)
	return nil
}

func (c *usersCmd) unlockAddress(addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("%q is not an IP address", addr)
	}
	// Say so when there is nothing to lift: a help desk that typed the
	// address wrong must not be told the user can sign in again.
	ls, err := lockout.Locks(c.ctx(), c.db, c.now)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ls, func(l lockout.Lock) bool { return l.Scope == lockout.ScopeAddr && lockCovers(l.Addr, a) }) {
		return fmt.Errorf("address %s is not locked; nothing changed (claimgate users locks lists the locks in force)", a)
	}
	l, err := lockout.New(c.db, lockout.DefaultPolicy())
	if err != nil {
		return err
	}
	if err := l.UnlockAddr(c.ctx(), a); err != nil {
		return err
	}
	c.record(audit.EventUnlock, "", "address "+a.String())
	fmt.Fprintf(c.e.stdout, "address %s unlocked\n", a)
	return nil
}

func (c *usersCmd) locks() error {
	ls, err := lockout.Locks(c.ctx(), c.db, c.now)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		fmt.Fprintln(c.e.stdout, "no lockouts in force")
	}
	for _, l := range ls {
		fmt.Fprintf(c.e.stdout, "%s user=%s addr=%s until %s (level %d)\n", l.Scope, l.User, l.Addr, l.Until.UTC().Format(time.RFC3339), l.Level)
	}
	return nil
}

// lockCovers: a lock listed for key (an address, or an IPv6 /64) is the
// lock of a.
func lockCovers(key string, a netip.Addr) bool {
	if p, err := netip.ParsePrefix(key); err == nil {
		return p.Contains(a)
	}
	b, err := netip.ParseAddr(key)
	return err == nil && b.Unmap() == a.Unmap()
}
