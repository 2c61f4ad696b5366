package saml2flow_test

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/claimgate/claimgate/internal/login/saml2flow"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// These tests drive real Chromium against the flow, because what they
// prove is what a browser does: which cookies a cross-site POST carries,
// and which navigations a page's frame-src lets through.

// spPage serves, on host ("localhost": another site than the flow's
// 127.0.0.1), a page that auto-posts fields to action, as an SP's
// HTTP-POST binding does.
func spPage(t *testing.T, host, action string, fields url.Values) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><form method="post" action="%s">`, html.EscapeString(action))
	for k, vs := range fields {
		for _, v := range vs {
			fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
		}
	}
	b.WriteString(`</form><script>document.forms[0].submit()</script>`)
	body := b.String()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	return "http://" + host + ":" + port + "/"
}

// waitFor polls cond until it holds; a browser's steps take their own
// time, and the bound only keeps a broken flow from hanging the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: did not happen", what)
}

// chromeSignIn signs alice in to SP 1 in Chromium.
func chromeSignIn(t *testing.T, ctx context.Context, e *env) {
	t.Helper()
	run(t, ctx, "sign-in request", chromedp.Navigate(e.srv.URL+saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest("id-chrome-1", "", ""), "", nil)),
		chromedp.WaitVisible(chromedp.CSS("#username")))
	run(t, ctx, "password", chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), alicePassword),
		chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#code")))
	run(t, ctx, "code", chromedp.SendKeys(chromedp.CSS("#code"), e.code()), chromedp.Click(chromedp.CSS("form button[type=submit]")))
	waitFor(t, "token issued", func() bool { return strings.Contains(e.audit.String(), `"token_issued"`) })
}

// navigateAway opens url, a page that at once moves on by itself (an
// auto-posting form, the "signing out" page): Chromium may report the
// first load as aborted by the next one, which is no failure here; the
// tests wait for what the pages did instead.
func navigateAway(t *testing.T, ctx context.Context, what, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil && !strings.Contains(err.Error(), "ERR_ABORTED") {
		t.Fatalf("%s: %v", what, err)
	}
}

func run(t *testing.T, ctx context.Context, what string, acts ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, acts...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestChromiumCrossSitePOSTLogout: an SP on another site posts its signed
// LogoutRequest (HTTP-POST); the SameSite=Lax session cookie does not come
// with that POST, but claimgate's same-origin re-post carries it, so the
// session really ends (audited sign_out) and the next request needs the
// password again.
func TestChromiumCrossSitePOSTLogout(t *testing.T) {
	e := newEnv(t, setup{})
	ctx, cancel := context.WithTimeout(testutil.Browser(t), 90*time.Second)
	defer cancel()
	chromeSignIn(t, ctx, e)
	lo := postForm(t, logoutRequestXMLAt(e, "id-chrome-slo"), "", e.sp, "request")
	navigateAway(t, ctx, "SP's logout page", spPage(t, "localhost", e.srv.URL+saml2flow.PathSLO, lo))
	waitFor(t, "session ended", func() bool { return strings.Contains(e.audit.String(), `"sign_out"`) })
	if strings.Contains(e.log.String(), "logout without a signed-in session") {
		t.Error("the LogoutRequest reached claimgate without the session cookie")
	}
	// The LogoutResponse's own auto-POST may still abort a navigation
	// started meanwhile: try a few times, each with a new request ID.
	for i := 0; ; i++ {
		navigateAway(t, ctx, "SP 1 again", e.srv.URL+saml2flow.PathSSO+"?"+redirectQuery(t, authnRequest(fmt.Sprintf("id-chrome-again-%d", i), "", ""), "", nil))
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS("#username")))
		cancel()
		if err == nil {
			break
		}
		if i == 2 {
			t.Fatalf("no password page after single logout: %v", err)
		}
	}
}

// TestChromiumCrossSitePOSTSingleSignOn: an HTTP-POST AuthnRequest from
// another site gets single sign-on from the session it could not send the
// cookie of, and the session (with its parties) is kept.
func TestChromiumCrossSitePOSTSingleSignOn(t *testing.T) {
	e := newEnv(t, setup{})
	ctx, cancel := context.WithTimeout(testutil.Browser(t), 90*time.Second)
	defer cancel()
	chromeSignIn(t, ctx, e)
	before := strings.Count(e.audit.String(), `"token_issued"`)
	f := postForm(t, authnRequest("id-chrome-post", "", ""), "", nil, "request")
	navigateAway(t, ctx, "SP's sign-in page", spPage(t, "localhost", e.srv.URL+saml2flow.PathSSO, f))
	waitFor(t, "token by single sign-on", func() bool { return strings.Count(e.audit.String(), `"token_issued"`) > before })
	if n := strings.Count(e.audit.String(), `"first_factor_ok"`); n != 1 {
		t.Errorf("%d password sign-ins, want 1 (the cross-site POST had to sign in again)", n)
	}
}

// sp2LogoutResponse is SP 2's signed Success LogoutResponse to the
// request inResponseTo, by HTTP-Redirect.
func (e *env) sp2LogoutResponse(t *testing.T, inResponseTo string) string {
	x := `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="id-sp2-answer" Version="2.0" IssueInstant="` +
		e.clk.Now().Format("2006-01-02T15:04:05.000Z") + `" Destination="` + sloURL + `" InResponseTo="` + inResponseTo + `">` +
		`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + sp2ID + `</Issuer>` +
		`<samlp:Status><samlp:StatusCode Value="` + saml2.StatusSuccess + `"/></samlp:Status></samlp:LogoutResponse>`
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(x))
	_ = w.Close()
	q := "SAMLResponse=" + url.QueryEscape(base64.StdEncoding.EncodeToString(buf.Bytes())) + "&SigAlg=" + url.QueryEscape(xmlsig.SigRSASHA256)
	d := sha256.Sum256([]byte(q))
	sig, err := e.sp.Key.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return q + "&Signature=" + url.QueryEscape(base64.StdEncoding.EncodeToString(sig))
}

// TestChromiumFramedLogoutResponseArrives: SP 2, told in a frame of the
// "signing out" page, answers as SPs do, by sending the frame back to
// claimgate's /saml2/slo with its LogoutResponse; the page's frame-src
// must let that navigation through, and claimgate matches the answer to
// the request it sent.
func TestChromiumFramedLogoutResponseArrives(t *testing.T) {
	e := newEnv(t, setup{sp2: true})
	idRE := regexp.MustCompile(`ID="([^"]+)"`)
	var told atomic.Int32
	sp2 := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			_, _ = w.Write([]byte("ok"))
			return
		}
		_ = r.ParseForm()
		raw, _ := base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLRequest"))
		m := idRE.FindStringSubmatch(string(raw))
		if m == nil {
			http.Error(w, "no LogoutRequest", http.StatusBadRequest)
			return
		}
		told.Add(1)
		http.Redirect(w, r, e.srv.URL+saml2flow.PathSLO+"?"+e.sp2LogoutResponse(t, m[1]), http.StatusFound)
	}))
	defer sp2.Close()
	_, tlsPort, _ := net.SplitHostPort(strings.TrimPrefix(sp2.URL, "https://"))
	// SP 2's configured SLO is on shib.example.test: the browser resolves
	// it to the test server.
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(testutil.ChromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP shib.example.test 127.0.0.1:"+tlsPort), chromedp.Flag("ignore-certificate-errors", true))
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	chromeSignIn(t, ctx, e)
	req2 := strings.Replace(authnRequest("id-chrome-sp2", "", ""), spID, sp2ID, 1)
	navigateAway(t, ctx, "single sign-on to SP 2", e.srv.URL+saml2flow.PathSSO+"?"+redirectQuery(t, req2, "", nil))
	waitFor(t, "token for SP 2", func() bool { return strings.Count(e.audit.String(), `"token_issued"`) == 2 })
	navigateAway(t, ctx, "SP 1 signs out", e.srv.URL+e.spLogout("id-chrome-slo2", "alice@example.test", ""))
	waitFor(t, "SP 2 told", func() bool { return told.Load() == 1 })
	waitFor(t, "SP 2's answer matched", func() bool { return strings.Contains(e.log.String(), "service provider ended its session") })
}
