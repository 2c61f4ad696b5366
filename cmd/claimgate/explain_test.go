package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts"
	"github.com/claimgate/claimgate/sts/saml11"
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
