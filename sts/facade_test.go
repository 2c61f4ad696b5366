package sts

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
)

// TestBuildMetadataFacade: the flat MetadataConfig that internal/app
// still uses maps onto metadata.Config and its WS-Fed role without
// changing a byte (the golden file is sts/metadata's; read only here).
func TestBuildMetadataFacade(t *testing.T) {
	k, c := loadKeyPair(t, "signing")
	_, next := loadKeyPair(t, "other")
	md, err := BuildMetadata(MetadataConfig{
		EntityID:                     testEntityID,
		PassiveEndpoint:              "https://sts.acme.example/wsfed",
		SecurityTokenServiceEndpoint: "https://sts.acme.example/wsfed",
		Certificates:                 []*x509.Certificate{c, next},
		ClaimTypes:                   claims.Known(),
		Signer:                       k,
		SigningCertificate:           c,
		Now:                          func() time.Time { return fixedNow },
		NewID:                        func() string { return "_00000000-0000-4000-8000-0000000000md" },
		ValidFor:                     7 * 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "metadata.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md, want) {
		t.Errorf("BuildMetadata differs from testdata/golden/metadata.xml\n got: %s\nwant: %s", md, want)
	}
	if _, err := BuildMetadata(MetadataConfig{EntityID: testEntityID, Certificates: []*x509.Certificate{c}, Signer: k, SigningCertificate: c}); err == nil {
		t.Error("no passive endpoint: accepted")
	}
}
