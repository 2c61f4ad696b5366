package wsfedflow

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// Protocol is the adapter's name, the Protocol of its Pending requests.
const Protocol = "wsfed"

// Path is the WS-Federation passive endpoint.
const Path = "/wsfed"

// Issuer builds and signs the WS-Fed response; sts.Issuer is one.
type Issuer interface {
	IssueWSFed(req *wsfed.Request, subj saml11.Subject, cl []claims.Claim, authn saml11.Authn) (*wsfed.Response, error)
}

var _ Issuer = (*sts.Issuer)(nil)

// Options configure the adapter.
type Options struct {
	// Parties are the relying parties; a request naming another is refused.
	Parties wsfed.Parties
	Issuer  Issuer
	// Logger gets the adapter's own warnings; nil discards them.
	Logger *slog.Logger
	// RequestID returns the request id set by the server middleware.
	RequestID func(r *http.Request) string
}

// Adapter is the WS-Federation login.Protocol.
type Adapter struct {
	o Options
}

var _ login.Protocol = (*Adapter)(nil)

// New checks the options and returns the adapter.
func New(o Options) (*Adapter, error) {
	var errs []error
	if o.Parties == nil {
		errs = append(errs, errors.New("wsfed: no relying parties"))
	}
	if o.Issuer == nil {
		errs = append(errs, errors.New("wsfed: no token issuer"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
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

// Routes is the passive endpoint, GET and POST (AD FS may post the form).
func (a *Adapter) Routes(f *login.Flow) []login.Route {
	h := func(w http.ResponseWriter, r *http.Request) { a.serve(f, w, r) }
	return []login.Route{{Method: http.MethodGet, Path: Path, Handler: h}, {Method: http.MethodPost, Path: Path, Handler: h}}
}
