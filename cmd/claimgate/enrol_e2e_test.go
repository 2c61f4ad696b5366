package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/testutil"
)

// TestServeTOTPSelfEnrolment: a user with no second factor, signing in from
// an allowed network, is shown a new secret after the password, proves a
// code computed by oathtool from the secret read off the page, and gets
// the token; the next sign-in asks for a code from that factor. From a
// network outside the policy there is no enrolment.
func TestServeTOTPSelfEnrolment(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	dave := e2eUser{Name: "dave", Password: newPassword(t)}
	erin := e2eUser{Name: "erin", Password: newPassword(t)}
	fx := newFixture(t, dave, erin)
	fx.writeConfig(t, serveConfig{mfa: "enrolment: {self_enrolment: true, allowed_networks: [127.0.0.0/8]}"})
	srv := startServe(t, fx)
	browser := testutil.Browser(t)
	var secret string

	t.Run("enrol and finish the sign-in", func(t *testing.T) {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("dave", dave.Password); st != 200 || s.heading() != titleEnrol {
			s.fail("after the password: status %d, page %q", st, s.heading())
		}
		if !s.has(`img.qr[src^="data:image/png;base64,"]`) {
			s.fail("no server-rendered QR code image")
		}
		secret = strings.ReplaceAll(s.text("#secret"), " ", "")
		if _, err := mfa.DecodeBase32(secret); err != nil || len(secret) < 32 {
			s.fail("secret on the page %q: %v", secret, err)
		}
		if uri := s.textContent("#otpauth"); !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) {
			t.Errorf("otpauth URI %q does not carry the secret shown", uri)
		}
		if list := fx.cli(t, "users", "list", "dave"); !strings.Contains(list, "enrolment not finished") {
			t.Errorf("before the code, users list dave:\n%s", list)
		}
		// A wrong code does not save the enrolment; the same secret is shown again.
		good := testutil.TOTP(t, secret)
		bad := "000000"
		if good == bad {
			bad = "111111"
		}
		s.code(bad)
		s.expectError(msgBadCode)
		if again := strings.ReplaceAll(s.text("#secret"), " ", ""); again != secret {
			t.Fatalf("secret changed after a wrong code: %q then %q", secret, again)
		}
		before := fx.rp.count()
		s.code(good)
		tok := s.tokenArrives(fx.rp, before)
		if amr := claim(tok, claims.AuthnMethodsReferences); !slices.Contains(amr, claims.MultipleAuthn) {
			t.Errorf("authnmethodsreferences = %v, want multipleauthn", amr)
		}
		if list := fx.cli(t, "users", "list", "dave"); !strings.Contains(list, `totp "authenticator app" confirmed`) {
			t.Errorf("after enrolment, users list dave:\n%s", list)
		}
		if r := findAudit(readAudit(t, fx), "enrolment", "dave"); r == nil || r.Outcome != "success" {
			t.Errorf("enrolment audit record = %+v", r)
		}
	})

	t.Run("next sign-in asks for a code from the new factor", func(t *testing.T) {
		if secret == "" {
			t.Fatal("no secret: the enrolment step above failed")
		}
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("dave", dave.Password); st != 200 || s.heading() != titleCode || s.has("#secret") {
			s.fail("after the password: status %d, page %q", st, s.heading())
		}
		before := fx.rp.count()
		// The enrolment used this time step's code: the next step's is due.
		s.code(testutil.TOTPAt(t, secret, time.Now().Add(30*time.Second)))
		s.tokenArrives(fx.rp, before)
	})

	t.Run("the secret is not stored in the clear", func(t *testing.T) {
		raw, err := mfa.DecodeBase32(secret)
		if err != nil {
			t.Fatal(err)
		}
		assertNotStored(t, fx, raw, []byte(secret))
	})

	t.Run("no enrolment outside the allowed networks", func(t *testing.T) {
		srv.stop(t)
		fx.writeConfig(t, serveConfig{mfa: "enrolment: {self_enrolment: true, allowed_networks: [10.0.0.0/8]}"})
		startServe(t, fx)
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("erin", erin.Password); st != 403 || s.has("#secret") {
			s.fail("status %d, want 403 and no secret", st)
		}
		s.expectError("no second factor set up")
	})

	t.Run("with an enrolment code issued by the CLI", func(t *testing.T) {
		srv.stop(t)
		fx.writeConfig(t, serveConfig{mfa: "enrolment: {self_enrolment: true, require_code: true}"})
		startServe(t, fx)
		out := fx.cli(t, "users", "enrolment-code", "erin")
		m := regexp.MustCompile(`(?m)^enrolment code for erin \(valid until [^)]*\):\n(\S+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("enrolment-code printed:\n%s", out)
		}
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("erin", erin.Password); st != 200 || s.heading() != titleEnrol || !s.has("#enrolment_code") {
			s.fail("status %d, page %q: want the enrolment page asking for the code", st, s.heading())
		}
		secret := strings.ReplaceAll(s.text("#secret"), " ", "")
		s.typeInto("#enrolment_code", "not-the-code")
		s.code(testutil.TOTP(t, secret))
		s.expectError(msgBadCode)
		s.typeInto("#enrolment_code", m[1])
		before := fx.rp.count()
		s.code(testutil.TOTPAt(t, secret, time.Now().Add(30*time.Second)))
		s.tokenArrives(fx.rp, before)
		assertAbsent(t, "audit log", auditText(readAudit(t, fx)), m[1], secret)
	})
}

// assertNotStored fails when any of secrets appears in a file of the data
// directory (the SQLite database and its journal).
func assertNotStored(t *testing.T, fx *fixture, secrets ...[]byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fx.dir, "data", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in the data directory: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds a secret in the clear (%d bytes)", filepath.Base(f), len(s))
			}
		}
	}
}
