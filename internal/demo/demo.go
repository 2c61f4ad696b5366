package demo

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// Paths below the mount point.
const (
	// RealmPath, appended to the base URL, is the demo's identifier: shaped
	// like an AD FS identifier (…/adfs/services/trust).
	RealmPath = "/demo/adfs/services/trust"
	// ReplyPath is the demo's passive endpoint, shaped like AD FS's /adfs/ls/.
	ReplyPath = "/demo/adfs/ls/"
	ctxCookie = "claimgate_demo_wctx"
)

// Options configure the demo relying party.
type Options struct {
	Realm    string // the wtrealm it sends, = a configured relying party
	WSFedURL string // claimgate's passive endpoint
	// Trusted are claimgate's published token-signing certificates; both
	// protocols check signatures against them.
	Trusted []*x509.Certificate
	// SAML2, when set, adds the demo's SAML 2.0 service provider below
	// /demo/saml2/.
	SAML2        *SAML2
	Users        []templates.DemoUser
	Pages        *templates.Set
	SecureCookie bool
	Logger       *slog.Logger
	Now          func() time.Time
	// Rand makes the SAML request IDs and RelayStates; nil means
	// crypto/rand.
	Rand io.Reader
}

// Handler returns the demo's routes, to be mounted at /demo.
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	r := chi.NewRouter()
	r.Get("/", o.start)
	r.Get("/begin", o.begin)
	r.Post("/adfs/ls/", o.receive)
	if o.SAML2 != nil {
		o.mountSAML2(r)
	}
	return r
}

func (o Options) start(w http.ResponseWriter, r *http.Request) {
	d := templates.DemoData{StartURL: "/demo/begin", Realm: o.Realm, Users: o.Users}
	if o.SAML2 != nil {
		d.SAML2StartURL, d.SAML2EntityID = saml2BeginPath, o.SAML2.EntityID
	}
	o.render(w, http.StatusOK, templates.PageDemo, d)
}

// begin plays AD FS redirecting to a claims provider: a fresh wctx, kept in
// a cookie to compare when the token comes back.
func (o Options) begin(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, "no randomness", http.StatusInternalServerError)
		return
	}
	wctx := "rm=0&id=passive&ru=%2fdemo%2f&n=" + hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: ctxCookie, Value: url.QueryEscape(wctx), Path: "/demo/", HttpOnly: true,
		Secure: o.SecureCookie, SameSite: http.SameSiteLaxMode})
	q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {o.Realm}, "wctx": {wctx},
		"wct": {o.Now().UTC().Format("2006-01-02T15:04:05Z")}}
	http.Redirect(w, r, o.WSFedURL+"?"+q.Encode(), http.StatusFound)
}

func (o Options) receive(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, saml11.MaxTokenSize*2)
	d := templates.DemoTokenData{StartURL: "/demo/"}
	if err := r.ParseForm(); err != nil {
		d.Checks = append(d.Checks, templates.DemoCheck{Name: "form", Detail: "the POST could not be read"})
		o.render(w, http.StatusBadRequest, templates.PageDemoToken, d)
		return
	}
	wa, wresult, wctx := r.PostFormValue("wa"), r.PostFormValue("wresult"), r.PostFormValue("wctx")
	d.WCtx = wctx
	d.Checks = append(d.Checks, templates.DemoCheck{Name: "wa = wsignin1.0", OK: wa == "wsignin1.0"})
	want := ""
	if c, err := r.Cookie(ctxCookie); err == nil {
		want, _ = url.QueryUnescape(c.Value)
	}
	ctxOK := want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(wctx)) == 1
	// The context answers one sign-in only, as AD FS's own does: a replayed
	// POST of the same token finds no cookie.
	http.SetCookie(w, &http.Cookie{Name: ctxCookie, Value: "", Path: "/demo/", MaxAge: -1, HttpOnly: true,
		Secure: o.SecureCookie, SameSite: http.SameSiteLaxMode})
	d.Checks = append(d.Checks, templates.DemoCheck{Name: "wctx returned unchanged", OK: ctxOK})
	tok, err := wsfed.VerifyResult([]byte(wresult), saml11.VerifyOptions{TrustedCerts: o.Trusted, Audience: o.Realm, Now: o.Now})
	if err != nil {
		o.Logger.Info("demo relying party refused a token", "err", err)
		d.Checks = append(d.Checks, templates.DemoCheck{Name: "signature, issuer key, audience and lifetime", Detail: err.Error()})
	} else {
		d.Checks = append(d.Checks, templates.DemoCheck{Name: "signature, issuer key, audience and lifetime", OK: true,
			Detail: tok.NotBefore.UTC().Format(time.RFC3339) + " – " + tok.NotOnOrAfter.UTC().Format(time.RFC3339)})
		d.Subject, d.Method, d.Issuer, d.Audience = tok.NameID, tok.AuthMethod, tok.Issuer, tok.Audience
		for _, c := range tok.Claims {
			d.Claims = append(d.Claims, templates.DemoClaim{Type: c.Type, Values: c.Values})
		}
	}
	d.Accepted = err == nil && ctxOK && wa == "wsignin1.0"
	status := http.StatusOK
	if !d.Accepted {
		status = http.StatusForbidden
	}
	o.render(w, status, templates.PageDemoToken, d)
}

func (o Options) render(w http.ResponseWriter, status int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := o.Pages.Render(w, page, data); err != nil {
		o.Logger.Error("demo: render", "err", err)
	}
}
