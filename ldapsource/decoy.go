package ldapsource

import "context"

// SpendCheck does the user search Authenticate does and no bind, deciding
// nothing: the sign-in flow calls it for a locked-out attempt so the answer
// takes about as long as a checked one, while no password reaches the
// domain controller (a locked-out guess must never add to the account's
// badPwdCount). The bind's own round trip is the part it does not spend.
func (d *Directory) SpendCheck(ctx context.Context, username, _ string) {
	_, _, _ = d.find(ctx, username)
}
