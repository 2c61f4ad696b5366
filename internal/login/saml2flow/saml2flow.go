package saml2flow

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts/saml2"
)

// Protocol is the adapter's name, the Protocol of its Pending requests.
const Protocol = "saml2"

// Paths of the SAML 2.0 endpoints below base_url, as the IDPSSODescriptor
// publishes them (both bindings share one URL).
const (
	PathSSO = "/saml2/sso"
	PathSLO = "/saml2/slo"
)

// IdP builds and signs the SAML answers; *saml2.IdP is one.
type IdP interface {
	Respond(in saml2.ResponseInput) (*saml2.Response, error)
	ErrorResponse(se *saml2.StatusError) (*saml2.Response, error)
	LogoutResponse(req *saml2.LogoutRequest, se *saml2.StatusError) (*saml2.Response, error)
	// LogoutRequest and IssuedBy serve single logout: what a session
	// told an SP, and the message that tells it the session ended.
	LogoutRequest(in saml2.LogoutRequestInput) (*saml2.Response, error)
	IssuedBy(resp *saml2.Response, sp *saml2.SP) saml2.Issued
}

var _ IdP = (*saml2.IdP)(nil)

// Codes records used one-time values; the store (store.CodeStore) is one.
// It keeps the AuthnRequest IDs already answered, so a captured request
// cannot be played again on this instance or any other sharing the store.
type Codes interface {
	UseCode(ctx context.Context, user, factorID, fingerprint string, expires time.Time) (fresh bool, err error)
}

// Options configure the adapter.
type Options struct {
	// SPs are the service providers; a request from another is refused.
	SPs saml2.SPs
	IdP IdP
	// SSOURL and SLOURL are our endpoints as published in the metadata: a
	// request's Destination must name the one it arrived at.
	SSOURL, SLOURL string
	// RequireSignedRequests refuses unsigned AuthnRequests from every SP
	// (metadata WantAuthnRequestsSigned), on top of each SP's own
	// AuthnRequestsSigned.
	RequireSignedRequests bool
	// NameIDFormats are the formats offered; empty means all
	// (saml2.NameIDFormats).
	NameIDFormats []string
	// Replay keeps used request IDs (required).
	Replay Codes
	// Skew is how far a request's IssueInstant may be from now; 0 means
	// saml2.DefaultSkew.
	Skew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger gets the adapter's own warnings; nil discards them.
	Logger *slog.Logger
	// RequestID returns the request id set by the server middleware.
	RequestID func(r *http.Request) string
}

// Adapter is the SAML 2.0 login.Protocol.
type Adapter struct {
	o Options
}

var (
	_ login.Protocol        = (*Adapter)(nil)
	_ login.SignOutNotifier = (*Adapter)(nil)
)

// New checks the options and returns the adapter.
func New(o Options) (*Adapter, error) {
	var errs []error
	if o.SPs == nil {
		errs = append(errs, errors.New("saml2: no service providers"))
	}
	if o.IdP == nil {
		errs = append(errs, errors.New("saml2: no identity provider to sign answers"))
	}
	if o.SSOURL == "" || o.SLOURL == "" {
		errs = append(errs, errors.New("saml2: the SSO and SLO endpoint URLs are required"))
	}
	if o.Replay == nil {
		errs = append(errs, errors.New("saml2: no store for used request IDs"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RequestID == nil {
		o.RequestID = func(*http.Request) string { return "" }
	}
	return &Adapter{o: o}, nil
}

// Name is Protocol.
func (a *Adapter) Name() string { return Protocol }

// Routes are the SSO and SLO endpoints, each for HTTP-Redirect (GET) and
// HTTP-POST.
func (a *Adapter) Routes(f *login.Flow) []login.Route {
	sso := func(w http.ResponseWriter, r *http.Request) { a.serveSSO(f, w, r) }
	slo := func(w http.ResponseWriter, r *http.Request) { a.serveSLO(f, w, r) }
	return []login.Route{
		{Method: http.MethodGet, Path: PathSSO, Handler: sso}, {Method: http.MethodPost, Path: PathSSO, Handler: sso},
		{Method: http.MethodGet, Path: PathSLO, Handler: slo}, {Method: http.MethodPost, Path: PathSLO, Handler: slo},
	}
}

// parseOptions are the checks of one request arriving at endpoint; the
// replay cache is bound to the request's context.
func (a *Adapter) parseOptions(r *http.Request, endpoint string) (saml2.ParseOptions, *replay) {
	rc := &replay{ctx: r.Context(), codes: a.o.Replay}
	return saml2.ParseOptions{Endpoint: endpoint, Now: a.o.Now, Skew: a.o.Skew, NameIDFormats: a.o.NameIDFormats, Replay: rc,
		RequireSignedRequests: a.o.RequireSignedRequests}, rc
}
