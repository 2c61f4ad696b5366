package saml2flow

import (
	"context"
	"strings"
	"time"
)

// replayUser is the store's user name for used AuthnRequest IDs: not a
// directory account, so no user's codes can collide with them.
const replayUser = "saml2"

// replay is saml2.IDCache over the store's used-code records (factor =
// the SP's entity ID, fingerprint = the request ID), so "first use wins"
// holds across every instance sharing the store. A store failure counts
// as seen (fail closed) and is kept in err, so the handler can answer
// "try again later" rather than "bad request".
type replay struct {
	ctx   context.Context
	codes Codes
	err   error
}

func (c *replay) Seen(key string, expires time.Time) bool {
	// saml2 keys by issuer and ID, separated by NUL.
	issuer, id, ok := strings.Cut(key, "\x00")
	if !ok {
		issuer, id = "", key
	}
	fresh, err := c.codes.UseCode(c.ctx, replayUser, issuer, id, expires)
	if err != nil {
		c.err = err
		return true
	}
	return !fresh
}
