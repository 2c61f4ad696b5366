package main

import (
	"crypto"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/demo"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/userfile"
	"github.com/claimgate/claimgate/templates"
)

func runDemo(e *env, args []string) int {
	fs := newFlags(e, "demo", "demo [--listen ADDR] [--data DIR]", `
Runs claimgate with no configuration at all. On first start it makes a data
directory with a token-signing key, demo users (alice and bob, each with a
password and a TOTP secret) and a configuration file; later starts reuse
the keys and users and write the configuration file again, for this start's
--listen. Give each demo that runs at the same time its own --data
directory: a second one on the same directory rewrites the first one's
configuration file and shares its database.

It serves plain HTTP on loopback and mounts a demo application at /demo/
with two sign-in buttons side by side: one behaves like AD FS (a
WS-Federation sign-in, the SAML 1.1 token checked), the other like a SAML
2.0 service provider (an AuthnRequest, the signed Response checked, and
single logout).

For every demo user it prints the password and the otpauth:// URI of the
TOTP secret (also shown as a QR code on the demo page). A current code:
  oathtool --totp -b SECRET`)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (loopback)")
	dataDir := fs.String("data", defaultDemoDir(e), "data directory for the demo's key, users and database")
	if code, done := fs.parse(args); done {
		return code
	}
	d, err := prepareDemo(*dataDir, *listen)
	if err != nil {
		return fail(e, "demo: %v", err)
	}
	cfg, err := config.Load(d.configPath, e.getenv)
	if err != nil {
		return fail(e, "demo: %v", err)
	}
	log := newLogger(e, config.Logging{Level: "warn", Format: "text"})
	a, err := app.Build(e.ctx, cfg, app.Options{Logger: log, Mounts: map[string]func(*app.App) http.Handler{
		"/demo": func(a *app.App) http.Handler { return demoRP(a, cfg, d) },
	}})
	if err != nil {
		return fail(e, "demo: %v", err)
	}
	defer a.Close()
	err = serve(e.ctx, cfg, a, log, func(addr string) {
		fmt.Fprintf(e.stdout, "claimgate demo is running. Open http://%s/demo/ and press \"Sign in with claimgate\"\n(WS-Federation, as AD FS) or \"Sign in with claimgate over SAML 2.0\".\n\n", addr)
		for _, u := range d.Users {
			fmt.Fprintf(e.stdout, "%s  password: %s  %s\n", u.Username, u.Password, u.URI)
		}
		fmt.Fprintf(e.stdout, "\nA current code for a user: oathtool --totp -b SECRET (SECRET from the URI above),\nor scan the QR code on the demo page with an authenticator app.\n")
		fmt.Fprintf(e.stdout, "Data directory: %s (delete it to start over). Stop with Ctrl-C.\n", d.dir)
	})
	if err != nil {
		return fail(e, "demo: %v", err)
	}
	return 0
}

func defaultDemoDir(e *env) string {
	if d := e.getenv("CLAIMGATE_DEMO_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "claimgate-demo")
	}
	return filepath.Join(os.TempDir(), "claimgate-demo")
}

// demoUser is one demo account; the demo keeps its plain password so it can
// print it (nothing else in claimgate ever stores a password).
type demoUser struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Secret   string `json:"totp_secret"`
	URI      string `json:"otpauth_uri"`
}

type demoData struct {
	dir        string
	configPath string
	base       string // http://listen, the demo's base URL
	realm      string
	spKey      crypto.Signer // the SAML SP's request-signing key
	Users      []demoUser    `json:"users"`
}

