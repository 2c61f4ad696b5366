package sts

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// Issuer defaults.
const (
	DefaultLifetime = 60 * time.Minute
	DefaultSkew     = 5 * time.Minute
)

// ErrInvalidXMLText is wrapped by issuance errors for a value that XML 1.0
// cannot carry, or should never carry (claims.CheckXMLText: invalid UTF-8,
// controls other than TAB, LF, CR, Unicode non-characters). etree would
// silently replace such characters at write time, after the digest was
// computed, so they are refused before signing. The users file and
// `claimgate check --user` apply the same rule, so a value refused here was
// reported there first. The metadata builder wraps it too.
var ErrInvalidXMLText = xmltext.ErrInvalidXMLText

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

// Issuer signs WS-Fed tokens. It is safe for concurrent use: the signer is
// built once by NewIssuer and only read afterwards.
type Issuer struct {
	cfg    IssuerConfig
	signer *xmlsig.Signer // SAML 1.1 layout, one context per algorithm
}

// NewIssuer checks cfg and builds the signer once.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	var errs []error
	if cfg.EntityID == "" {
		errs = append(errs, errors.New("entity ID is empty"))
	} else if err := xmltext.CheckText("entity ID", cfg.EntityID); err != nil {
		errs = append(errs, err)
	}
	if err := xmlsig.CheckKeyPair(cfg.Signer, cfg.Certificate); err != nil {
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
	s, err := saml11.NewSigner(cfg.Signer, cfg.Certificate)
	if err != nil {
		return nil, err
	}
	return &Issuer{cfg: cfg, signer: s}, nil
}

// IssueWSFed makes the signed token for a parsed sign-in request:
// saml11.BuildAssertion, SignAssertion, then wsfed.BuildRSTRString around the
// signed bytes. It does no I/O; the clock, ids and key were injected.
func (i *Issuer) IssueWSFed(req *wsfed.Request, subj saml11.Subject, cl []claims.Claim, authn saml11.Authn) (*wsfed.Response, error) {
	if req == nil || req.Action != wsfed.ActionSignIn || req.Party == nil || req.Realm == "" {
		return nil, errors.New("sts: IssueWSFed needs a sign-in request with a relying party")
	}
	now := i.cfg.Now()
	lifetime := i.cfg.Lifetime
	if req.Party.TokenLifetime > 0 {
		lifetime = req.Party.TokenLifetime
	}
	in := saml11.AssertionInput{
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
	el, err := saml11.BuildAssertion(in)
	if err != nil {
		return nil, err
	}
	signed, err := i.SignAssertion(el, req.Party.SignatureAlgorithm)
	if err != nil {
		return nil, err
	}
	return &wsfed.Response{
		ReplyURL:     req.Reply,
		Wa:           wsfed.WaSignIn,
		WResult:      wsfed.BuildRSTRString(signed, in.Audience, in.NotBefore, in.NotOnOrAfter),
		WCtx:         req.Context,
		AssertionID:  in.ID,
		NotOnOrAfter: in.NotOnOrAfter,
	}, nil
}

// SignAssertion signs an assertion from saml11.BuildAssertion (enveloped,
// exclusive C14N, Reference #AssertionID, ds:Signature as last child) and
// serializes it once. The returned bytes must be spliced into the wrapper
// untouched. alg is a RelyingParty.SignatureAlgorithm ("" = rsa-sha256).
func (i *Issuer) SignAssertion(el *etree.Element, alg string) ([]byte, error) {
	return i.signer.Sign(el, alg)
}
