package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/sts/adfsmeta"
	"github.com/claimgate/claimgate/sts/explain"
	"github.com/claimgate/claimgate/sts/wsfed"
)

func runExplain(e *env, args []string) int {
	fs := newFlags(e, "explain", "explain [--config FILE] [--cert FILE]... [--adfs-metadata FILE] [--audience ID] [--request URL | --wauth URI] [--acs URL] [--request-id ID] [--decrypt-key FILE] [--signature-algorithm ALG] [--at TIME] [FILE|-]", `
Reads a captured token and says, rule by rule, whether AD FS would accept
it, and for each fault the AD FS event or error code an administrator sees
and how to fix it. The input (a file, or - / nothing for standard input)
may be a wresult (RequestSecurityTokenResponse), a whole form POST body
(wa=wsignin1.0&wresult=...&wctx=...), the auto-POST page saved from the
browser (HTML: its form's wresult or SAMLResponse is read), a bare SAML 1.1
assertion or a SAML 2.0 Response; input that holds no token exits 2. The
trusted signing certificates come from claimgate's configuration
(--config) or from certificate files (--cert, repeatable). Given the sign-in request (--request), the token must carry the method it
asked for (wauth) and be for its wtrealm. The signature algorithm is judged
against the claims provider trust's: the relying party's signature_algorithm
in the configuration, else rsa-sha256 (AD FS's default).

A SAML 2.0 Response (a -ProtocolProfile SAML trust; raw, base64, the
SAMLResponse form body or the saved page) is checked by the SAML rules:
status (an error Response is explained), issuer, Destination (--acs),
InResponseTo (--request-id, or --request with AD FS's SAMLRequest URL, which
also gives the audience and any ACS it names), which element is signed and how, signature
wrapping, bearer confirmation, audience, lifetime, AuthnStatement, NameID and
attributes. An EncryptedAssertion is decrypted with --decrypt-key, the
service provider's private key (AD FS: its token-decrypting key). The exit
status is 1 for an error Response too: nobody is signed in.`)
	cfgPath := fs.String("config", "", "claimgate configuration: its published certificates, entity ID and signature algorithms")
	var certFiles multiFlag
	fs.Var(&certFiles, "cert", "a trusted token-signing certificate (PEM); repeatable")
	audience := fs.String("audience", "", "the AD FS identifier the token must be for (default: the request's wtrealm, the --adfs-metadata identifier, or the only relying party configured)")
	adfsMD := fs.String("adfs-metadata", "", "AD FS's own federation metadata file: the token's audience must be its identifier")
	request := fs.String("request", "", "the sign-in request AD FS sent (https://…/wsfed?wa=wsignin1.0&wtrealm=…&wauth=…, or https://…/saml2/sso?SAMLRequest=…, or its query)")
	wauth := fs.String("wauth", "", "the authentication method the request asked for, when the request itself is not at hand")
	sigAlg := fs.String("signature-algorithm", "", "the claims provider trust's SignatureAlgorithm, rsa-sha256 or rsa-sha1 (default: from --config)")
	at := fs.String("at", "", "judge lifetimes at this time (RFC 3339) instead of now, for old captures")
	acs := fs.String("acs", "", "SAML 2.0: the assertion consumer service the Response must be for, e.g. https://adfs.example.com/adfs/ls/ (default: the only saml2 service provider's acs_url)")
	requestID := fs.String("request-id", "", "SAML 2.0: the ID of the AuthnRequest the Response answers (InResponseTo)")
	decryptKey := fs.String("decrypt-key", "", "SAML 2.0: the service provider's private key (PEM, PKCS#8 or PKCS#1 RSA), to decrypt an EncryptedAssertion")
	if code, done := fs.parse(args); done {
		return code
	}
	in, err := readInput(e, fs.Arg(0))
	if err != nil {
		return fail(e, "explain: %v", err)
	}
	o := explain.Options{ExpectedAudience: *audience, SignatureAlgorithm: *sigAlg, ExpectedDestination: *acs, ExpectedRequestID: *requestID}
	if *decryptKey != "" {
		if o.DecryptionKey, err = loadDecryptionKey(*decryptKey); err != nil {
			return fail(e, "explain: --decrypt-key: %v", err)
		}
	}
	switch {
	case *request != "" && *wauth != "":
		return fail(e, "explain: give --request or --wauth, not both")
	case *request != "":
		q, err := parseSignInRequest(*request)
		if err != nil {
			return fail(e, "explain: --request: %v", err)
		}
		if !q.Has("SAMLRequest") {
			o.Request = q
			break
		}
		// A SAML 2.0 AuthnRequest names the Response's InResponseTo, its
		// audience (the request's Issuer) and, when it asks for one, the ACS.
		info, err := explain.ReadAuthnRequest(q.Get("SAMLRequest"), 0)
		if err != nil {
			return fail(e, "explain: --request: %v", err)
		}
		if o.ExpectedRequestID == "" {
			o.ExpectedRequestID = info.ID
		}
		if o.ExpectedAudience == "" {
			o.ExpectedAudience = info.Issuer
		}
		if o.ExpectedDestination == "" {
			o.ExpectedDestination = info.ACS
		}
	case *wauth != "":
		o.Request = url.Values{"wauth": {*wauth}}
	}
	if *audience == "" && o.Request.Get("wtrealm") != "" {
		// The request names exactly the audience the token must carry.
		o.ExpectedAudience = o.Request.Get("wtrealm")
	}
	var cfg *config.Config
	if *cfgPath != "" {
		if cfg, err = config.Load(*cfgPath, e.getenv); err != nil {
			return fail(e, "%v", err)
		}
		keys, err := cfg.LoadSigning()
		if err != nil {
			return fail(e, "%v", err)
		}
		o.TrustedCerts = append(o.TrustedCerts, keys.Published...)
		o.ExpectedIssuer = cfg.EntityID
		if o.ExpectedAudience == "" && len(cfg.RelyingParties) == 1 {
			o.ExpectedAudience = cfg.RelyingParties[0].Identifier
		}
		samlDefaults(cfg, &o)
	}
	if *adfsMD != "" {
		doc, err := os.ReadFile(*adfsMD)
		if err != nil {
			return fail(e, "explain: %v", err)
		}
		// Only the identifier is taken from this file, so an unpinned
		// signer is acceptable here (it is reported as a warning).
		md, err := adfsmeta.Parse(doc, adfsmeta.Options{InsecureTrustOnFirstUse: true})
		if err != nil {
			return fail(e, "explain: --adfs-metadata: %v", err)
		}
		if *audience == "" && o.Request.Get("wtrealm") == "" {
			o.ExpectedAudience = md.EntityID
		}
	}
	if cfg != nil && o.SignatureAlgorithm == "" {
		o.SignatureAlgorithm = trustAlgorithm(cfg, o.ExpectedAudience)
	}
	for _, f := range certFiles {
		c, err := certs.LoadCertificate(f)
		if err != nil {
			return fail(e, "explain: %v", err)
		}
		o.TrustedCerts = append(o.TrustedCerts, c)
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fail(e, "explain: --at: %v", err)
		}
		o.Now = func() time.Time { return t }
	}
	rep, err := explain.Explain(in, o)
	if ie := (*explain.InputError)(nil); errors.As(err, &ie) {
		// Not a token at all: a usage error, and no verdict.
		fmt.Fprintf(e.stderr, "claimgate: %v\n", err)
		return 2
	}
	if err != nil {
		return fail(e, "explain: %v", err)
	}
	fmt.Fprint(e.stdout, rep.Text())
	if !rep.Accepted {
		return 1
	}
	return 0
}

