package saml2flow

import (
	"net/http"
	"net/url"

	"github.com/claimgate/claimgate/internal/login"
)

// crossSiteRepost re-posts an HTTP-POST message that arrived from another
// site from claimgate's own origin (login.Flow.CrossSiteRepost: the Lax
// session cookie comes with the second POST), to the endpoint's path on
// the origin the browser is at: the configured endpoint is where the SP
// sent it, so that is the same place, and no absolute URL is needed. The
// message's two fields are carried.
func (a *Adapter) crossSiteRepost(f *login.Flow, w http.ResponseWriter, r *http.Request, endpoint, param string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	return f.CrossSiteRepost(w, r, u.EscapedPath(), []string{param, "RelayState"})
}
