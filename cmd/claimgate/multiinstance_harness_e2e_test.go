package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/claimgate/claimgate/internal/testutil"
)

// Harness of the multi-instance tests (multiinstance_e2e_test.go): two
// `claimgate serve` instances with one configuration (but for the listen
// address) on one fresh PostgreSQL schema, behind a reverse proxy that
// routes each request by a schedule the test sets and records which
// instance answered it; and pg_ctl, to stop and start PostgreSQL under
// them.

// The instances, as indexes into cluster.inst.
const (
	instA = 0
	instB = 1
)

var instName = [2]string{"A", "B"}

// envStoreDSN carries the connection string into the configuration, as
// docs/configuration.md recommends for a DSN holding a password.
const envStoreDSN = "CLAIMGATE_PG_DSN"

// storeYAML is the store section every instance shares. A small pool:
// two instances of every test fit easily under the server's limit.
const storeYAML = "store:\n  driver: postgres\n  dsn: {env: " + envStoreDSN + "}\n  max_conns: 4\n"

// cluster is one claimgate deployment of two instances. fx.base, the
// proxy, is claimgate's base_url: the browser and the relying party only
// ever see that address, as behind a real load balancer.
type cluster struct {
	fx    *fixture
	ad    sambaEnv
	pg    map[string]string // the PostgreSQL env file's keys
	proxy *rrProxy
	inst  [2]*server // each with its own fixture copy: its config file and direct address
}

