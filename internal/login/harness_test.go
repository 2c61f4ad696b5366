package login_test

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/login/wsfedflow"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/server"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/internal/userfile"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/templates"
)

// The relying parties of every test: two AD FS farms on different origins
// and a second party on the first farm's origin under another path, so
// the form-action of the CSP has to name paths, not only origins.
const (
	realm    = "http://adfs.example.test/adfs/services/trust"
	replyURL = "https://adfs.example.test/adfs/ls/"
	realm2   = "urn:federation:other"
	reply2   = "https://other.example.test:8443/adfs/ls/"
	realm3   = "http://adfs.example.test/adfs/services/trust/alt"
	reply3   = "https://adfs.example.test/alt/ls/"
	entityID = "https://claimgate.example.test/"

	alicePassword = "correct horse battery staple"
	// aliceTOTP is RFC 6238's test seed ("12345678901234567890") in Base32.
	aliceTOTP = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	aliceSID  = "S-1-5-21-1004336348-1177238915-682003330-1105"
	bobSID    = "S-1-5-21-1004336348-1177238915-682003330-1106"
)

// t0 is where every test clock starts: the real time, so cookie expiry
// dates make sense to the client's cookie jar, on a whole minute, so TOTP
// steps start with it.
var t0 = time.Now().UTC().Truncate(time.Minute)

// signingKey is made once per test binary: RSA key generation is slow and
// the key's identity does not matter to these tests.
var signingKey = sync.OnceValues(func() (*certs.KeyPair, error) {
	return certs.Generate(certs.GenerateOptions{Now: func() time.Time { return t0 }})
})

// passwordHash is an argon2id hash as the users file holds them, made once.
var passwordHash = sync.OnceValues(func() (string, error) { return mfa.HashPassword(alicePassword, nil) })

// clock is a settable clock shared by the flow, the store and the issuer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects output written from the server's goroutines.
type syncBuffer = testutil.SyncBuffer

// countingThrottle is the real lockout policy over the real store, with a
// count of the calls so a test can see that no credential was checked.
type countingThrottle struct {
	l                     *lockout.Limiter
	mu                    sync.Mutex
	allow, fail, succeeds int
}

var _ login.Throttle = (*countingThrottle)(nil)

func addr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a
}

func (c *countingThrottle) Reserve(ctx context.Context, user, a string, cr login.Credential, now time.Time) (login.Reservation, bool, error) {
	c.mu.Lock()
	c.allow++
	c.mu.Unlock()
	kind := lockout.KindPassword
	if cr == login.CredentialCode {
		kind = lockout.KindCode
	}
	r, d, err := c.l.Reserve(ctx, user, addr(a), kind, now)
	if err != nil || !d.Allowed {
		return nil, false, err
	}
	return &countedReservation{c: c, r: r}, true, nil
}

type countedReservation struct {
	c *countingThrottle
	r *lockout.Reservation
}

func (r *countedReservation) Fail(ctx context.Context) error {
	r.c.mu.Lock()
	r.c.fail++
	r.c.mu.Unlock()
	_, err := r.c.l.Fail(ctx, r.r)
	return err
}

func (r *countedReservation) Pass(ctx context.Context) error { return r.c.l.Pass(ctx, r.r) }

func (c *countingThrottle) Success(ctx context.Context, user, a string, now time.Time) error {
	c.mu.Lock()
	c.succeeds++
	c.mu.Unlock()
	return c.l.Succeed(ctx, user, addr(a), now)
}

func (c *countingThrottle) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.allow + c.fail + c.succeeds
}

// setup varies the environment of one test.
type setup struct {
	secure        bool // HTTPS server, secure cookies, HSTS
	requireSecond bool
	maxCodes      int
	// directory wraps the real users-file directory (e.g. to fail).
	directory   func(login.Directory) login.Directory
	templateDir string
	mounts      map[string]http.Handler
	// enrol offers self-enrolment from loopback.
	enrol bool
	// db, when set, is the store of an earlier env: the same state under
	// a new configuration, as after a restart.
	db *sqlitestore.DB
	// appPasswords offers app passwords from the store; wrapApps, when
	// set, wraps them (e.g. to count).
	appPasswords bool
	wrapApps     func(login.AppPasswords) login.AppPasswords
	// policy replaces the default lockout policy.
	policy *lockout.Policy
	// counters and sessions wrap the store as the lockout and the
	// sessions see it (e.g. to fail writes).
	counters func(lockout.Counters) lockout.Counters
	sessions func(login.Sessions) login.Sessions
	// second wraps the real second-factor verifier.
	second func(login.SecondFactor) login.SecondFactor
	// page is the sign-in page's hint and password-change link.
	page login.LoginPage
	// protocols are sign-in protocols registered beside WS-Fed.
	protocols []login.Protocol
	// locker, when set, serialises the credential checks (nil: the
	// flow's lock within this process).
	locker login.Locker
	// idle is the session idle timeout (0: none).
	idle time.Duration
	// startBudget bounds new sessions (nil: none).
	startBudget func(now func() time.Time) *login.StartBudget
}

// env is claimgate's HTTP face wired from real parts: the users file
// directory, the SQLite store, the real issuer, second factor verifier,
// lockout policy and audit log, behind server.New.
type env struct {
	t        testing.TB
	h        http.Handler
	s        setup
	clk      *clock
	srv      *httptest.Server
	db       *sqlitestore.DB
	key      *certs.KeyPair
	throttle *countingThrottle
	audit    *syncBuffer
	log      *syncBuffer
}

