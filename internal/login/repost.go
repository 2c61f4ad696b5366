package login

import (
	"net/http"

	"github.com/claimgate/claimgate/templates"
)

// RepostField marks a form claimgate's own page re-posted to itself.
const RepostField = "claimgate_repost"

// CrossSiteRepost answers a POST that a browser says came from another
// site by posting it again, from a page of claimgate's own origin, to
// path (an absolute path on this origin), and reports whether it did.
// fields are the form fields to carry: every value of each, in order, so
// a parser still sees (and refuses) a field given twice.
//
// Why: the session cookie is SameSite=Lax, and a browser sends no Lax
// cookie with a cross-site POST (SAML's HTTP-POST binding from an SP on
// another site; a WS-Federation request posted by another site). Without
// the cookie the request finds no session: a LogoutRequest would be
// answered Success while the session lives on, and a sign-in request
// would start a new session whose cookie replaces the user's (and with it
// the record of the parties to tell at sign-out). The second POST is
// same-origin, so it carries the cookie; what it can do is what a
// top-level GET of the same request could.
//
// Only a browser that says the POST is cross-site (Sec-Fetch-Site, sent by
// every current browser) is asked; a client that sends no such header is
// answered directly. The caller runs it before any parsing (no request ID
// is used up), and the marker keeps a re-post from being re-posted.
func (f *Flow) CrossSiteRepost(w http.ResponseWriter, r *http.Request, path string, fields []string) bool {
	if r.Method != http.MethodPost || r.Header.Get("Sec-Fetch-Site") != "cross-site" || r.PostForm.Has(RepostField) ||
		path == "" || path[0] != '/' {
		return false
	}
	var out []templates.Field
	for _, k := range fields {
		for _, v := range r.PostForm[k] {
			out = append(out, templates.Field{Name: k, Value: v})
		}
	}
	out = append(out, templates.Field{Name: RepostField, Value: "1"})
	f.AutoPost(w, r, &Answer{URL: path, Fields: out})
	return true
}
