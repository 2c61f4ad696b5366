package wsfedflow

import (
	"net/http"
	"strings"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/wsfed"
)

var _ login.SignOutNotifier = (*Adapter)(nil)

// SignOutFrame is login.SignOutNotifier: a relying party of an ended
// session is sent wa=wsignoutcleanup1.0 at its configured reply URL, its
// passive endpoint (AD FS accepts the cleanup there and answers it in a
// frame). A party no longer configured, or without a reply URL, is not
// told. The session keeps nothing else for it: the realm is the party's
// ID.
func (a *Adapter) SignOutFrame(_ *http.Request, p login.SessionParty) (*login.Frame, error) {
	party, ok := a.o.Parties.Party(p.ID)
	if !ok || party == nil || party.ReplyURL == "" {
		return nil, nil
	}
	sep := "?"
	if strings.Contains(party.ReplyURL, "?") {
		sep = "&"
	}
	return &login.Frame{URL: party.ReplyURL + sep + "wa=" + wsfed.WaSignOutCleanup}, nil
}
