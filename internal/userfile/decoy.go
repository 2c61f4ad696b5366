package userfile

import (
	"context"

	"github.com/claimgate/claimgate/internal/mfa"
)

// SpendCheck costs what Authenticate costs for username and decides
// nothing: the sign-in flow calls it for a locked-out attempt, so the
// answer takes as long as a checked one. A known name's own hash is
// computed (its cost parameters are what a real check pays) and the
// result thrown away. It never waits for the Limiter (Limiter.Spend): with
// no place free it sleeps what the last check took, so a flood of refused
// guesses queues nothing before the checks that count.
func (d *Directory) SpendCheck(ctx context.Context, username, password string) {
	if ctx.Err() != nil {
		return
	}
	hash := d.dummy
	if e := d.resolve(username); e != nil {
		hash = e.hash
	}
	d.Limiter.Spend(ctx, hash, func() { _, _ = mfa.CheckPassword(hash, password) })
}
