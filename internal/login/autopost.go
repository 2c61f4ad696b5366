package login

import "net/http"

// AutoPost renders the auto-POST page for an answer a protocol makes
// outside a sign-in: a SAML error Response to a request refused before
// Begin, or a LogoutResponse. It is the page Responder answers get, so
// every protocol message leaves the same way (no form-action in its CSP).
func (f *Flow) AutoPost(w http.ResponseWriter, r *http.Request, a *Answer) { f.autoPost(w, r, a) }
