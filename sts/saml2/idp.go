package saml2

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// IdP defaults.
const (
	// DefaultLifetime is the assertion's Conditions NotOnOrAfter - now.
	DefaultLifetime = 60 * time.Minute
	// DefaultConfirmationWindow is SubjectConfirmationData NotOnOrAfter -
	// now: how long the bearer assertion may take to reach the ACS. AD FS
	// uses 5 minutes itself (protocol notes §4).
	DefaultConfirmationWindow = 5 * time.Minute
	// DefaultNotBeforeSkew back-dates Conditions NotBefore for clock drift.
	DefaultNotBeforeSkew = 5 * time.Minute
	// minPersistentKey is the shortest HMAC key accepted for persistent
	// NameIDs and SessionIndexes.
	minPersistentKey = 32
)

// IdPConfig configures an IdP. Nil functions mean the real default.
type IdPConfig struct {
	// EntityID is our identifier: every Issuer, and our metadata's entityID.
	EntityID string
	// Signer is the token-signing key (RSA); a crypto.Signer lets an HSM
	// or KMS hold it. Certificate is its leaf, the one put in KeyInfo.
	Signer      crypto.Signer
	Certificate *x509.Certificate
	// Lifetime, ConfirmationWindow and NotBeforeSkew default to the
	// constants above when 0.
	Lifetime           time.Duration
	ConfirmationWindow time.Duration
	NotBeforeSkew      time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes message, assertion and session IDs; nil means "_" + a
	// random UUID v4.
	NewID func() string
	// Rand feeds transient NameIDs, content keys, IVs and the RSA-OAEP
	// seed; nil means crypto/rand.
	Rand io.Reader
	// PersistentKey is the HMAC key of persistent NameIDs, at least 32
	// bytes, kept secret and stable: changing it changes every user's
	// persistent identifier at every SP. Nil refuses the persistent format.
	PersistentKey []byte
	// SessionIndexKey is the HMAC key SessionIndexes are derived with
	// (SessionIndex), at least 32 bytes, kept secret and stable while
	// sessions live. Nil refuses an Authn.SessionIndex: without it every
	// SP would see the same value and could link the user by it.
	SessionIndexKey []byte
}

// IdP builds claimgate's SAML 2.0 answers: Responses with a signed
// assertion, error Responses, LogoutResponses and LogoutRequests. It is
// safe for concurrent use: NewIdP builds the signers once, the builders
// only read them.
type IdP struct {
	cfg                                             IdPConfig
	assertion, response, logoutReply, logoutRequest *xmlsig.Signer
}

// The layouts of the documents the IdP signs: Reference #ID, ds:Signature
// right after saml:Issuer (core §5.4.1 and the schema's sequence order).
func layout(name string) xmlsig.Layout {
	return xmlsig.Layout{Name: name, IDAttr: "ID", Place: xmlsig.PlaceAfter, AfterNS: NSAssertion, AfterTag: "Issuer"}
}

// NewIdP checks cfg and builds the signers once.
func NewIdP(cfg IdPConfig) (*IdP, error) {
	var errs []error
	if cfg.EntityID == "" {
		errs = append(errs, errors.New("entity ID is empty"))
	} else if err := xmltext.CheckText("entity ID", cfg.EntityID); err != nil {
		errs = append(errs, err)
	}
	if err := xmlsig.CheckKeyPair(cfg.Signer, cfg.Certificate); err != nil {
		errs = append(errs, err)
	}
	if cfg.Lifetime < 0 || cfg.ConfirmationWindow < 0 || cfg.NotBeforeSkew < 0 {
		errs = append(errs, errors.New("lifetimes and skew must not be negative"))
	}
	if cfg.PersistentKey != nil && len(cfg.PersistentKey) < minPersistentKey {
		errs = append(errs, fmt.Errorf("persistent NameID key is %d bytes, want at least %d", len(cfg.PersistentKey), minPersistentKey))
	}
	if cfg.SessionIndexKey != nil && len(cfg.SessionIndexKey) < minPersistentKey {
		errs = append(errs, fmt.Errorf("session index key is %d bytes, want at least %d", len(cfg.SessionIndexKey), minPersistentKey))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("saml2: IdP config: %w", errors.Join(errs...))
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.ConfirmationWindow == 0 {
		cfg.ConfirmationWindow = DefaultConfirmationWindow
	}
	if cfg.NotBeforeSkew == 0 {
		cfg.NotBeforeSkew = DefaultNotBeforeSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return "_" + uuid.NewString() }
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	p := &IdP{cfg: cfg}
	for _, s := range []struct {
		to   **xmlsig.Signer
		name string
	}{{&p.assertion, "assertion"}, {&p.response, "response"}, {&p.logoutReply, "logout response"},
		{&p.logoutRequest, "logout request"}} {
		signer, err := xmlsig.NewSigner(cfg.Signer, cfg.Certificate, layout(s.name))
		if err != nil {
			return nil, err
		}
		*s.to = signer
	}
	return p, nil
}

// newID returns an ID checked to be an NCName (AD FS dislikes others).
func (p *IdP) newID() (string, error) {
	id := p.cfg.NewID()
	if !xmltext.IsNCName(id) {
		return "", fmt.Errorf("saml2: generated ID %q is not an NCName", id)
	}
	return id, nil
}
