package main

import (
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
	fs := newFlags(e, "explain", "explain [--config FILE] [--cert FILE]... [--adfs-metadata FILE] [--audience ID] [--request URL | --wauth URI] [--signature-algorithm ALG] [--at TIME] [FILE|-]", `
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
in the configuration, else rsa-sha256 (AD FS's default).`)
	cfgPath := fs.String("config", "", "claimgate configuration: its published certificates, entity ID and signature algorithms")
	var certFiles multiFlag
	fs.Var(&certFiles, "cert", "a trusted token-signing certificate (PEM); repeatable")
	audience := fs.String("audience", "", "the AD FS identifier the token must be for (default: the request's wtrealm, the --adfs-metadata identifier, or the only relying party configured)")
	adfsMD := fs.String("adfs-metadata", "", "AD FS's own federation metadata file: the token's audience must be its identifier")
	request := fs.String("request", "", "the sign-in request AD FS sent (https://…/wsfed?wa=wsignin1.0&wtrealm=…&wauth=…, or its query)")
	wauth := fs.String("wauth", "", "the authentication method the request asked for, when the request itself is not at hand")
	sigAlg := fs.String("signature-algorithm", "", "the claims provider trust's SignatureAlgorithm, rsa-sha256 or rsa-sha1 (default: from --config)")
	at := fs.String("at", "", "judge lifetimes at this time (RFC 3339) instead of now, for old captures")
	if code, done := fs.parse(args); done {
		return code
	}
	in, err := readInput(e, fs.Arg(0))
	if err != nil {
		return fail(e, "explain: %v", err)
	}
	o := explain.Options{ExpectedAudience: *audience, SignatureAlgorithm: *sigAlg}
	switch {
	case *request != "" && *wauth != "":
		return fail(e, "explain: give --request or --wauth, not both")
	case *request != "":
		if o.Request, err = parseSignInRequest(*request); err != nil {
			return fail(e, "explain: --request: %v", err)
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
// from the browser or a log line, or only its query.
func parseSignInRequest(s string) (url.Values, error) {
	s = strings.TrimSpace(s)
	if _, query, ok := strings.Cut(s, "?"); ok {
		s = query
	}
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, err
	}
	if q.Get("wa") != wsfed.WaSignIn {
		return nil, errors.New("not a WS-Federation sign-in request (no wa=" + wsfed.WaSignIn + ")")
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