func newEnv(t testing.TB, s setup) *env {
	t.Helper()
	key, err := signingKey()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := passwordHash()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, clk: &clock{t: t0}, key: key, audit: &syncBuffer{}, log: &syncBuffer{}}
	ctx := context.Background()
	if e.db = s.db; e.db == nil {
		e.db, err = sqlitestore.Open(ctx, filepath.Join(t.TempDir(), sqlitestore.FileName), sqlitestore.Options{Now: e.clk.Now, Key: testStoreKey})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.db.Close() })
	}
	users, err := userfile.New(&userfile.File{Domain: "EXAMPLE", Users: []userfile.User{
		{Username: "alice", UPN: "alice@example.test", DisplayName: "Alice Ångström", SID: aliceSID,
			GroupSIDs: []string{"S-1-5-21-1004336348-1177238915-682003330-513", "S-1-5-32-545"}, PasswordHash: hash, TOTPSecret: aliceTOTP},
		{Username: "bob", UPN: "bob@example.test", SID: bobSID, PasswordHash: hash},
		// asmith's UPN prefix is not the account name, as is common in AD.
		{Username: "asmith", UPN: "alice.smith@example.test", SID: "S-1-5-21-1004336348-1177238915-682003330-1107", PasswordHash: hash},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var dir login.Directory = users
	if s.directory != nil {
		dir = s.directory(users)
	}
	verifier, err := factors.NewVerifier(factors.Options{Store: e.db, File: users})
	if err != nil {
		t.Fatal(err)
	}
	var second login.SecondFactor = verifier
	if s.second != nil {
		second = s.second(verifier)
	}
	policy := lockout.DefaultPolicy()
	if s.policy != nil {
		policy = *s.policy
	}
	var counters lockout.Counters = e.db
	if s.counters != nil {
		counters = s.counters(e.db)
	}
	lim, err := lockout.New(counters, policy)
	if err != nil {
		t.Fatal(err)
	}
	e.throttle = &countingThrottle{l: lim}
	issuer, err := sts.NewIssuer(sts.IssuerConfig{EntityID: entityID, Signer: key.Key, Certificate: key.Certificate, Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := templates.New(templates.Options{Dir: s.templateDir})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var sessions login.Sessions = e.db
	if s.sessions != nil {
		sessions = s.sessions(e.db)
	}
	var apps login.AppPasswords
	if s.appPasswords {
		apps = &factors.AppPasswords{Store: e.db}
		if s.wrapApps != nil {
			apps = s.wrapApps(apps)
		}
	}
	ws, err := wsfedflow.New(wsfedflow.Options{
		Parties: wsfed.PartyList{
			{Identifier: realm, ReplyURL: replyURL},
			{Identifier: realm2, ReplyURL: reply2},
			{Identifier: realm3, ReplyURL: reply3},
		},
		Issuer: issuer, Logger: logger, RequestID: server.RequestID,
	})
	if err != nil {
		t.Fatal(err)
	}
	flow, err := login.New(login.Options{
		Protocols: append([]login.Protocol{ws}, s.protocols...), Directory: dir, Sessions: sessions, SecondFactor: second, Throttle: e.throttle, AppPasswords: apps,
		Auditor: &factors.Auditor{Log: audit.New(audit.Options{Writer: e.audit, Now: e.clk.Now}), Logger: logger},
		Pages:   pages, Logger: logger, RequireSecondFactor: s.requireSecond, MaxCodeAttempts: s.maxCodes,
		SecureCookies: s.secure, ClientAddr: server.ClientAddr, RequestID: server.RequestID, Now: e.clk.Now,
		Enrol: enroller(s, e), Page: s.page, Locker: s.locker, SessionIdleTimeout: s.idle,
		StartBudget: startBudget(s, e.clk),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := server.New(server.Options{
		Flow: flow, Pages: pages, Metadata: func() []byte { return []byte("<EntityDescriptor/>") },
		ReplyURLs: []string{replyURL, reply2, reply3}, HTTPS: s.secure, Mounts: s.mounts, Logger: logger, Now: e.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	if s.secure {
		e.srv = httptest.NewTLSServer(h)
	} else {
		e.srv = httptest.NewServer(h)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// code is alice's TOTP code at the test clock, from oathtool (an
// implementation independent of ours).
func (e *env) code() string {
	e.t.Helper()
	return oathtool(e.t, e.clk.Now())
}

// auditLines counts the audit records written so far.
func (e *env) auditLines() int { return strings.Count(e.audit.String(), "\n") }

// transport returns a client transport for the server (trusting its TLS
// certificate when it has one).
func (e *env) transport() http.RoundTripper {
	if e.srv.TLS != nil {
		return e.srv.Client().Transport
	}
	return &http.Transport{TLSClientConfig: &tls.Config{}}
}

// enroller is the real self-enrolment over the test store, from loopback
// only, when the setup asks for it.
func enroller(s setup, e *env) login.Enroller {
	if !s.enrol {
		return nil
	}
	return &factors.Enroller{Store: e.db, Issuer: "claimgate test", Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
}

// testStoreKey encrypts second-factor secrets in the test store.
var testStoreKey = []byte("0123456789abcdef0123456789abcdef")

func startBudget(s setup, c *clock) *login.StartBudget {
	if s.startBudget == nil {
		return nil
	}
	return s.startBudget(c.Now)
}