// prepareDemo creates (once) the demo's key, users file, credentials and
// configuration in dir.
func prepareDemo(dir, listen string) (*demoData, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d := &demoData{dir: dir, configPath: filepath.Join(dir, "claimgate.yaml")}
	base := "http://" + listen
	d.base, d.realm = base, base+demo.RealmPath
	cert, key := filepath.Join(dir, "signing.crt"), filepath.Join(dir, "signing.key")
	if _, err := os.Stat(key); errors.Is(err, fs.ErrNotExist) {
		kp, err := certs.Generate(certs.GenerateOptions{CommonName: "claimgate demo token signing"})
		if err != nil {
			return nil, err
		}
		if err := certs.WritePEM(kp, cert, key, false); err != nil {
			return nil, err
		}
	}
	// The SAML service provider signs its LogoutRequests (claimgate
	// refuses unsigned ones) with a key of its own, as a real SP would.
	spCert, spKey := filepath.Join(dir, "sp-signing.crt"), filepath.Join(dir, "sp-signing.key")
	if _, err := os.Stat(spKey); errors.Is(err, fs.ErrNotExist) {
		kp, err := certs.Generate(certs.GenerateOptions{CommonName: "claimgate demo SAML service provider"})
		if err != nil {
			return nil, err
		}
		if err := certs.WritePEM(kp, spCert, spKey, false); err != nil {
			return nil, err
		}
	}
	sp, err := certs.LoadPEM(spCert, spKey)
	if err != nil {
		return nil, fmt.Errorf("%w (delete the data directory to start over)", err)
	}
	d.spKey = sp.Key
	creds := filepath.Join(dir, "demo-users.json")
	if b, err := os.ReadFile(creds); err == nil {
		if err := json.Unmarshal(b, d); err != nil {
			return nil, fmt.Errorf("%s: %w (delete the data directory to start over)", creds, err)
		}
	} else if err := newDemoUsers(d, filepath.Join(dir, "users.yaml"), creds); err != nil {
		return nil, err
	}
	encKey := filepath.Join(dir, "encryption.key")
	if _, err := os.Stat(encKey); errors.Is(err, fs.ErrNotExist) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(encKey, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	yaml := fmt.Sprintf(`# Written by "claimgate demo"; regenerated at every start.
entity_id: %[1]s/
base_url: %[1]s
data_dir: %[2]q
server:
  listen: %[3]q
  insecure_http: true
signing:
  keys:
    - cert_file: signing.crt
      key_file: signing.key
relying_parties:
  - name: demo relying party
    identifier: %[4]s
    reply_url: %[1]s%[5]s
saml2:
  enabled: true
  service_providers:
    - name: demo service provider
      entity_id: %[1]s%[6]s
      acs_url: %[1]s%[7]s
      slo_url: %[1]s%[8]s
      signing_cert: sp-signing.crt
directory:
  users_file:
    path: users.yaml
mfa:
  encryption_key:
    file: encryption.key
  enrolment:
    self_enrolment: true
    allowed_networks: [127.0.0.0/8, "::1/128"]
audit:
  log: none
  store: true
`, base, dir, listen, d.realm, demo.ReplyPath, demo.SAML2EntityPath, demo.SAML2ACSPath, demo.SAML2SLOPath)
	if err := os.WriteFile(d.configPath, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	return d, nil
}

// newDemoUsers makes alice and bob with random passwords and TOTP secrets,
// a random domain SID and a few groups.
func newDemoUsers(d *demoData, usersPath, credsPath string) error {
	var sub [3]uint32
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	for i := range sub {
		sub[i] = binary.LittleEndian.Uint32(b[i*4:])
	}
	domainSID := fmt.Sprintf("S-1-5-21-%d-%d-%d", sub[0], sub[1], sub[2])
	f := &userfile.File{Domain: "DEMO"}
	for i, name := range []string{"alice", "bob"} {
		pw, err := mfa.NewAppPassword(rand.Reader)
		if err != nil {
			return err
		}
		hash, err := mfa.HashPassword(pw, rand.Reader)
		if err != nil {
			return err
		}
		secret, err := mfa.NewSecret(rand.Reader, 20)
		if err != nil {
			return err
		}
		upn := name + "@demo.example"
		f.Users = append(f.Users, userfile.User{
			Username: name, UPN: upn, DisplayName: name + " (demo)", Email: upn,
			SID: domainSID + "-" + strconv.Itoa(1105+i), PrimaryGroupSID: domainSID + "-513",
			GroupSIDs:    []string{domainSID + "-513", domainSID + "-" + strconv.Itoa(1200+i), "S-1-5-32-545"},
			PasswordHash: hash, TOTPSecret: mfa.EncodeBase32(secret),
		})
		d.Users = append(d.Users, demoUser{Username: name, Password: pw, Secret: mfa.EncodeBase32(secret),
			URI: mfa.KeyURI("claimgate demo", upn, secret, mfa.OATHParams{})})
	}
	if err := userfile.Write(usersPath, f); err != nil {
		return err
	}
	b2, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(credsPath, b2, 0o600)
}

func demoRP(a *app.App, cfg *config.Config, d *demoData) http.Handler {
	var users []templates.DemoUser
	for _, u := range d.Users {
		du := templates.DemoUser{Username: u.Username, Password: u.Password, OTPAuthURI: u.URI}
		if png, err := mfa.QRPNG(u.URI, 180); err == nil {
			du.QRImage = template.URL("data:image/png;base64," + b64(png))
		}
		users = append(users, du)
	}
	sp := &demo.SAML2{
		IdPEntityID: cfg.EntityID, IdPSSOURL: cfg.SAML2SSOURL(), IdPSLOURL: cfg.SAML2SLOURL(),
		EntityID: d.base + demo.SAML2EntityPath, ACSURL: d.base + demo.SAML2ACSPath, SLOURL: d.base + demo.SAML2SLOPath,
		SigningKey: d.spKey,
	}
	return demo.Handler(demo.Options{Realm: d.realm, WSFedURL: cfg.WSFedURL(), Trusted: a.Keys.Published, SAML2: sp,
		Users: users, Pages: a.Pages, Logger: a.Logger})
}
