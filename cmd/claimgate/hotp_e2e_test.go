package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
)

// hotpSecretHex is token CG-HOTP-0001's secret in testdata/hotp-tokens.pskcxml.
const hotpSecretHex = "636c61696d676174652d6532652d686f74702d31"

// TestServeHOTPSignIn: a hardware token imported from a PSKC file with the
// CLI signs bob in with codes from oathtool --hotp; a used counter code is
// refused, a code a few counters ahead works (look-ahead), one behind or
// beyond the window does not, and the CLI resynchronises a drifted token.
func TestServeHOTPSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; run without -short (make test)")
	}
	bob := e2eUser{Name: "bob", Password: newPassword(t)} // no TOTP seed: the token is his only factor
	fx := newFixture(t, bob)
	fx.writeConfig(t, serveConfig{mfa: "hotp: {look_ahead: 3, resync_look_ahead: 50}"})
	startServe(t, fx)
	browser := testutil.Browser(t)

	pskc, err := filepath.Abs("testdata/hotp-tokens.pskcxml")
	if err != nil {
		t.Fatal(err)
	}
	out := fx.cli(t, "users", "token-import", "--pskc", pskc, "--assign", "CG-HOTP-0001=bob")
	m := regexp.MustCompile(`(?m)^token CG-HOTP-0001 \(hotp, 6 digits\) assigned to bob as factor (\S+)$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "token CG-HOTP-0002 (hotp): not assigned, skipped") || !strings.Contains(out, "1 token(s) imported") {
		t.Fatalf("token-import printed:\n%s", out)
	}
	factorID := m[1]
	if list := fx.cli(t, "users", "list", "bob"); !strings.Contains(list, `hotp "token CG-HOTP-0001" confirmed, serial CG-HOTP-0001`) {
		t.Fatalf("users list bob:\n%s", list)
	}
	hotp := func(counter uint64) string { return testutil.HOTP(t, hotpSecretHex, counter, 6) }

	// signIn runs one sign-in: each code in turn, all but the last refused,
	// the last one accepted and the token checked.
	signIn := func(t *testing.T, codes ...string) {
		s := newSession(t, browser)
		s.begin(fx.rp)
		if st := s.password("bob", bob.Password); st != 200 || s.heading() != titleCode {
			s.fail("after the password: status %d, page %q", st, s.heading())
		}
		if p := s.text("p strong"); p != "your security token token CG-HOTP-0001" {
			t.Errorf("code page prompt %q does not name the security token", p)
		}
		for _, c := range codes[:len(codes)-1] {
			s.code(c)
			s.expectError(msgBadCode)
		}
		before := fx.rp.count()
		s.code(codes[len(codes)-1])
		tok := s.tokenArrives(fx.rp, before)
		if got := claim(tok, claims.UPN); !slices.Equal(got, []string{"bob@e2e.example"}) {
			t.Errorf("upn = %v", got)
		}
		if amr := claim(tok, claims.AuthnMethodsReferences); !slices.Contains(amr, claims.MultipleAuthn) {
			t.Errorf("authnmethodsreferences = %v, want multipleauthn", amr)
		}
	}

	t.Run("first code", func(t *testing.T) { signIn(t, hotp(0)) })
	t.Run("used code refused, look-ahead accepted", func(t *testing.T) {
		signIn(t, hotp(0), hotp(4)) // next expected is 1; 4 = 1 + look_ahead
	})
	t.Run("behind and beyond the window refused", func(t *testing.T) {
		signIn(t, hotp(3), hotp(9), hotp(5)) // next expected is 5; 9 > 5 + 3
	})
	t.Run("resynchronised by the CLI", func(t *testing.T) {
		out := fx.cli(t, "users", "token-resync", "bob", "--id", factorID, hotp(30), hotp(31))
		if !strings.Contains(out, "resynchronised") {
			t.Fatalf("token-resync printed %q", out)
		}
		signIn(t, hotp(31), hotp(32))
	})
}
