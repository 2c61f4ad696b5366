package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/testutil"
	"github.com/claimgate/claimgate/sts/saml2"
)

// pysaml2Case is one claimgate serve over the Samba AD with one pysaml2 SP
// configured from its metadata, and alice holding a TOTP factor in this
// deployment's store (so each case has codes of its own).
type pysaml2Case struct {
	fx     *fixture
	srv    *server
	ad     sambaEnv
	sp     *pysaml2SP
	secret string
}

// newPySAML2Case starts claimgate with sp configured by spYAML (its
// service_providers entry) and gives pysaml2 claimgate's metadata.
func newPySAML2Case(t *testing.T, ad sambaEnv, sp *pysaml2SP, saml2Extra, spYAML string) *pysaml2Case {
	t.Helper()
	fx := newFixture(t)
	for k, v := range ad {
		fx.env[k] = v
	}
	// A key of its own for persistent NameIDs, as the docs advise.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fx.dir, "saml-persistent.key"), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fx.writeConfig(t, serveConfig{directory: ad.ldapYAML(ad["CLAIMGATE_TEST_LDAP_URL"]),
		extra: "saml2:\n  enabled: true\n" + saml2Extra + "  service_providers:\n" + spYAML})
	srv := startServe(t, fx)
	sp.fetchIdPMetadata(fx.base)
	c := &pysaml2Case{fx: fx, srv: srv, ad: ad, sp: sp}
	m := secretLine.FindStringSubmatch(fx.cli(t, "users", "totp-add", "alice", "--name", "phone"))
	if m == nil {
		t.Fatal("users totp-add printed no secret")
	}
	c.secret = m[1]
	return c
}

// signIn sends the browser to claimgate with pysaml2's request, signs
// alice in on the real pages (AD password, TOTP code) and returns the
// auto-POST form's SAMLResponse and RelayState, checking it goes to the
// ACS of pysaml2's metadata.
func (c *pysaml2Case) signIn(t *testing.T, req pysaml2Request) (string, string) {
	t.Helper()
	b := newPySAML2Browser(t, c.fx)
	if st, path := b.open(req.URL); st != 200 || path != "/login" {
		t.Fatalf("pysaml2's request led to %d at %s, want the password page:\n%s", st, path, b.last)
	}
	b.signIn("alice", c.ad["CLAIMGATE_TEST_LDAP_USER_PASSWORD"], testutil.TOTP(t, c.secret))
	action, form, err := b.posted()
	if err != nil {
		t.Fatalf("%v:\n%s", err, b.last)
	}
	if action != c.sp.acs {
		t.Fatalf("the Response goes to %s, want pysaml2's ACS %s", action, c.sp.acs)
	}
	return form.Get("SAMLResponse"), form.Get("RelayState")
}

// accepted has pysaml2 judge the Response and checks what every case
// shares: issuer, InResponseTo, and alice's attributes as issued from AD.
func (c *pysaml2Case) accepted(t *testing.T, req pysaml2Request, resp, relay string) *pysaml2Result {
	t.Helper()
	got, err := c.sp.judge(req, resp, relay)
	if err != nil {
		t.Fatalf("pysaml2 refused claimgate's Response: %v", err)
	}
	t.Logf("pysaml2 accepted: NameID %q (%s), issuer %s, encrypted %v, %d attributes",
		got.NameID, got.Format, got.Issuer, got.Encrypted, len(got.Attributes))
	if got.Issuer != "urn:claimgate:e2e" || got.InResponseTo != req.ID {
		t.Errorf("issuer %q, InResponseTo %q; want urn:claimgate:e2e and pysaml2's request id %q", got.Issuer, got.InResponseTo, req.ID)
	}
	if got.AuthnContext != claims.MultipleAuthn {
		t.Errorf("AuthnContextClassRef %q, want %s after password and code", got.AuthnContext, claims.MultipleAuthn)
	}
	aliceSID := c.ad.sid(t, "user", "alice")
	domainSID := aliceSID[:strings.LastIndexByte(aliceSID, '-')]
	if !strings.HasPrefix(aliceSID, "S-1-5-21-") {
		t.Fatalf("samba-tool's SID for alice is %q", aliceSID)
	}
	for typ, want := range map[string][]string{
		claims.UPN:                {"alice@example.test"},
		claims.PrimarySID:         {aliceSID},
		claims.WindowsAccountName: {`EXAMPLE\alice`},
		claims.PrimaryGroupSID:    {domainSID + "-513"},
	} {
		if !slices.Equal(got.Attributes[typ], want) {
			t.Errorf("pysaml2 reports %s = %v, want %v", typ, got.Attributes[typ], want)
		}
	}
	// Domain Users, VPN Users, Remote Access (through VPN Users) and the
	// default claims.logon_sids.
	groups := got.Attributes[claims.GroupSID]
	for _, g := range []string{domainSID + "-513", c.ad.sid(t, "group", "VPN Users"), c.ad.sid(t, "group", "Remote Access"),
		"S-1-1-0", "S-1-5-2", "S-1-5-11", "S-1-5-15"} {
		if !slices.Contains(groups, g) {
			t.Errorf("pysaml2 reports groupsid %v, which lacks %s", groups, g)
		}
	}
	if !slices.Contains(got.Attributes[claims.AuthnMethodsReferences], claims.MultipleAuthn) {
		t.Errorf("authnmethodsreferences %v", got.Attributes[claims.AuthnMethodsReferences])
	}
	return got
}

