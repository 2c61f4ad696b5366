package app

import (
	"context"
	"crypto"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/signertest"
	"github.com/claimgate/claimgate/internal/testutil"
)

const usersOnly = "directory:\n  users_file: {path: users.yaml}\n"

// signerConfig is readyConfig with signing.signer set to kind; for pkcs11
// the key is put in a fresh SoftHSM token and keys[0] keeps only its
// certificate.
func signerConfig(t *testing.T, kind string) *config.Config {
	t.Helper()
	var kp *certs.KeyPair
	var h signertest.SoftHSM
	if kind == signer.KindPKCS11 {
		h = signertest.NewSoftHSM(t)
		kp = &certs.KeyPair{Key: h.Key, Certificate: h.Cert}
	}
	cfg := readyConfig(t, usersOnly, kp)
	cfg.Signing.Signer = kind
	if kind == signer.KindPKCS11 {
		cfg.Signing.Keys[0].KeyFile = ""
		cfg.Signing.PKCS11 = &config.PKCS11{Module: h.Module, TokenLabel: h.TokenLabel, PIN: config.NewSecret(h.PIN),
			KeyLabel: h.KeyLabel, Sessions: 2}
	}
	return cfg
}

// TestBuildOpensConfiguredSigner: Build opens the signer signing.signer
// names once, and both the metadata and the tokens are signed with it
// (xmlsec1 verifies them against the certificate); App.Close closes it.
// The kinds this binary lacks are left out here: scripts/test.sh runs this
// test again with -tags openssl,pkcs11.
func TestBuildOpensConfiguredSigner(t *testing.T) {
	for _, kind := range []string{signer.KindGo, signer.KindOpenSSL, signer.KindPKCS11} {
		if signer.Check(kind) != nil {
			continue
		}
		t.Run(kind, func(t *testing.T) {
			cfg := signerConfig(t, kind)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, err := Build(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if held := a.Keys.Signing.Held(); held != (kind == signer.KindPKCS11) {
				t.Errorf("signing key held in an HSM: %v", held)
			}
			certPEM := cfg.Signing.Keys[0].CertFile
			if out, ok := testutil.XMLSecVerify(t, a.Metadata, testutil.XMLSecMetadataID, certPEM); !ok {
				t.Errorf("metadata does not verify:\n%s", out)
			}
			as := etree.NewElement("saml:Assertion")
			as.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:1.0:assertion")
			as.CreateAttr("AssertionID", "_a1")
			as.CreateElement("saml:Conditions")
			tok, err := a.Issuer.SignAssertion(as, "")
			if err != nil {
				t.Fatal(err)
			}
			if out, ok := testutil.XMLSecVerify(t, tok, testutil.XMLSecAssertionID, certPEM); !ok {
				t.Errorf("assertion does not verify:\n%s", out)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = a.Signer.Sign(rand.Reader, make([]byte, 32), crypto.SHA256)
			if closes := kind != signer.KindGo; closes && err == nil {
				t.Error("the signer still signs after App.Close")
			}
		})
	}
}

// TestBuildRefusesUnopenableSigner: a signer that cannot be opened stops
// Build with the configuration path to fix, and nothing stays open.
func TestBuildRefusesUnopenableSigner(t *testing.T) {
	cfg := readyConfig(t, usersOnly, nil)
	path, want := "signing.signer", "needs a claimgate built with -tags pkcs11"
	cfg.Signing.Signer = signer.KindPKCS11
	cfg.Signing.Keys[0].KeyFile = ""
	cfg.Signing.PKCS11 = &config.PKCS11{Module: signertest.SoftHSMModule, TokenLabel: "claimgate", PIN: config.NewSecret("000000"), KeyLabel: "k", Sessions: 1}
	if signer.Check(signer.KindPKCS11) == nil {
		h := signertest.NewSoftHSM(t)
		cfg.Signing.PKCS11.TokenLabel, cfg.Signing.PKCS11.KeyLabel = h.TokenLabel, h.KeyLabel
		path, want = "signing.pkcs11", `token "claimgate" refused the PIN`
	}
	_, err := Build(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), path+": ") || !strings.Contains(err.Error(), want) {
		t.Fatalf("Build = %v, want %s: ...%s", err, path, want)
	}
}
