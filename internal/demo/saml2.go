package demo

import (
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/templates"
)

// Paths of the demo's SAML 2.0 service provider.
const (
	// SAML2EntityPath, appended to the base URL, is the SP's entity ID.
	SAML2EntityPath = "/demo/saml2"
	// SAML2ACSPath is its assertion consumer service (HTTP-POST).
	SAML2ACSPath = "/demo/saml2/acs"
	// SAML2SLOPath is its single logout service: LogoutResponses arrive
	// here by HTTP-POST.
	SAML2SLOPath    = "/demo/saml2/slo"
	saml2BeginPath  = "/demo/saml2/begin"
	saml2LogoutPath = "/demo/saml2/logout"
	// saml2Cookie holds the pending AuthnRequest's ID and RelayState,
	// saml2SessionCookie the NameID and SessionIndex of the last accepted
	// Response (what a LogoutRequest names), saml2LogoutCookie the
	// pending LogoutRequest's ID.
	saml2Cookie        = "claimgate_demo_saml2"
	saml2SessionCookie = "claimgate_demo_saml2_session"
	saml2LogoutCookie  = "claimgate_demo_saml2_logout"
	// maxSAML2Form caps a POST to the ACS or the logout endpoint: the
	// base64 of the largest document xmlsafe reads, and some room.
	maxSAML2Form = 2 * xmlsafe.DefaultMaxBytes
)

// SAML2 configures the demo's SAML 2.0 service provider. It must be one
// of claimgate's saml2.service_providers: EntityID, ACSURL and, for
// logout, SLOURL and the certificate of SigningKey.
type SAML2 struct {
	// IdPEntityID is claimgate's entity ID, the Issuer every answer must
	// name; IdPSSOURL and IdPSLOURL are its endpoints.
	IdPEntityID, IdPSSOURL, IdPSLOURL string
	// EntityID, ACSURL and SLOURL are this SP's, as claimgate knows them.
	EntityID, ACSURL, SLOURL string
	// SigningKey signs the LogoutRequests (claimgate refuses unsigned
	// ones). Without it, or without IdPSLOURL or SLOURL, no sign-out is
	// offered.
	SigningKey crypto.Signer
}

// canLogout reports whether single logout is configured.
func (s *SAML2) canLogout() bool { return s.IdPSLOURL != "" && s.SLOURL != "" && s.SigningKey != nil }

func (o Options) mountSAML2(r chi.Router) {
	r.Get("/saml2/begin", o.saml2Begin)
	r.Post("/saml2/acs", o.saml2ACS)
	if o.SAML2.canLogout() {
		r.Get("/saml2/logout", o.saml2Logout)
		r.Post("/saml2/slo", o.saml2LogoutResponse)
	}
}

// newID returns "_" and 32 hex digits from o.Rand: an NCName, as SAML IDs
// must be.
func (o Options) newID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(o.Rand, b); err != nil {
		return "", err
	}
	return "_" + hex.EncodeToString(b), nil
}

// saml2Begin plays an SP sending the browser to its IdP: a fresh
// AuthnRequest by HTTP-Redirect, its ID and RelayState kept in a cookie
// to compare when the Response comes back.
func (o Options) saml2Begin(w http.ResponseWriter, r *http.Request) {
	id, err := o.newID()
	relay, err2 := o.newID()
	if err != nil || err2 != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	relay = relay[1:]
	msg, err := authnRequest(id, o.Now(), o.SAML2)
	var q string
	if err == nil {
		q, err = redirectQuery("SAMLRequest", msg, relay, nil, nil)
	}
	if err != nil {
		o.Logger.Error("demo: AuthnRequest", "err", err)
		http.Error(w, "the request could not be made", http.StatusInternalServerError)
		return
	}
	o.setCookie(w, saml2Cookie, id+"."+relay)
	http.Redirect(w, r, o.SAML2.IdPSSOURL+"?"+q, http.StatusFound)
}

// saml2ACS receives the POSTed Response and checks it as a careful SP
// does (verifyResponse), then shows what it got.
func (o Options) saml2ACS(w http.ResponseWriter, r *http.Request) {
	d := templates.DemoSAML2Data{StartURL: "/demo/"}
	raw, ok := o.readSAMLForm(w, r, "SAMLResponse", &d)
	if !ok {
		return
	}
	// The request answers one sign-in only: a replayed POST of the same
	// Response finds no cookie.
	reqID, relay, _ := strings.Cut(o.takeCookie(w, r, saml2Cookie), ".")
	got := verifyResponse(raw, responseWant{
		IdP: o.SAML2.IdPEntityID, EntityID: o.SAML2.EntityID, ACS: o.SAML2.ACSURL,
		RequestID: reqID, RelayState: relay, GotRelayState: r.PostFormValue("RelayState"),
		Trusted: o.Trusted, Now: o.Now(),
	})
	d.Checks, d.Status, d.StatusMessage, d.RelayState = got.checks.list, got.status, got.statusMessage, r.PostFormValue("RelayState")
	status := http.StatusForbidden
	if a := got.assertion; a != nil {
		status, d.Accepted = http.StatusOK, true
		d.NameID, d.NameIDFormat, d.SessionIndex, d.ClassRef, d.AuthnInstant = a.NameID, a.NameIDFormat, a.SessionIndex, a.ClassRef, a.AuthnInstant
		d.Issuer, d.Audience, d.Attributes = a.Issuer, a.Audience, a.Attributes
		if o.SAML2.canLogout() {
			o.setCookie(w, saml2SessionCookie, encodeSession(a))
			d.SignOutURL = saml2LogoutPath
		}
	} else {
		o.Logger.Info("demo service provider refused a SAML Response", "checks", fmt.Sprint(d.Checks))
	}
	o.render(w, status, templates.PageDemoSAML2, d)
}

// readSAMLForm reads the base64 message field of a POST, or renders the
// refusal itself and returns false.
func (o Options) readSAMLForm(w http.ResponseWriter, r *http.Request, field string, d *templates.DemoSAML2Data) ([]byte, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSAML2Form)
	if err := r.ParseForm(); err != nil {
		d.Checks = append(d.Checks, templates.DemoCheck{Name: "form", Detail: "the POST could not be read"})
		o.render(w, http.StatusBadRequest, templates.PageDemoSAML2, *d)
		return nil, false
	}
	// Base64 producers may wrap lines; the bindings allow it.
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(r.PostFormValue(field)), ""))
	if err != nil || len(raw) == 0 {
		d.Checks = append(d.Checks, templates.DemoCheck{Name: field + " is base64", Detail: "missing or not base64"})
		o.render(w, http.StatusBadRequest, templates.PageDemoSAML2, *d)
		return nil, false
	}
	return raw, true
}

func (o Options) setCookie(w http.ResponseWriter, name, value string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/demo/", HttpOnly: true,
		Secure: o.SecureCookie, SameSite: http.SameSiteLaxMode})
}

// takeCookie returns the cookie's value ("" when absent) and deletes it.
func (o Options) takeCookie(w http.ResponseWriter, r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/demo/", MaxAge: -1, HttpOnly: true,
		Secure: o.SecureCookie, SameSite: http.SameSiteLaxMode})
	return c.Value
}

// clockSkew is how far claimgate's clock may be from ours: a careful SP
// allows some, since both sides' clocks drift.
const clockSkew = 2 * time.Minute
