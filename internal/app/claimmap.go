package app

import (
	"context"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
)

// mappedDirectory applies the claims section's value choices (claims.name,
// claims.logon_sids) to every identity a directory returns that does not
// apply them itself: the users file. ldapsource applies them on its own
// (ldapsource.Config.Claims), so `claimgate check` keeps its
// *ldapsource.Directory.
type mappedDirectory struct {
	dir login.Directory
	m   claims.Mapping
}

var (
	_ login.Directory = mappedDirectory{}
	_ login.Decoy     = mappedDirectory{}
)

func (d mappedDirectory) Authenticate(ctx context.Context, username, password string) (claims.Identity, error) {
	id, err := d.dir.Authenticate(ctx, username, password)
	if err != nil {
		return id, err
	}
	return d.m.Apply(id), nil
}

func (d mappedDirectory) Lookup(ctx context.Context, username string) (claims.Identity, error) {
	id, err := d.dir.Lookup(ctx, username)
	if err != nil {
		return id, err
	}
	return d.m.Apply(id), nil
}

// SpendCheck keeps the wrapped directory's decoy (login.Decoy), so a
// locked-out attempt still costs what a checked one does.
func (d mappedDirectory) SpendCheck(ctx context.Context, username, password string) {
	if dc, ok := d.dir.(login.Decoy); ok {
		dc.SpendCheck(ctx, username, password)
	}
}
