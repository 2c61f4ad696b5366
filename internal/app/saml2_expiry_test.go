package app

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSPMetadataExpiresWhileRunning: an SP read from metadata with a
// validUntil is answered until then, and not after it, although the last
// good copy is still held (no newer one can be read: the publisher's copy
// has expired too); /healthz says EXPIRED.
func TestSPMetadataExpiresWhileRunning(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second)
	until := start.Add(time.Hour)
	md := []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.test/" validUntil="` +
		until.Format(time.RFC3339) + `"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		`<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.test/acs" index="0"/>` +
		`</md:SPSSODescriptor></md:EntityDescriptor>`)
	var doc atomic.Pointer[[]byte]
	doc.Store(&md)
	srv := metadataServer(t, &doc)
	_, dir := buildFromYAML(t, wsfedParty)
	var now atomic.Pointer[time.Time]
	now.Store(&start)
	clock := func() time.Time { return *now.Load() }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sps := "    - name: generic SP\n      metadata: {url: '" + srv.URL + "/FederationMetadata/2007-06/FederationMetadata.xml', insecure_allow_unsigned: true}\n"
	reg, err := saml2SPs(ctx, saml2Config(t, dir, sps), slog.New(slog.DiscardHandler), clock, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if sp, ok := reg.SP("https://sp.example.test/"); !ok || !sp.ValidUntil.Equal(until) {
		t.Fatalf("SP before validUntil: %v %+v", ok, sp)
	}
	if ok, lines := reg.health(); !ok {
		t.Errorf("health before validUntil: %q", lines)
	}
	later := until.Add(time.Second)
	now.Store(&later)
	if _, ok := reg.SP("https://sp.example.test/"); ok {
		t.Error("SP answered past its metadata's validUntil")
	}
	if ok, lines := reg.health(); ok || !strings.Contains(strings.Join(lines, "\n"), "EXPIRED") {
		t.Errorf("health past validUntil: %v %q", ok, lines)
	}
}
