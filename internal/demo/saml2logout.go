package demo

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/templates"
)

// spSession is what the demo SP keeps of an accepted sign-in: what its
// LogoutRequest has to name (core §3.7.1).
type spSession struct {
	NameID       string `json:"n"`
	NameIDFormat string `json:"f,omitempty"`
	SessionIndex string `json:"s,omitempty"`
}

func encodeSession(a *assertionValues) string {
	b, _ := json.Marshal(spSession{NameID: a.NameID, NameIDFormat: a.NameIDFormat, SessionIndex: a.SessionIndex})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSession(s string) (*spSession, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var ss spSession
	if err := json.Unmarshal(b, &ss); err != nil {
		return nil, err
	}
	if ss.NameID == "" {
		return nil, errors.New("no NameID")
	}
	return &ss, nil
}

// logoutRequest is the SP's samlp:LogoutRequest for its session, sent by
// HTTP-Redirect with the detached signature claimgate requires.
func logoutRequest(id string, now time.Time, s *SAML2, ss *spSession) ([]byte, error) {
	r := protocolRequest("samlp:LogoutRequest", id, now, s.IdPSLOURL, s.EntityID)
	n := r.CreateElement("saml:NameID")
	if ss.NameIDFormat != "" {
		n.CreateAttr("Format", ss.NameIDFormat)
	}
	n.SetText(ss.NameID)
	if ss.SessionIndex != "" {
		r.CreateElement("samlp:SessionIndex").SetText(ss.SessionIndex)
	}
	return serialise(r)
}

// saml2Logout starts SP-initiated single logout (profiles §4.4): a signed
// LogoutRequest for the session of the last accepted Response, its ID
// kept in a cookie to compare with the LogoutResponse's InResponseTo.
func (o Options) saml2Logout(w http.ResponseWriter, r *http.Request) {
	d := templates.DemoSAML2Data{Logout: true, StartURL: "/demo/"}
	c, err := r.Cookie(saml2SessionCookie)
	var ss *spSession
	if err == nil {
		ss, err = decodeSession(c.Value)
	}
	if err != nil {
		d.Checks = append(d.Checks, templates.DemoCheck{Name: "a SAML sign-in of this browser to end", Detail: "none: sign in over SAML 2.0 first"})
		o.render(w, http.StatusBadRequest, templates.PageDemoSAML2, d)
		return
	}
	id, err := o.newID()
	var msg []byte
	if err == nil {
		msg, err = logoutRequest(id, o.Now(), o.SAML2, ss)
	}
	var q string
	if err == nil {
		q, err = redirectQuery("SAMLRequest", msg, "", o.SAML2.SigningKey, o.Rand)
	}
	if err != nil {
		o.Logger.Error("demo: LogoutRequest", "err", err)
		http.Error(w, "the request could not be made", http.StatusInternalServerError)
		return
	}
	o.setCookie(w, saml2LogoutCookie, id)
	http.Redirect(w, r, o.SAML2.IdPSLOURL+"?"+q, http.StatusFound)
}

// saml2LogoutResponse receives claimgate's LogoutResponse. It must be
// signed (profiles §4.4.4.2: it arrives through the browser), sent to this
// endpoint, answer the request this browser sent, come from claimgate and
// say Success; only then is the SP's own session forgotten.
func (o Options) saml2LogoutResponse(w http.ResponseWriter, r *http.Request) {
	d := templates.DemoSAML2Data{Logout: true, StartURL: "/demo/"}
	raw, ok := o.readSAMLForm(w, r, "SAMLResponse", &d)
	if !ok {
		return
	}
	reqID := o.takeCookie(w, r, saml2LogoutCookie)
	got := verifyLogoutResponse(raw, o.SAML2, reqID, o.Trusted, o.Now())
	d.Checks, d.Status, d.StatusMessage = got.checks.list, got.status, got.statusMessage
	status := http.StatusForbidden
	if !got.checks.failed {
		status, d.Accepted = http.StatusOK, true
		o.takeCookie(w, r, saml2SessionCookie)
	}
	o.render(w, status, templates.PageDemoSAML2, d)
}

// verifyLogoutResponse checks a samlp:LogoutResponse (core §3.7.2).
func verifyLogoutResponse(raw []byte, s *SAML2, requestID string, trusted []*x509.Certificate, now time.Time) *received {
	got := &received{}
	c := &got.checks
	doc, err := xmlsafe.Read(raw, xmlsafe.DefaultMaxBytes)
	var root *etree.Element
	if err == nil {
		root = doc.Root()
		err = isMessage(root, nsProtocol, "LogoutResponse")
	}
	if !c.check("the LogoutResponse passes the XML gate (size, no DOCTYPE, comment or CDATA, round trip)", err, "") {
		return got
	}
	if n := len(xmlsafe.Children(root, xmlsafe.NSDSig, "Signature")); n != 1 {
		c.check("message signature by claimgate's certificate", fmt.Errorf("%d ds:Signature children, want 1: a LogoutResponse must be signed", n), "")
		return got
	}
	root, ok := checkMessageSignature(c, doc, root, trusted, now)
	if !ok || !checkMessageHeader(c, root, s.SLOURL, s.IdPEntityID, requestID) {
		return got
	}
	checkStatus(c, root, got)
	return got
}
