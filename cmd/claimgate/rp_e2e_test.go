package main

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// rpRealm is the relying party's identifier (its wtrealm), shaped like an
// AD FS identifier.
const rpRealm = "http://adfs.e2e.example/adfs/services/trust"

// relyingParty plays AD FS on its own loopback server: /begin sends the
// browser to claimgate with a fresh wctx, /adfs/ls/ receives the token and
// verifies it against the signing certificate it was given, as AD FS does
// against the claims provider trust. Every token received is kept.
type relyingParty struct {
	srv     *httptest.Server
	wsfed   string
	trusted []*x509.Certificate

	mu       sync.Mutex
	contexts map[string]bool // wctx values sent and not yet returned
	results  []rpResult
}

// rpResult is one POST to the reply URL.
type rpResult struct {
	Token *saml11.Token // nil when refused
	Err   error
	WCtx  string
}

func newRelyingParty(t *testing.T, wsfedURL string, cert *x509.Certificate) *relyingParty {
	rp := &relyingParty{wsfed: wsfedURL, trusted: []*x509.Certificate{cert}, contexts: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /begin", rp.begin)
	mux.HandleFunc("POST /adfs/ls/", rp.receive)
	rp.srv = httptest.NewServer(mux)
	t.Cleanup(rp.srv.Close)
	return rp
}

func (rp *relyingParty) replyURL() string { return rp.srv.URL + "/adfs/ls/" }
func (rp *relyingParty) beginURL() string { return rp.srv.URL + "/begin" }

func (rp *relyingParty) begin(w http.ResponseWriter, r *http.Request) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	wctx := "rm=0&id=passive&ru=%2f&n=" + hex.EncodeToString(b)
	rp.mu.Lock()
	rp.contexts[wctx] = true
	rp.mu.Unlock()
	q := url.Values{"wa": {"wsignin1.0"}, "wtrealm": {rpRealm}, "wctx": {wctx},
		"wct": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}}
	http.Redirect(w, r, rp.wsfed+"?"+q.Encode(), http.StatusFound)
}

func (rp *relyingParty) receive(w http.ResponseWriter, r *http.Request) {
	res := rpResult{WCtx: r.PostFormValue("wctx")}
	tok, err := wsfed.VerifyResult([]byte(r.PostFormValue("wresult")), saml11.VerifyOptions{TrustedCerts: rp.trusted, Audience: rpRealm})
	rp.mu.Lock()
	known := rp.contexts[res.WCtx]
	delete(rp.contexts, res.WCtx)
	rp.mu.Unlock()
	switch {
	case r.PostFormValue("wa") != "wsignin1.0":
		res.Err = errString("wa is " + r.PostFormValue("wa"))
	case err != nil:
		res.Err = err
	case !known:
		res.Err = errString("wctx not sent by this relying party, or returned twice")
	default:
		res.Token = tok
	}
	rp.mu.Lock()
	rp.results = append(rp.results, res)
	rp.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	verdict := "valid"
	if res.Err != nil {
		w.WriteHeader(http.StatusForbidden)
		verdict = "rejected: " + res.Err.Error()
	}
	_, _ = w.Write([]byte(`<!doctype html><title>relying party</title><p id="verdict">` + html.EscapeString(verdict) + `</p>`))
}

type errString string

func (e errString) Error() string { return string(e) }

// count is how many POSTs reached the reply URL.
func (rp *relyingParty) count() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return len(rp.results)
}

// last returns the newest accepted token, failing the test if the newest
// POST was refused or none came.
func (rp *relyingParty) last(t *testing.T) *saml11.Token {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if len(rp.results) == 0 {
		t.Fatal("no token reached the relying party")
	}
	res := rp.results[len(rp.results)-1]
	if res.Err != nil {
		t.Fatalf("relying party refused the token: %v", res.Err)
	}
	return res.Token
}

// claim returns the values of one claim type in tok.
func claim(tok *saml11.Token, typ string) []string {
	var out []string
	for _, c := range tok.Claims {
		if c.Type == typ {
			out = append(out, c.Values...)
		}
	}
	return out
}
