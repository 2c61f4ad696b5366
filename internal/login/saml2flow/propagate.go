package saml2flow

import (
	"fmt"
	"net/http"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/templates"
)

// sentUser is the store's user name for the IDs of the LogoutRequests we
// sent (Codes: factor = the SP's entity ID, fingerprint = the ID), so a
// LogoutResponse can be told from one answering nothing of ours on any
// instance sharing the store. Like replayUser it is no directory account.
const sentUser = "saml2-logout-sent"

// sentFor is how long a sent LogoutRequest's ID is remembered: its
// NotOnOrAfter, then the skew an answer may arrive within.
const sentFor = saml2.DefaultLogoutWindow + saml2.DefaultSkew

// SignOutFrame is login.SignOutNotifier: the signed LogoutRequest that
// tells SP p that the session ended, naming the NameID and SessionIndexes
// it was issued, to be posted to its HTTP-POST single logout service in a
// frame. An SP no longer configured, or one without such a service, is
// not told (nil). The request's ID is remembered so the SP's answer can be
// matched (serveLogoutResponse).
func (a *Adapter) SignOutFrame(r *http.Request, p login.SessionParty) (*login.Frame, error) {
	sp, ok := a.o.SPs.SP(p.ID)
	if !ok || !sp.CanLogout() {
		return nil, nil
	}
	in, err := decodeIssued(p.Record)
	if err != nil {
		return nil, err
	}
	req, err := a.o.IdP.LogoutRequest(saml2.LogoutRequestInput{SP: sp, Issued: in})
	if err != nil {
		return nil, err
	}
	if _, err := a.o.Replay.UseCode(r.Context(), sentUser, sp.EntityID, req.ID, a.o.Now().Add(sentFor)); err != nil {
		return nil, fmt.Errorf("saml2: remembering the LogoutRequest sent to %s: %w", sp.EntityID, err)
	}
	return &login.Frame{URL: req.Destination, Post: true, Fields: []templates.Field{{Name: "SAMLRequest", Value: req.Encoded()}}}, nil
}

// serveLogoutResponse takes an SP's LogoutResponse to a LogoutRequest of
// the "signing out" page, which arrives inside that page's hidden frame.
// It changes nothing: the session already ended. A verified answer to a
// request we sent is logged; an unsigned, unreadable or unmatched one is
// logged as ignored. Either way the frame gets 200 and a tiny page that
// only our own pages may frame, so nothing here tells the sender more.
func (a *Adapter) serveLogoutResponse(w http.ResponseWriter, r *http.Request) {
	opts, rc := a.parseOptions(r, a.o.SLOURL)
	var resp *saml2.LogoutResponse
	var err error
	if r.Method == http.MethodPost {
		resp, err = saml2.ParseLogoutResponsePOST(r.PostForm, a.o.SPs, opts)
	} else {
		resp, err = saml2.ParseLogoutResponseRedirect(r.URL.RawQuery, a.o.SPs, opts)
	}
	log := a.o.Logger.With("request_id", a.o.RequestID(r))
	switch {
	case rc.err != nil:
		log.Warn("saml2: LogoutResponse ignored: used IDs cannot be checked", "err", rc.err)
	case err != nil:
		log.Warn("saml2: LogoutResponse ignored", "err", err)
	default:
		log = log.With("sp", resp.SP.EntityID, "in_response_to", resp.InResponseTo, "status", resp.Status, "sub_status", resp.SubStatus)
		fresh, err := a.o.Replay.UseCode(r.Context(), sentUser, resp.SP.EntityID, resp.InResponseTo, a.o.Now().Add(sentFor))
		switch {
		case err != nil:
			log.Warn("saml2: LogoutResponse ignored: sent requests cannot be checked", "err", err)
		case fresh:
			// Nothing of ours had that ID: not an answer to us.
			log.Warn("saml2: LogoutResponse ignored: it answers no LogoutRequest we sent")
		case resp.Status != saml2.StatusSuccess:
			log.Warn("saml2: service provider did not end its session")
		default:
			log.Info("saml2: service provider ended its session")
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set(login.HeaderAllowFraming, login.FramingSelf)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("signed out\n"))
}
