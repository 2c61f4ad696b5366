package main

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

const explainRealm = "http://adfs.example.test/adfs/services/trust"

// explainSetup makes a key pair and a configuration (writeConfig: one
// relying party, explainRealm, no signature_algorithm, so rsa-sha256), and
// a variant whose relying party is configured for rsa-sha1.
func explainSetup(t *testing.T) (cfg, cfgSHA1 string, kp *certs.KeyPair) {
	t.Helper()
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	if code, _, errOut := runCmd(t, "", nil, "certs", "new", "--cert", crt, "--key", key, "--cn", "explain test"); code != 0 {
		t.Fatalf("certs new: %s", errOut)
	}
	kp, err := certs.LoadPEM(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg = writeConfig(t, dir, crt, key)
	yaml, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const reply = "    reply_url: https://adfs.example.test/adfs/ls/\n"
	if !strings.Contains(string(yaml), reply) || strings.Contains(string(yaml), "signature_algorithm") {
		t.Fatal("writeConfig changed; adapt this test")
	}
	cfgSHA1 = filepath.Join(dir, "sha1.yaml")
	if err := os.WriteFile(cfgSHA1, []byte(strings.Replace(string(yaml), reply, reply+"    signature_algorithm: rsa-sha1\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, cfgSHA1, kp
}

// issueFile issues a token with claimgate's issuer for query (alg: the
// party's signature algorithm; method "" means what the sign-in picks
// after two factors) and writes its wresult to a file.
func issueFile(t *testing.T, kp *certs.KeyPair, query, alg, method string) string {
	t.Helper()
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	req, err := wsfed.ParseRequest(q, wsfed.PartyList{{Identifier: explainRealm, ReplyURL: "https://adfs.example.test/adfs/ls/", SignatureAlgorithm: alg}})
	if err != nil {
		t.Fatal(err)
	}
	if method == "" {
		method, _ = req.AuthenticationMethod(true)
	}
	iss, err := sts.NewIssuer(sts.IssuerConfig{EntityID: "https://sts.example.test/", Signer: kp.Key, Certificate: kp.Certificate})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := iss.IssueWSFed(req, saml11.Subject{NameID: "alice@example.test"}, []claims.Claim{{Type: claims.UPN, Values: []string{"alice@example.test"}}}, saml11.Authn{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "wresult.xml")
	if err := os.WriteFile(f, []byte(resp.WResult), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestExplainSignatureAlgorithmFromConfig: a valid RSA-SHA1 token explained
// against the configuration (rsa-sha256) fails signature-algorithm with
// AD FS's event 372; against the relying party configured for rsa-sha1, or
// with --signature-algorithm rsa-sha1, it is accepted. Before, explain
// never looked at the algorithm and accepted it in every case.
func TestExplainSignatureAlgorithmFromConfig(t *testing.T) {
	cfg, cfgSHA1, kp := explainSetup(t)
	tok := issueFile(t, kp, "wa=wsignin1.0&wtrealm="+url.QueryEscape(explainRealm), xmlsig.AlgRSASHA1, "")
	code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, tok)
	if code != 1 || !strings.Contains(out, "✘ signature-algorithm") || !strings.Contains(out, "372") || !strings.Contains(out, "Verdict: AD FS would reject this token: signature-algorithm.") {
		t.Fatalf("rsa-sha256 configuration: exit %d\n%s%s", code, out, errOut)
	}
	for name, args := range map[string][]string{
		"party configured for rsa-sha1": {"explain", "--config", cfgSHA1, tok},
		"--signature-algorithm":         {"explain", "--config", cfg, "--signature-algorithm", "rsa-sha1", tok},
	} {
		if code, out, errOut := runCmd(t, "", nil, args...); code != 0 || !strings.Contains(out, "✔ signature-algorithm") {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "", nil, "explain", "--config", cfg, "--signature-algorithm", "rsa-md5", tok); code == 0 || !strings.Contains(errOut, "rsa-md5") {
		t.Errorf("unknown algorithm: exit %d %s", code, errOut)
	}
}

// TestExplainRequest: given the sign-in request, a token that does not
// carry its wauth fails authentication-method (MSIS7102) and one that
// echoes it passes; wtrealm becomes the expected audience.
func TestExplainRequest(t *testing.T) {
	cfg, _, kp := explainSetup(t)
	query := "wa=wsignin1.0&wtrealm=" + url.QueryEscape(explainRealm) + "&wctx=x&wauth=" + url.QueryEscape(claims.SAML2PasswordProtectedTransport)
	request := "https://sts.example.test/wsfed?" + query
	old := issueFile(t, kp, query, "", claims.MultipleAuthn) // what claimgate sent before for this wauth
	echoed := issueFile(t, kp, query, "", "")
	code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, "--request", request, old)
	if code != 1 || !strings.Contains(out, "✘ authentication-method") || !strings.Contains(out, "MSIS7102") {
		t.Fatalf("mismatch: exit %d\n%s%s", code, out, errOut)
	}
	for name, args := range map[string][]string{
		"--request URL":   {"explain", "--config", cfg, "--request", request, echoed},
		"--request query": {"explain", "--config", cfg, "--request", query, echoed},
		"--wauth":         {"explain", "--config", cfg, "--wauth", claims.SAML2PasswordProtectedTransport, echoed},
	} {
		if code, out, errOut := runCmd(t, "", nil, args...); code != 0 || !strings.Contains(out, "✔ authentication-method") {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	// The request's wtrealm is the audience the token must be for.
	other := strings.Replace(request, url.QueryEscape(explainRealm), url.QueryEscape("http://other.example.test/adfs/services/trust"), 1)
	if code, out, _ := runCmd(t, "", nil, "explain", "--config", cfg, "--request", other, echoed); code != 1 || !strings.Contains(out, "ID1038") {
		t.Errorf("wtrealm as audience: exit %d\n%s", code, out)
	}
	// Unusable requests are refused before any token is judged.
	for name, c := range map[string]struct {
		args  []string
		words string
	}{
		"both":            {[]string{"--request", request, "--wauth", "x"}, "not both"},
		"not a sign-in":   {[]string{"--request", "wa=wsignout1.0"}, "not a WS-Federation sign-in"},
		"not url-encoded": {[]string{"--request", "wa=wsignin1.0&x=%zz"}, "--request"},
	} {
		code, out, errOut := runCmd(t, "", nil, append(append([]string{"explain"}, c.args...), echoed)...)
		if code != 1 || out != "" || !strings.Contains(errOut, c.words) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}
}

// samlExplainSetup writes a configuration with saml2 on and AD FS
// (explainRealm) as its one service provider, and returns an IdP signing
// with the configuration's key, and AD FS's decryption key pair.
func samlExplainSetup(t *testing.T) (cfgPath string, idp *saml2.IdP, sp saml2.SP, spKey *certs.KeyPair) {
	t.Helper()
	cfg, _, kp := explainSetup(t)
	yaml, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(filepath.Dir(cfg), "saml.yaml")
	extra := "saml2:\n  enabled: true\n  service_providers:\n    - name: adfs\n      entity_id: " + explainRealm + "\n      acs_url: " + explainACS + "\n"
	if err := os.WriteFile(cfgPath, append(yaml, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	if idp, err = saml2.NewIdP(saml2.IdPConfig{EntityID: "https://sts.example.test/", Signer: kp.Key, Certificate: kp.Certificate}); err != nil {
		t.Fatal(err)
	}
	if spKey, err = certs.Generate(certs.GenerateOptions{}); err != nil {
		t.Fatal(err)
	}
	sp = saml2.SP{EntityID: explainRealm, ACS: []saml2.Endpoint{{Binding: saml2.BindingPOST, Location: explainACS, IsDefault: true}}, EncryptionCert: spKey.Certificate}
	return cfgPath, idp, sp, spKey
}

const explainACS = "https://adfs.example.test/adfs/ls/"

// authnRequestXML is AD FS's AuthnRequest (unsigned, no ACS named).
func authnRequestXML(reqID string) string {
	return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="` + reqID + `" Version="2.0" IssueInstant="` +
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + `"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` + explainRealm + `</Issuer></samlp:AuthnRequest>`
}

// redirectURL is the HTTP-Redirect URL AD FS sends the browser to.
func redirectURL(t *testing.T, reqID string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(authnRequestXML(reqID))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return "https://sts.example.test/saml2/sso?SAMLRequest=" + url.QueryEscape(base64.StdEncoding.EncodeToString(b.Bytes())) + "&RelayState=r"
}

// samlResponseFile answers AD FS's AuthnRequest (ID reqID) for sp and
// writes the SAMLResponse form body to a file.
func samlResponseFile(t *testing.T, idp *saml2.IdP, sp saml2.SP, reqID string, refuse bool) string {
	t.Helper()
	req, err := saml2.ParsePOST(url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(authnRequestXML(reqID)))}}, saml2.SPList{sp},
		saml2.ParseOptions{Endpoint: "https://sts.example.test/saml2/sso"})
	if err != nil {
		t.Fatal(err)
	}
	var resp *saml2.Response
	if refuse {
		resp, err = idp.ErrorResponse(saml2.NewStatusError(req, saml2.StatusResponder, saml2.StatusNoAuthnContext, "test"))
	} else {
		resp, err = idp.Respond(saml2.ResponseInput{Request: req, Subject: saml2.Subject{NameID: "alice@example.test"},
			Claims: []claims.Claim{{Type: claims.UPN, Values: []string{"alice@example.test"}}}, Authn: saml2.Authn{SecondFactor: true}})
	}
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "post.txt")
	if err := os.WriteFile(f, []byte("SAMLResponse="+url.QueryEscape(resp.Encoded())+"&RelayState=r"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestExplainSAMLResponse: explain judges a captured SAML 2.0 Response
// against the configuration (its one saml2 service provider gives the
// audience and the ACS), checks InResponseTo against --request-id,
// decrypts with --decrypt-key, and explains an error Response with exit 1.
func TestExplainSAMLResponse(t *testing.T) {
	cfg, idp, sp, spKey := samlExplainSetup(t)
	const reqID = "id-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	plain := samlResponseFile(t, idp, sp, reqID, false)
	code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, "--request-id", reqID, plain)
	if code != 0 || !strings.Contains(out, "Input: SAML POST (SAMLResponse): SAML 2.0 Response") || strings.Contains(out, "✘") ||
		!strings.Contains(out, `✔ destination`) || !strings.Contains(out, `✔ in-response-to`) || !strings.Contains(out, `✔ audience`) {
		t.Fatalf("claimgate's Response: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCmd(t, "", nil, "explain", "--config", cfg, "--request-id", "id-other", plain); code != 1 || !strings.Contains(out, "✘ in-response-to") {
		t.Errorf("--request-id mismatch: exit %d\n%s", code, out)
	}
	if code, out, _ := runCmd(t, "", nil, "explain", "--config", cfg, "--acs", "https://adfs.example.test/adfs/ls/other", plain); code != 1 || !strings.Contains(out, "✘ destination") {
		t.Errorf("--acs mismatch: exit %d\n%s", code, out)
	}
	// --request with the Redirect URL AD FS sent: its ID is the InResponseTo.
	if code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, "--request", redirectURL(t, reqID), plain); code != 0 || !strings.Contains(out, "✔ in-response-to") {
		t.Errorf("--request (the AuthnRequest answered): exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCmd(t, "", nil, "explain", "--config", cfg, "--request", redirectURL(t, "id-another-request"), plain); code != 1 || !strings.Contains(out, "✘ in-response-to") {
		t.Errorf("--request (another AuthnRequest): exit %d\n%s", code, out)
	}

	sp.EncryptAssertions, sp.EncryptionMethod = true, saml2.EncAES256CBC
	enc := samlResponseFile(t, idp, sp, reqID, false)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "adfs-decrypt.key")
	if err := certs.WritePEM(spKey, filepath.Join(dir, "adfs-decrypt.crt"), keyFile, false); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "", nil, "explain", "--config", cfg, "--decrypt-key", keyFile, enc)
	if code != 0 || !strings.Contains(out, "✔ encryption") || !strings.Contains(out, "decrypted with the key given") || !strings.Contains(out, "✔ signature ") {
		t.Errorf("encrypted, with the key: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCmd(t, "", nil, "explain", "--config", cfg, enc); code != 0 || !strings.Contains(out, "– encryption") || !strings.Contains(out, "not evaluated (skipped)") {
		t.Errorf("encrypted, no key: exit %d\n%s", code, out)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "", nil, "explain", "--config", cfg, "--decrypt-key", keyFile, enc); code != 1 || out != "" || !strings.Contains(errOut, "readable by others") {
		t.Errorf("world-readable key: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	refused := samlResponseFile(t, idp, sp, reqID, true)
	code, out, _ = runCmd(t, "", nil, "explain", "--config", cfg, refused)
	if code != 1 || strings.Contains(out, "✘") || !strings.Contains(out, "Verdict: a well-formed SAML error Response") || !strings.Contains(out, "NoAuthnContext") {
		t.Errorf("error Response: exit %d\n%s", code, out)
	}
}