// TestPySAML2UnsignedRequest: pysaml2's unsigned HTTP-Redirect
// AuthnRequest, asking for a persistent NameID as its metadata says, is
// answered after the real sign-in with a Response pysaml2 accepts: the
// attributes from AD, an opaque persistent NameID, InResponseTo its
// request. pysaml2 refuses the same Response with one byte of an
// attribute changed, and as the answer to another request of its own, so
// its acceptance above is a verified one.
func TestPySAML2UnsignedRequest(t *testing.T) {
	ad := samba(t) // first: `go test -short` skips here, with the other end-to-end tests
	t.Logf("pysaml2 %s", requirePySAML2(t))
	sp := newPySAML2SP(t, "unsigned", saml2.NameIDPersistent, false)
	c := newPySAML2Case(t, ad, sp, "  persistent_id_key: {file: saml-persistent.key}\n", sp.yaml("pysaml2 unsigned"))
	req := sp.login(false)
	resp, relay := c.signIn(t, req)
	if relay != req.RelayState {
		t.Errorf("RelayState %q came back, pysaml2 sent %q", relay, req.RelayState)
	}
	got := c.accepted(t, req, resp, relay)
	if got.Format != saml2.NameIDPersistent || got.NameID == "" || strings.Contains(strings.ToLower(got.NameID), "alice") {
		t.Errorf("NameID %q (%s), want an opaque persistent identifier", got.NameID, got.Format)
	}
	if got.Encrypted {
		t.Error("pysaml2 saw an encrypted assertion; encryption is off for this SP")
	}

	t.Run("tampered attribute", func(t *testing.T) {
		raw, err := base64.StdEncoding.DecodeString(resp)
		if err != nil {
			t.Fatal(err)
		}
		const from, to = ">alice@example.test<", ">alicf@example.test<"
		if !bytes.Contains(raw, []byte(from)) {
			t.Fatalf("the Response has no %s to change", from)
		}
		forged := base64.StdEncoding.EncodeToString(bytes.Replace(raw, []byte(from), []byte(to), 1))
		got, err := sp.judge(req, forged, relay)
		if err == nil {
			t.Fatalf("pysaml2 accepted a Response whose upn was changed after signing: %+v", got)
		}
		refusedFor(t, err, "SignatureError")
	})

	t.Run("not the outstanding request", func(t *testing.T) {
		// What a Response replayed into another sign-in looks like to the
		// SP: its InResponseTo is not the request it waits for.
		other := sp.login(false)
		got, err := sp.judge(other, resp, relay)
		if err == nil {
			t.Fatalf("pysaml2 accepted an answer to %s while waiting for %s: %+v", req.ID, other.ID, got)
		}
		refusedFor(t, err, "UnsolicitedResponse")
	})
}

