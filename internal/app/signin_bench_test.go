//go:build unix

package app

import (
	"context"
	"crypto/x509"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/metrics"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
)

// benchSignInUser is the directory account BenchmarkFullSignIn signs in.
// It is its own (not alice or the load generator's users), so that the
// benchmark's binds never touch an account another test counts on; it is
// created in the test DC the first time, a member of "VPN Users" (nested
// in "Remote Access") like alice, so tokenGroups has nested work to do.
const benchSignInUser = "cpubench1"

// signInBench is claimgate as `claimgate serve` runs it for the load
// generator (internal/tools/loadgen/setup.go): LDAPS to the Samba DC,
// SQLite store, audit to a file and the store, JSON logging at info, an
// HOTP token in the store, plain HTTP on loopback.
type signInBench struct {
	srv    *httptest.Server
	cert   *x509.Certificate
	secret []byte
	user   string
	pw     string
	next   uint64 // the HOTP counter of the next sign-in
	tr     *http.Transport
	mx     *metrics.Metrics
}

func newSignInBench(b *testing.B) *signInBench {
	b.Helper()
	env := testutil.SambaEnv(b, "CLAIMGATE_TEST_LDAP_URL", "CLAIMGATE_TEST_LDAP_CA_FILE", "CLAIMGATE_TEST_LDAP_BIND_DN",
		"CLAIMGATE_TEST_LDAP_BIND_PASSWORD", "CLAIMGATE_TEST_LDAP_BASE_DN", "CLAIMGATE_TEST_LDAP_NETBIOS",
		"CLAIMGATE_TEST_LDAP_USER_PASSWORD", "CLAIMGATE_SAMBA_SMBCONF")
	ensureBenchUser(b, env["CLAIMGATE_SAMBA_SMBCONF"], env["CLAIMGATE_TEST_LDAP_USER_PASSWORD"])
	dir := b.TempDir()
	kp, err := certs.Generate(certs.GenerateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := certs.WritePEM(kp, filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key"), false); err != nil {
		b.Fatal(err)
	}
	b.Setenv("CLAIMGATE_BENCH_BIND_PASSWORD", env["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"])
	cfgText := fmt.Sprintf(`entity_id: urn:claimgate:bench
base_url: http://127.0.0.1:8080
data_dir: %[1]s
server: {listen: "127.0.0.1:8080", insecure_http: true}
signing: {keys: [{cert_file: s.crt, key_file: s.key}]}
relying_parties: [{name: bench, identifier: "%[2]s", reply_url: "https://adfs.example.test/adfs/ls/"}]
directory:
  ldap:
    urls: [%[3]s]
    ca_file: %[4]s
    bind_dn: %[5]q
    bind_password: {env: CLAIMGATE_BENCH_BIND_PASSWORD}
    base_dn: %[6]q
    netbios_domain: %[7]s
mfa: {encryption_key: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}
audit: {log: %[1]s/audit.log, store: true}
`, dir, benchRealm, env["CLAIMGATE_TEST_LDAP_URL"], env["CLAIMGATE_TEST_LDAP_CA_FILE"], env["CLAIMGATE_TEST_LDAP_BIND_DN"],
		env["CLAIMGATE_TEST_LDAP_BASE_DN"], env["CLAIMGATE_TEST_LDAP_NETBIOS"])
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte(cfgText), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "c.yaml"), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st, err := OpenSharedStore(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	mx := metrics.New()
	a, err := Build(ctx, cfg, Options{Store: st, Argon2Limiter: mfa.NewLimiter(0), Metrics: mx,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	id, err := a.LDAP.Lookup(ctx, benchSignInUser)
	if err != nil {
		b.Fatal(err)
	}
	secret, err := mfa.NewSecret(nil, 20)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.AddFactor(ctx, store.Factor{User: id.Username, Kind: store.KindHOTP, Name: "token bench", Secret: secret,
		Algorithm: "SHA1", Digits: 6, LastStep: -1, Confirmed: true}); err != nil {
		b.Fatal(err)
	}
	s := &signInBench{srv: httptest.NewServer(a.Handler), cert: kp.Certificate, secret: secret, user: benchSignInUser,
		pw: env["CLAIMGATE_TEST_LDAP_USER_PASSWORD"], tr: &http.Transport{MaxIdleConnsPerHost: 4}, mx: mx}
	b.Cleanup(s.srv.Close)
	b.Cleanup(s.tr.CloseIdleConnections)
	return s
}

// ensureBenchUser creates benchSignInUser in the test DC when it is not
// there yet (samba-tool writes the DC's database: it needs root there, as
// scripts/samba/setup.sh and the load generator do).
func ensureBenchUser(b *testing.B, smbconf, password string) {
	b.Helper()
	if exec.Command("samba-tool", "user", "show", benchSignInUser, "-s", smbconf).Run() == nil {
		return
	}
	for _, args := range [][]string{
		{"user", "create", benchSignInUser, password, "--use-username-as-cn", "--given-name=CPU", "--surname=Bench",
			"--mail-address=" + benchSignInUser + "@example.test"},
		{"group", "addmembers", "VPN Users", benchSignInUser},
	} {
		if out, err := exec.Command("samba-tool", append(args, "-s", smbconf)...).CombinedOutput(); err != nil {
			b.Fatalf("samba-tool %s (needs root on the DC host): %v\n%s", strings.Join(args[:2], " "), err, out)
		}
	}
}

// counts is how many operations of each kind the service made so far,
// from its own metrics: the _count of histogram name by its label.
func (s *signInBench) counts(b *testing.B, name, label string) map[string]float64 {
	b.Helper()
	rec := httptest.NewRecorder()
	s.mx.Handler().ServeHTTP(rec, httptest.NewRequest("GET", metrics.Path, nil))
	ops := map[string]float64{}
	prefix := "claimgate_" + name + "_count{"
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		labels, n, _ := strings.Cut(rest, "} ")
		var op string
		for _, l := range strings.Split(labels, ",") {
			if k, v, ok := strings.Cut(l, "="); ok && k == label {
				op = strings.Trim(v, `"`)
			}
		}
		var v float64
		fmt.Sscan(n, &v)
		ops[op] += v
	}
	return ops
}

// perSignIn reports the operations made since before, per sign-in, as a
// benchmark metric (their sum) and a log line (each kind).
func perSignIn(b *testing.B, unit string, before, after map[string]float64, n int) {
	var total float64
	var each []string
	for op, v := range after {
		if d := v - before[op]; d > 0 {
			total += d
			each = append(each, fmt.Sprintf("%s %.2f", op, d/float64(n)))
		}
	}
	slices.Sort(each)
	b.ReportMetric(total/float64(n), unit)
	b.Logf("%s: %s", unit, strings.Join(each, ", "))
}

// benchQuoted is the text after the first prefix in s (which ends in an
// opening quote) up to the closing quote: regexp `prefix([^"]*)"`, with
// strings.Index (a regexp over the token page's wresult is CPU the
// process measures as its own). A copy of internal/tools/loadgen's
// htmlscan.go, where the scanners are tested against the regexps.
func benchQuoted(s, prefix string) (string, bool) {
	i := strings.Index(s, prefix)
	if i < 0 {
		return "", false
	}
	s = s[i+len(prefix):]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return "", false
	}
	return s[:j], true
}

// benchAction is the action of the first form that has one: regexp
// `<form[^>]*action="([^"]*)"`, whose greedy [^>]* takes the tag's last
// action=".
func benchAction(body string) (string, bool) {
	for i := strings.Index(body, "<form"); i >= 0; {
		tag := body[i+len("<form"):]
		if end := strings.IndexByte(tag, '>'); end >= 0 {
			tag = tag[:end]
		}
		for a := strings.LastIndex(tag, `action="`); a >= 0; a = strings.LastIndex(tag[:a], `action="`) {
			if v, ok := benchQuoted(body[i+len("<form")+a:], `action="`); ok {
				return v, true
			}
		}
		next := strings.Index(body[i+1:], "<form")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return "", false
}

// signIn is one whole browser-level sign-in with a fresh cookie jar (a
// kept session would be single sign-on): wsignin1.0, its redirect to the
// password page, the password POST and its redirect to the code page,
// the code POST answered with the token form. It returns the wresult.
func (s *signInBench) signIn() (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: s.tr, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, u string, form url.Values) (int, string, string, error) {
		var resp *http.Response
		var err error
		if !strings.HasPrefix(u, "http") {
			u = s.srv.URL + u
		}
		if form == nil {
			resp, err = c.Get(u)
		} else {
			resp, err = c.PostForm(u, form)
		}
		if err != nil {
			return 0, "", "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location"), string(body), err
	}
	formOf := func(step string, status int, body string) (string, string, error) {
		a, okA := benchAction(body)
		f, okF := benchQuoted(body, `name="csrf" value="`)
		if status != http.StatusOK || !okA || !okF {
			return "", "", fmt.Errorf("%s: status %d, no form: %.300s", step, status, body)
		}
		return html.UnescapeString(a), html.UnescapeString(f), nil
	}
	st, loc, _, err := do("GET", "/wsfed?wa=wsignin1.0&wctx=bench&wtrealm="+url.QueryEscape(benchRealm), nil)
	if err != nil || st/100 != 3 {
		return "", fmt.Errorf("wsignin: %d %v", st, err)
	}
	st, _, body, err := do("GET", loc, nil)
	if err != nil {
		return "", err
	}
	action, csrf, err := formOf("login page", st, body)
	if err != nil {
		return "", err
	}
	st, loc, body, err = do("POST", action, url.Values{"csrf": {csrf}, "username": {s.user}, "password": {s.pw}})
	if err != nil || st != http.StatusSeeOther {
		return "", fmt.Errorf("password: %d %v %.300s", st, err, body)
	}
	st, _, body, err = do("GET", loc, nil)
	if err != nil {
		return "", err
	}
	if action, csrf, err = formOf("code page", st, body); err != nil {
		return "", err
	}
	code := mfa.HOTP(s.secret, s.next, mfa.OATHParams{})
	s.next++
	st, _, body, err = do("POST", action, url.Values{"csrf": {csrf}, "code": {code}})
	if err != nil || st != http.StatusOK {
		return "", fmt.Errorf("code: %d %v %.300s", st, err, body)
	}
	m, ok := benchQuoted(body, `<input type="hidden" name="wresult" value="`)
	if !ok {
		return "", fmt.Errorf("code: no wresult: %.300s", body)
	}
	return html.UnescapeString(m), nil
}

// processCPU is the CPU time (user and system) this process used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFullSignIn is one whole two-factor sign-in against the Samba
// AD DC, as the load generator does it (six requests, a fresh cookie jar,
// kept HTTP connections): the CPU profile of claimgate's own work per
// sign-in (`-cpuprofile`), with the directory's work on the other side of
// the socket. The first token is verified as a relying party would.
func BenchmarkFullSignIn(b *testing.B) {
	s := newSignInBench(b)
	wr, err := s.signIn()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := wsfed.VerifyResult([]byte(wr), saml11.VerifyOptions{TrustedCerts: []*x509.Certificate{s.cert}, Audience: benchRealm}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	stBefore, dirBefore := s.counts(b, "store_operation_duration_seconds", "operation"),
		s.counts(b, "directory_request_duration_seconds", "op")
	cpu0 := processCPU(b)
	n := 0
	for b.Loop() {
		if _, err := s.signIn(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	// The whole process's CPU (user + system), the client's share
	// included: compare it between builds, not with the load generator's
	// figure, which is the server's alone.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(n), "cpu-µs/op")
	perSignIn(b, "store-ops/op", stBefore, s.counts(b, "store_operation_duration_seconds", "operation"), n)
	perSignIn(b, "ldap-ops/op", dirBefore, s.counts(b, "directory_request_duration_seconds", "op"), n)
}
