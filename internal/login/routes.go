package login

import (
	"maps"
	"net/http"
	"slices"
)

// Routes are every endpoint of the sign-in: the pages of the state machine
// and each protocol's own. The server mounts them all.
func (f *Flow) Routes() []Route {
	rs := []Route{
		{http.MethodGet, PathLogin, f.LoginPage},
		{http.MethodPost, PathLogin, f.LoginSubmit},
		{http.MethodGet, PathCode, f.CodePage},
		{http.MethodPost, PathCode, f.CodeSubmit},
		{http.MethodGet, PathPick, f.ChoosePage},
		{http.MethodPost, PathPick, f.ChooseSubmit},
		{http.MethodPost, PathSend, f.Resend},
		{http.MethodGet, PathEnrol, f.EnrolPage},
		{http.MethodPost, PathEnrol, f.EnrolSubmit},
		{http.MethodGet, PathSignedOut, f.SignedOut},
	}
	for _, name := range slices.Sorted(maps.Keys(f.protocols)) {
		rs = append(rs, f.protocols[name].Routes(f)...)
	}
	return rs
}
