package sts

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/claimgate/claimgate/claims"
)

// Issuer defaults.
const (
	DefaultLifetime = 60 * time.Minute
	DefaultSkew     = 5 * time.Minute
)

// IssuerConfig configures an Issuer. Nil functions mean the real default.
type IssuerConfig struct {
	// EntityID is our identifier: the assertion's Issuer and the metadata
	// entityID (keep them identical, AD FS may compare them).
	EntityID string
	// Signer is the token-signing key (RSA, as AD FS requires). A
	// crypto.Signer lets an HSM or KMS hold it.
	Signer crypto.Signer
	// Certificate is the signer's leaf certificate, the only one put in
	// KeyInfo.
	Certificate *x509.Certificate
	// Lifetime is NotOnOrAfter - IssueInstant; 0 means 60 minutes.
	Lifetime time.Duration
	// Skew back-dates NotBefore to absorb clock drift; 0 means 5 minutes.
	Skew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes AssertionIDs; nil means "_" + a random UUID v4.
	NewID func() string
}

// Issuer signs WS-Fed tokens. It is safe for concurrent use: the signing
// contexts are built once by NewIssuer and only read afterwards.
type Issuer struct {
	cfg    IssuerConfig
	sha256 *dsig.SigningContext
	sha1   *dsig.SigningContext
}

// NewIssuer checks cfg and builds the signing contexts once.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	var errs []error
	if cfg.EntityID == "" {
		errs = append(errs, errors.New("entity ID is empty"))
	} else if err := checkXMLText("entity ID", cfg.EntityID); err != nil {
		errs = append(errs, err)
	}
	if err := checkKeyPair(cfg.Signer, cfg.Certificate); err != nil {
		errs = append(errs, err)
	}
	if cfg.Lifetime < 0 || cfg.Skew < 0 {
		errs = append(errs, errors.New("lifetime and skew must not be negative"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sts: issuer config: %w", errors.Join(errs...))
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return "_" + uuid.NewString() }
	}
	s256, err := newSigningContext(cfg.Signer, cfg.Certificate, crypto.SHA256, assertionIDAttr)
	if err != nil {
		return nil, err
	}
	s1, err := newSigningContext(cfg.Signer, cfg.Certificate, crypto.SHA1, assertionIDAttr)
	if err != nil {
		return nil, err
	}
	return &Issuer{cfg: cfg, sha256: s256, sha1: s1}, nil
}

// checkKeyPair makes sure the key is RSA and belongs to the certificate:
// a mismatch would produce tokens AD FS rejects with event 371.
func checkKeyPair(signer crypto.Signer, cert *x509.Certificate) error {
	if signer == nil || cert == nil {
		return errors.New("signer and certificate are both required")
	}
	pub, ok := signer.Public().(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("signing key is %T, AD FS needs RSA", signer.Public())
	}
	if !pub.Equal(cert.PublicKey) {
		return errors.New("signing key does not match the certificate's public key")
	}
	return nil
}

// newSigningContext applies the settings AD FS needs (protocol notes §3):
// goxmldsig's defaults (ID attribute "ID", C14N 1.1) are wrong for it.
func newSigningContext(signer crypto.Signer, cert *x509.Certificate, h crypto.Hash, idAttr string) (*dsig.SigningContext, error) {
	ctx, err := dsig.NewSigningContext(signer, [][]byte{cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("sts: signing context: %w", err)
	}
	ctx.Hash = h
	ctx.IdAttribute = idAttr
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.Prefix = "ds"
	if ctx.GetSignatureMethodIdentifier() == "" {
		return nil, fmt.Errorf("sts: no signature method for %v", h)
	}
	return ctx, nil
}

// WSFedResponse is what goes back to the relying party in an auto-POST
// form: wa, wresult and wctx, POSTed to ReplyURL.
type WSFedResponse struct {
	ReplyURL     string
	Wa           string
	WResult      string
	WCtx         string
	AssertionID  string
	NotOnOrAfter time.Time
}

// IssueWSFed makes the signed token for a parsed sign-in request.
func (i *Issuer) IssueWSFed(req *Request, subj Subject, cl []claims.Claim, authn Authn) (*WSFedResponse, error) {
	if req == nil || req.Action != ActionSignIn || req.Party == nil || req.Realm == "" {
		return nil, errors.New("sts: IssueWSFed needs a sign-in request with a relying party")
	}
	now := i.cfg.Now()
	lifetime := i.cfg.Lifetime
	if req.Party.TokenLifetime > 0 {
		lifetime = req.Party.TokenLifetime
	}
	in := AssertionInput{
		ID:           i.cfg.NewID(),
		Issuer:       i.cfg.EntityID,
		Audience:     req.Realm,
		IssueInstant: now,
		NotBefore:    now.Add(-i.cfg.Skew),
		NotOnOrAfter: now.Add(lifetime),
		Subject:      subj,
		Claims:       cl,
		Authn:        authn,
	}
	el, err := BuildAssertion(in)
	if err != nil {
		return nil, err
	}
	signed, err := i.SignAssertion(el, req.Party.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	return &WSFedResponse{
		ReplyURL:     req.Reply,
		Wa:           WaSignIn,
		WResult:      string(BuildRSTR(signed, in.Audience, in.NotBefore, in.NotOnOrAfter)),
		WCtx:         req.Context,
		AssertionID:  in.ID,
		NotOnOrAfter: in.NotOnOrAfter,
	}, nil
}

// SignAssertion signs an assertion from BuildAssertion (enveloped,
// exclusive C14N, Reference #AssertionID, ds:Signature as last child) and
// serializes it once. The returned bytes must be spliced into the wrapper
// untouched. alg is a RelyingParty.SignatureAlgorithm ("" = rsa-sha256).
func (i *Issuer) SignAssertion(el *etree.Element, alg string) ([]byte, error) {
	var ctx *dsig.SigningContext
	switch alg {
	case "", AlgRSASHA256:
		ctx = i.sha256
	case AlgRSASHA1:
		ctx = i.sha1
	default:
		return nil, fmt.Errorf("sts: unknown signature algorithm %q", alg)
	}
	signed, err := signEnveloped(ctx, el, false)
	if err != nil {
		return nil, fmt.Errorf("sts: signing assertion: %w", err)
	}
	out, err := serialize(signed)
	if err != nil {
		return nil, fmt.Errorf("sts: writing signed assertion: %w", err)
	}
	return out, nil
}

// signEnveloped returns a copy of el with an enveloped ds:Signature, last
// or (sigFirst) first. goxmldsig's SignEnveloped canonicalizes the element
// it digests in place and returns that mutated tree, which moves namespace
// declarations off the elements that declared them; that breaks QNames in
// attribute values (the metadata's xsi:type="fed:…"). So the digest is
// taken over a throwaway copy and the signature added to an untouched copy.
func signEnveloped(ctx *dsig.SigningContext, el *etree.Element, sigFirst bool) (*etree.Element, error) {
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		return nil, err
	}
	out := el.Copy()
	if sigFirst {
		out.InsertChildAt(0, sig)
	} else {
		out.AddChild(sig)
	}
	return out, nil
}