// parseSignInRequest takes the request as the admin finds it: a whole URL
// from the browser or a log line, or only its query (for SAML 2.0, also
// the SAMLRequest=… body of an HTTP-POST request).
func parseSignInRequest(s string) (url.Values, error) {
	s = strings.TrimSpace(s)
	if _, query, ok := strings.Cut(s, "?"); ok {
		s = query
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, err
	}
	if q.Get("wa") != wsfed.WaSignIn && !q.Has("SAMLRequest") {
		return nil, errors.New("not a WS-Federation sign-in request (no wa=" + wsfed.WaSignIn + ") nor a SAML 2.0 one (no SAMLRequest)")
	}
	return q, nil
}

// trustAlgorithm is the SignatureAlgorithm that the claims provider trust
// in the AD FS farm named audience has, as claimgate's configuration sets
// it up (adfs script): that relying party's signature_algorithm, already
// defaulted from signing.signature_algorithm. A party configured from
// metadata has no identifier here; when it is the only one, it is the
// farm. Otherwise the signing default is the best the configuration says.
func trustAlgorithm(cfg *config.Config, audience string) string {
	for _, rp := range cfg.RelyingParties {
		if rp.Identifier != "" && rp.Identifier == audience {
			return rp.SignatureAlgorithm
		}
	}
	if len(cfg.RelyingParties) == 1 && cfg.RelyingParties[0].Identifier == "" {
		return cfg.RelyingParties[0].SignatureAlgorithm
	}
	return cfg.Signing.SignatureAlgorithm
}

// samlDefaults takes what the configuration says of the one SAML service
// provider, when there is exactly one: it is the AD FS the Response went
// to. Its entity ID is the audience only when no relying party names
// another one (with several, a WS-Fed token could be for any of them).
func samlDefaults(cfg *config.Config, o *explain.Options) {
	sps := cfg.SAML2.ServiceProviders
	if !cfg.SAML2.Enabled || len(sps) != 1 {
		return
	}
	if o.ExpectedAudience == "" && len(cfg.RelyingParties) == 1 {
		o.ExpectedAudience = sps[0].EntityID
	}
	if o.ExpectedDestination == "" {
		o.ExpectedDestination = sps[0].ACSURL
	}
}

// loadDecryptionKey reads an RSA private key from a PEM file. Like every
// key claimgate reads, it must not be readable by others.
func loadDecryptionKey(path string) (*rsa.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %o); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return nil, fmt.Errorf("%s holds no PEM private key (export it with: openssl pkcs12 -in key.pfx -nocerts -nodes)", path)
		}
		var k any
		switch blk.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an RSA key; XML encryption to SAML service providers uses RSA", path)
		}
		return rk, nil
	}
}

func readInput(e *env, name string) ([]byte, error) {
	const limit = 4 << 20
	var r io.Reader = e.stdin
	if name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, limit))
}
