package demo

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
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
	Realm        string // the wtrealm it sends, = a configured relying party
	WSFedURL     string // claimgate's passive endpoint
	Trusted      []*x509.Certificate
	Users        []templates.DemoUser
	Pages        *templates.Set
	SecureCookie bool
	Logger       *slog.Logger
	Now          func() time.Time
}

// Handler returns the demo's routes, to be mounted at /demo.
func Handler(o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := chi.NewRouter()
	r.Get("/", o.start)
	r.Get("/begin", o.begin)
	r.Post("/adfs/ls/", o.receive)
	return r
}

func (o Options) start(w http.ResponseWriter, r *http.Request) {
	o.render(w, http.StatusOK, templates.PageDemo, templates.DemoData{StartURL: "/demo/begin", Realm: o.Realm, Users: o.Users})
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