// TestPySAML2SignedRequest: with the SP's metadata saying
// AuthnRequestsSigned="true" and authn_requests_signed set, pysaml2's
// signed HTTP-Redirect request (RSA-SHA256 over the query) signs alice
// in; its unsigned request, and its signed one with the RelayState
// changed, are refused with an error page: no Response goes anywhere.
func TestPySAML2SignedRequest(t *testing.T) {
	ad := samba(t)
	sp := newPySAML2SP(t, "signed", "", true)
	c := newPySAML2Case(t, ad, sp, "", sp.yaml("pysaml2 signed", "authn_requests_signed: true"))

	req := sp.login(true)
	if req.SigAlg != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Errorf("pysaml2 signed with %q", req.SigAlg)
	}
	resp, relay := c.signIn(t, req)
	got := c.accepted(t, req, resp, relay)
	if got.Format != saml2.NameIDUnspecified || got.NameID != "alice@example.test" {
		t.Errorf("NameID %q (%s), want the UPN as unspecified", got.NameID, got.Format)
	}

	t.Run("unsigned refused", func(t *testing.T) {
		req := sp.login(false)
		b := newPySAML2Browser(t, c.fx)
		st, path := b.open(req.URL)
		if st != 400 || path != "/saml2/sso" {
			t.Errorf("the unsigned request got %d at %s, want 400 at /saml2/sso", st, path)
		}
		if action, form, err := b.posted(); err == nil {
			t.Errorf("the unsigned request was answered with a form to %s: %v", action, form)
		}
		// Refused for the missing signature, not for something else.
		wantLogged(t, c.srv, "requires signed requests; this one is not signed")
	})

	t.Run("signed query changed", func(t *testing.T) {
		// pysaml2's signature covers the RelayState octets of the query
		// too: a changed one must fail claimgate's verification.
		req := sp.login(true)
		forged := strings.Replace(req.URL, "RelayState="+req.RelayState, "RelayState=x"+req.RelayState, 1)
		if forged == req.URL {
			t.Fatalf("no RelayState=%s in %s", req.RelayState, req.URL)
		}
		b := newPySAML2Browser(t, c.fx)
		if st, path := b.open(forged); st != 400 || path != "/saml2/sso" {
			t.Errorf("the changed request got %d at %s, want 400 at /saml2/sso", st, path)
		}
		if action, form, err := b.posted(); err == nil {
			t.Errorf("the changed request was answered with a form to %s: %v", action, form)
		}
		wantLogged(t, c.srv, "query signature does not verify with any signing certificate of the SP")
	})
}

// wantLogged checks the service log names why a request was refused: a
// refusal for another reason proves nothing about the one under test.
func wantLogged(t *testing.T, srv *server, text string) {
	t.Helper()
	if log := srv.stderr.String(); !strings.Contains(log, text) {
		t.Errorf("the service log does not say %q:\n%s", text, log)
	}
}

// TestPySAML2EncryptedAssertion: with encryption on, the Response carries
// only an EncryptedAssertion (to the encryption certificate of pysaml2's
// metadata, the content key by RSA-OAEP) and pysaml2 decrypts it with
// xmlsec1 and accepts it: with claimgate's default content algorithm for
// an SP whose metadata names none (the test logs which one that is), and
// with AES-256-GCM and AES-256-CBC (what AD FS gets) set explicitly.
func TestPySAML2EncryptedAssertion(t *testing.T) {
	ad := samba(t)
	for _, tc := range []struct {
		name, method string
		want         []string // acceptable content algorithms
	}{
		{"default", "", []string{saml2.EncMethodAES256CBC, saml2.EncMethodAES256GCM}},
		{"aes256-gcm", saml2.EncAES256GCM, []string{saml2.EncMethodAES256GCM}},
		{"aes256-cbc", saml2.EncAES256CBC, []string{saml2.EncMethodAES256CBC}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := []string{"encryption: true"}
			if tc.method != "" {
				extra = append(extra, "encryption_method: "+tc.method)
			}
			sp := newPySAML2SP(t, "encrypted", "", false)
			c := newPySAML2Case(t, ad, sp, "", sp.yaml("pysaml2 encrypted", extra...))
			req := sp.login(false)
			resp, relay := c.signIn(t, req)
			alg := encryptionOf(t, resp)
			if !slices.Contains(tc.want, alg) {
				t.Errorf("content encryption %s, want one of %v", alg, tc.want)
			}
			got := c.accepted(t, req, resp, relay)
			if !got.Encrypted {
				t.Error("pysaml2 says the assertion it accepted was not encrypted")
			}
			if got.NameID != "alice@example.test" {
				t.Errorf("NameID %q after decryption", got.NameID)
			}
		})
	}
}

// encryptionOf checks the Response carries nothing of alice's in clear
// and returns its content encryption algorithm, read from the XML.
func encryptionOf(t *testing.T, resp string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	if doc.FindElement("/Response/Assertion") != nil || bytes.Contains(raw, []byte("alice")) {
		t.Fatal("the Response carries the assertion in clear")
	}
	content := doc.FindElement("/Response/EncryptedAssertion/EncryptedData/EncryptionMethod")
	transport := doc.FindElement("/Response/EncryptedAssertion//EncryptedKey/EncryptionMethod")
	if content == nil || transport == nil {
		t.Fatalf("no EncryptedAssertion with content and key EncryptionMethods:\n%s", raw)
	}
	alg := content.SelectAttrValue("Algorithm", "")
	t.Logf("content encryption %s, key transport %s", alg, transport.SelectAttrValue("Algorithm", ""))
	return alg
}
