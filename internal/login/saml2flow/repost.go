package saml2flow

import (
	"net/http"
	"net/url"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/templates"
)

// repostField marks a form claimgate's own page re-posted to itself.
const repostField = "claimgate_repost"

// crossSiteRepost answers an HTTP-POST message that arrived from another
// site by posting it again, unchanged, from a page of claimgate's own
// origin, and reports whether it did.
//
// Why: the session cookie is SameSite=Lax, and a browser sends no Lax
// cookie with a cross-site POST, which is exactly what the HTTP-POST
// binding is when the SP lives on another site. Without the cookie, a
// LogoutRequest would find no session and be answered Success while the
// session lives on, and an AuthnRequest would never get single sign-on
// and would replace the session (and its record of parties). The second
// POST is same-origin, so it carries the cookie. A lax cookie stays the
// protection against cross-site request forgery for everything else.
//
// Only a browser that says the POST is cross-site (Sec-Fetch-Site, sent by
// every current browser) is asked; a client that sends no such header
// (an SP's test tool, an old browser) is answered directly, as before.
// The page runs before any parsing, so no request ID is used up, and the
// marker keeps a re-post from being re-posted again. Every value of the
// message's two fields is kept, in order, so the parser still sees (and
// refuses) a field given twice. The page posts to the endpoint's path on
// the origin the browser is at: the configured endpoint is where the SP
// sent it, so that is the same place, and no absolute URL is needed.
func (a *Adapter) crossSiteRepost(f *login.Flow, w http.ResponseWriter, r *http.Request, endpoint, param string) bool {
	if r.Header.Get("Sec-Fetch-Site") != "cross-site" || r.PostForm.Has(repostField) {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Path == "" || u.Path[0] != '/' {
		return false
	}
	var fields []templates.Field
	for _, k := range []string{param, "RelayState"} {
		for _, v := range r.PostForm[k] {
			fields = append(fields, templates.Field{Name: k, Value: v})
		}
	}
	fields = append(fields, templates.Field{Name: repostField, Value: "1"})
	f.AutoPost(w, r, &login.Answer{URL: u.EscapedPath(), Fields: fields})
	return true
}
