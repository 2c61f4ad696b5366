package wsfedflow

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// maxQuery caps the whole query string or form body of a request; wsfed
// caps each parameter again.
const maxQuery = 16 << 10

// serve answers the passive endpoint: sign-in goes to the state machine,
// sign-out ends the session here.
func (a *Adapter) serve(f *login.Flow, w http.ResponseWriter, r *http.Request) {
	if len(r.URL.RawQuery) > maxQuery {
		f.Fail(w, r, http.StatusRequestURITooLong, "error.too_large", "query too large", nil)
		return
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxQuery)
	}
	if err := r.ParseForm(); err != nil {
		f.FormError(w, r, "unparsable request", err)
		return
	}
	// A request another site posted comes without the Lax session cookie:
	// posted again from our origin, it finds the session instead of
	// replacing it (and its record of parties).
	to := login.PathWSFed
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery // as it came: the parser still sees a field given twice
	}
	if f.CrossSiteRepost(w, r, to, sortedKeys(r.PostForm)) {
		return
	}
	req, err := wsfed.ParseRequest(r.Form, a.o.Parties)
	if err != nil {
		requestError(f, w, r, err)
		return
	}
	switch req.Action {
	case wsfed.ActionSignOut, wsfed.ActionSignOutCleanup:
		signOut(f, w, r, req, a.knownParty(req.Realm))
		return
	}
	p, err := pendingFrom(req)
	if err != nil {
		f.Fail(w, r, http.StatusInternalServerError, "error.internal", "internal error", err)
		return
	}
	f.Begin(w, r, p)
}

// sortedKeys are a form's field names, in a fixed order.
func sortedKeys(v url.Values) []string {
	ks := make([]string, 0, len(v))
	for k := range v {
		if k != login.RepostField {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// pendingFrom is the neutral form of a sign-in request.
func pendingFrom(req *wsfed.Request) (*login.Pending, error) {
	st, err := encodeState(state{Realm: req.Realm, Context: req.Context})
	if err != nil {
		return nil, err
	}
	return &login.Pending{
		Protocol:       Protocol,
		Party:          login.Party{ID: req.Realm},
		RequestedAuthn: login.RequestedAuthn{MultiFactor: asksMultiFactor(req.RequestedAuth), Original: req.RequestedAuth},
		ForceAuthn:     req.ForceLogin,
		LoginHint:      req.LoginHint,
		State:          st,
	}, nil
}

// asksMultiFactor: wauth names a method only a second factor satisfies.
func asksMultiFactor(wauth string) bool {
	_, withPassword := wsfed.AuthenticationMethodFor(wauth, false)
	_, withSecond := wsfed.AuthenticationMethodFor(wauth, true)
	return withSecond && !withPassword
}

// knownParty is realm if it names a configured relying party, else "".
// A sign-out needs no realm and any site can send one, so an unknown or
// invented realm must not reach the audit trail as a party's name.
func (a *Adapter) knownParty(realm string) string {
	if realm == "" {
		return ""
	}
	if p, ok := a.o.Parties.Party(realm); ok && p != nil {
		return p.Identifier
	}
	return ""
}

func signOut(f *login.Flow, w http.ResponseWriter, r *http.Request, req *wsfed.Request, party string) {
	var ended *login.Session
	var res login.SignOutResult
	if req.Action == wsfed.ActionSignOut {
		// Anyone can send wsignout1.0; before it signs the user out of
		// the session's SAML SPs too, the user is asked.
		ended, res = f.SignOutAsked(w, r, party, Protocol, login.SignOutForm{Action: login.PathWSFed, Fields: signOutFields(req)})
	} else {
		ended, res = f.SignOut(w, r, party, nil)
	}
	if res == login.SignOutFailed || res == login.SignOutAsking {
		return
	}
	if req.Action == wsfed.ActionSignOutCleanup {
		// AD FS loads this in a hidden iframe: 200 and a tiny body, no
		// redirect, and framing allowed (the server's header middleware
		// reads this marker).
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set(login.HeaderAllowFraming, "1")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("signed out\n"))
		return
	}
	// wsignout1.0 is sign-out started at AD FS (or another WS-Fed relying
	// party): the session's SAML SPs are told in frames first, then the
	// browser goes to wreply or the "signed out" page as before. WS-Fed
	// parties are not told: the one signing out is one of them, AD FS
	// sends wsignout1.0 without naming itself, and it tells its own
	// relying parties. A cleanup is not propagated at all: AD FS sends it
	// from its own sign-out, in a frame where ours could not run.
	if ended != nil {
		ended.Parties = slices.DeleteFunc(ended.Parties, func(p login.SessionParty) bool { return p.Protocol == Protocol })
	}
	f.SigningOut(w, r, ended, nil, func(int) (login.Continue, error) {
		return login.Continue{URL: req.SignOutReply}, nil
	})
}

// signOutFields is req again as the "sign out?" page posts it back: only
// what parseSignOut kept (a wreply it refused is not carried).
func signOutFields(req *wsfed.Request) []templates.Field {
	fs := []templates.Field{{Name: "wa", Value: wsfed.WaSignOut}}
	if req.Realm != "" {
		fs = append(fs, templates.Field{Name: "wtrealm", Value: req.Realm})
	}
	if req.SignOutReply != "" {
		fs = append(fs, templates.Field{Name: "wreply", Value: req.SignOutReply})
	}
	return fs
}

// requestError maps a refused request to its page: 400 and a fixed
// message, never a redirect.
func requestError(f *login.Flow, w http.ResponseWriter, r *http.Request, err error) {
	var re *wsfed.RequestError
	if !errors.As(err, &re) {
		f.Fail(w, r, http.StatusBadRequest, "error.bad_request", "bad protocol request", err)
		return
	}
	key := "error.bad_request"
	switch re.Code {
	case wsfed.CodeUnknownRealm:
		key = "error.unknown_realm"
	case wsfed.CodeForeignReply:
		key = "error.bad_reply"
	case wsfed.CodeTooLarge:
		key = "error.too_large"
	}
	f.Fail(w, r, http.StatusBadRequest, key, "protocol request refused: "+re.Code, err)
}