// startCluster starts the proxy and both instances against the Samba AD
// DC and a fresh schema of the test PostgreSQL. extra is appended to the
// configuration (after the store section); pgNeed names further keys the
// PostgreSQL env file must have.
func startCluster(t *testing.T, extra string, pgNeed ...string) *cluster {
	t.Helper()
	ad := samba(t)
	pg := testutil.PostgresEnv(t, pgNeed...)
	dsn := freshSchemaDSN(t, pg["CLAIMGATE_TEST_PG_DSN"])
	fx := newFixture(t)
	for k, v := range ad {
		fx.env[k] = v
	}
	fx.env[envStoreDSN] = dsn
	fx.writeConfig(t, serveConfig{directory: ad.ldapYAML(ad["CLAIMGATE_TEST_LDAP_URL"]), extra: storeYAML + extra})
	c := &cluster{fx: fx, ad: ad, pg: pg}

	// The proxy takes base_url's port first, so no instance can get it.
	ln, err := net.Listen("tcp", fx.addr)
	if err != nil {
		t.Fatalf("proxy listen on %s: %v", fx.addr, err)
	}
	yaml, err := os.ReadFile(fx.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	listen := "\n  listen: " + fx.addr + "\n"
	if n := strings.Count(string(yaml), listen); n != 1 {
		t.Fatalf("config has %d lines %q; adapt startCluster to writeConfig", n, strings.TrimSpace(listen))
	}
	var targets [2]*url.URL
	for i := range c.inst {
		ifx := *fx // same files, keys, data directory, relying party and env
		ifx.addr = testutil.FreeAddr(t)
		ifx.base = "http://" + ifx.addr
		ifx.cfgPath = filepath.Join(fx.dir, "claimgate-"+strings.ToLower(instName[i])+".yaml")
		cfg := strings.Replace(string(yaml), listen, "\n  listen: "+ifx.addr+"\n", 1)
		if err := os.WriteFile(ifx.cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		c.inst[i] = startServe(t, &ifx)
		targets[i] = &url.URL{Scheme: "http", Host: ifx.addr}
	}
	c.proxy = newProxy(targets)
	srv := &http.Server{Handler: c.proxy, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	// Registered after the instances, so it runs before they stop.
	t.Cleanup(func() { _ = srv.Close() })
	return c
}

// freshSchemaDSN returns base with a new, empty schema first on the
// search path, dropped when the test ends (after the instances stopped:
// cleanups run last in, first out). A schema per test keeps tests apart
// on one database.
func freshSchemaDSN(t *testing.T, base string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "mi_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin := func(sql string) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := admin(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema on the test database: %v", err)
	}
	t.Cleanup(func() {
		if err := admin(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("CLAIMGATE_TEST_PG_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// userPassword is the password of every seeded AD user.
func (c *cluster) userPassword() string { return c.ad["CLAIMGATE_TEST_LDAP_USER_PASSWORD"] }

var secretLine = regexp.MustCompile(`(?m)^secret: ([A-Z2-7]+)$`)

// totpAdd gives an AD user an authenticator-app secret in the shared
// store with `claimgate users totp-add`, and returns it.
func (c *cluster) totpAdd(t *testing.T, user string) string {
	t.Helper()
	out := c.fx.cli(t, "users", "totp-add", user, "--name", "phone")
	m := secretLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("totp-add %s printed:\n%s", user, out)
	}
	return m[1]
}

// running fails the test if an instance has exited: "without a restart"
// must be true, not assumed.
func (c *cluster) running(t *testing.T) {
	t.Helper()
	for i, s := range c.inst {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("instance %s exited with %d:\n%s", instName[i], code, s.stderr.String())
		default:
		}
	}
}

// answeredBy checks every hop against the instances' own access logs: its
// X-Request-Id is logged by the instance the proxy sent it to, and not by
// the other. So the record is what happened, not what the proxy meant.
func (c *cluster) answeredBy(t *testing.T, hops []hop) {
	t.Helper()
	for _, h := range hops {
		if h.RequestID == "" {
			t.Errorf("%v: no X-Request-Id in the answer", h)
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for c.inst[h.Inst].requestRecord(h.RequestID) < 0 {
			if time.Now().After(deadline) {
				t.Errorf("%v: instance %s did not log request %s", h, instName[h.Inst], h.RequestID)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if c.inst[1-h.Inst].requestRecord(h.RequestID) >= 0 {
			t.Errorf("%v: instance %s logged request %s too", h, instName[1-h.Inst], h.RequestID)
		}
	}
}

// rrProxy is the load balancer in front of the instances: no sticky
// sessions, each request goes where route says (by its index among the
// pages since route was set), and every request is recorded in arrival
// order with the instance that answered and how. Static files follow the
// same route without moving it on, so a cached or uncached stylesheet
// cannot shift the schedule of the sign-in's pages.
type rrProxy struct {
	backends [2]*httputil.ReverseProxy

	mu    sync.Mutex
	route func(n int) int
	n     int
	hops  []hop
}

// hop is one request through the proxy.
type hop struct {
	Method, Path string
	Inst         int
	Status       int // 0 until the answer came
	RequestID    string
	Asset        bool // a static file
}

func (h hop) String() string {
	return fmt.Sprintf("%s %s → %s %d", h.Method, h.Path, instName[h.Inst], h.Status)
}

func newProxy(targets [2]*url.URL) *rrProxy {
	p := &rrProxy{route: alternate}
	for i, target := range targets {
		p.backends[i] = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target)
				// As a load balancer does: claimgate sees its public host.
				pr.Out.Host = pr.In.Host
				pr.SetXForwarded()
			},
			ErrorLog: log.New(io.Discard, "", 0),
		}
	}
	return p
}

// alternate sends the sign-in's pages to A, B, A, B, ...: each request
// meets the state the other instance left.
func alternate(n int) int { return n % 2 }

// only sends everything to one instance.
func only(inst int) func(int) int { return func(int) int { return inst } }

// use sets the route from the next request on.
func (p *rrProxy) use(route func(int) int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.route, p.n = route, 0
}

func (p *rrProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	asset := strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/favicon.ico"
	p.mu.Lock()
	inst := p.route(p.n)
	if !asset {
		p.n++
	}
	i := len(p.hops)
	p.hops = append(p.hops, hop{Method: r.Method, Path: r.URL.Path, Inst: inst, Asset: asset})
	p.mu.Unlock()
	// The answer is recorded as its header goes out, before the browser
	// can act on it: a test reading the record after a page loaded finds
	// that page's answer in it.
	rec := &statusRecorder{ResponseWriter: w, header: func(status int) {
		p.mu.Lock()
		p.hops[i].Status, p.hops[i].RequestID = status, w.Header().Get("X-Request-Id")
		p.mu.Unlock()
	}}
	p.backends[inst].ServeHTTP(rec, r)
}

// mark is where the record stands now, for pages.
func (p *rrProxy) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.hops)
}

// pages is the record of page requests (not static files) from mark on.
func (p *rrProxy) pages(mark int) []hop {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []hop
	for _, h := range p.hops[mark:] {
		if !h.Asset {
			out = append(out, h)
		}
	}
	return out
}

// all is the whole record from mark on, static files included.
func (p *rrProxy) all(mark int) []hop {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]hop(nil), p.hops[mark:]...)
}

// statusRecorder reports the status the backend answered with (header),
// once, just before the header is sent on.
type statusRecorder struct {
	http.ResponseWriter
	header func(status int)
	sent   bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.sent && code >= 200 {
		r.sent = true
		r.header(code)
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.sent {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// stopPostgres stops the cluster's PostgreSQL server (fast mode: open
// connections are cut, as in a crash or failover) and returns the
// function that starts it again. It is started again when the test ends
// in any case, before the schema is dropped.
//
// This stops the server for everyone using it: only for a test that owns
// it (a private instance, or CI, where scripts/test.sh runs one package
// at a time and no cmd/claimgate test runs in parallel).
func (c *cluster) stopPostgres(t *testing.T) (start func()) {
	t.Helper()
	logFile := filepath.Join(filepath.Dir(c.pg["CLAIMGATE_TEST_PG_DATA"]), "postgres.log")
	var once sync.Once
	start = func() {
		t.Helper()
		once.Do(func() { testutil.PGCtl(t, c.pg, "-l", logFile, "start") })
	}
	t.Cleanup(start)
	testutil.PGCtl(t, c.pg, "-m", "fast", "stop")
	return start
}
