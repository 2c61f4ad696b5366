package rpsource

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/claimgate/claimgate/sts/adfsmeta"
)

// Defaults applied when the corresponding Refresher field is zero.
const (
	DefaultRefreshInterval = time.Hour
	DefaultTimeout         = 30 * time.Second
	// MinRefreshInterval keeps a misconfigured interval from hammering AD FS.
	MinRefreshInterval = time.Second
)

// ErrNoMetadata is returned by Start when neither the cache nor the first fetch
// produced a usable document.
var ErrNoMetadata = errors.New("rpsource: no usable AD FS metadata yet")

// Refresher keeps one party's metadata, from URL or File (exactly one),
// read into a T by Parse. Source (an AD FS relying party) and SPSource (a
// SAML 2.0 service provider) are its two uses; they share the fetching,
// the refresh loop, the persisted last good copy and the Status.
// Fields must not change after Start.
type Refresher[T any] struct {
	// URL is the metadata address, e.g.
	// https://adfs.example.com/FederationMetadata/2007-06/FederationMetadata.xml.
	URL string
	// File is a metadata file on disk, re-read on every refresh.
	File string
	// Pins are the SHA-1 or SHA-256 thumbprints of acceptable metadata signers.
	Pins []string
	// TrustedCerts are acceptable metadata signers, as certificates.
	TrustedCerts []*x509.Certificate
	// InsecureTrustOnFirstUse accepts the first signer seen, then pins every
	// signing certificate that document publishes (so AD FS's own rollover, which
	// publishes the next certificate first, keeps working) for later refreshes.
	InsecureTrustOnFirstUse bool
	// InsecureAllowUnsigned accepts a document without a signature (passed
	// to Parse): only when the administrator said so explicitly.
	InsecureAllowUnsigned bool
	// InsecureAllowHTTP permits a plain http:// URL (never use with a real farm).
	InsecureAllowHTTP bool
	// RefreshInterval is how often URL and File sources are re-read; 0 = 1h.
	RefreshInterval time.Duration
	// Timeout bounds one fetch; 0 = 30s.
	Timeout time.Duration
	// MaxBytes caps the document size; 0 = adfsmeta.DefaultMaxBytes.
	MaxBytes int64
	// CachePath persists the last good copy (in the data directory); "" disables it.
	CachePath string
	// Client performs the fetch; nil = a client with Timeout.
	Client *http.Client
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Logger receives refresh failures and changes; nil = slog.Default().
	Logger *slog.Logger
	// Parse verifies and reads a document. Nil means ParseADFS, which is
	// only possible when T is *adfsmeta.Metadata (Source).
	Parse Parser[T]
	// KeepEntityID refuses a document whose entityID differs from the
	// current copy's. A SAML SP is known by its entity ID (the request
	// Issuer, our Audience): a refresh must not turn one configured SP into
	// another. An AD FS relying party only logs the change.
	KeepEntityID bool
	// What names the document in log messages; "" = "AD FS metadata".
	What string

	mu      sync.RWMutex
	current *Parsed[T]
	status  Status
	learned []string // pins learned on first use
	started bool
	// refreshMu serialises refreshes (the loop and explicit Refresh calls).
	refreshMu sync.Mutex
}

// Status is the health view of a Refresher.
type Status struct {
	Source      string    // the URL or file
	LastAttempt time.Time // zero before the first attempt
	LastSuccess time.Time // zero until a document was accepted (a cache load counts)
	LastError   string    // "" after a successful attempt
	FromCache   bool      // the current copy was loaded from CachePath, not fetched
	EntityID    string
	// CertThumbprints are the SHA-1 thumbprints (AD FS's display form) of the
	// signing certificates in the current copy.
	CertThumbprints []string
	Warnings        []string
}

// Current returns the last good document, or the zero T if none was loaded
// yet. The returned value is shared and must not be modified.
func (s *Refresher[T]) Current() T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.current == nil {
		var zero T
		return zero
	}
	return s.current.Value
}

// Usable reports whether a verified copy is held.
func (s *Refresher[T]) Usable() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current != nil
}

// Status returns a snapshot for health output.
func (s *Refresher[T]) Status() Status {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.status
	st.CertThumbprints = append([]string(nil), st.CertThumbprints...)
	st.Warnings = append([]string(nil), st.Warnings...)
	return st
}

func (s *Refresher[T]) validate() error {
	if (s.URL == "") == (s.File == "") {
		return errors.New("rpsource: exactly one of URL and File must be set")
	}
	if s.URL != "" {
		if err := checkURL(s.URL, s.InsecureAllowHTTP); err != nil {
			return err
		}
	}
	if len(s.Pins) == 0 && len(s.TrustedCerts) == 0 && !s.InsecureTrustOnFirstUse && !s.InsecureAllowUnsigned {
		return errors.New("rpsource: no pinned thumbprints or trusted certificates for the metadata signature")
	}
	for _, p := range s.Pins {
		if _, err := adfsmeta.NormalizeThumbprint(p); err != nil {
			return fmt.Errorf("rpsource: pins: %w", err)
		}
	}
	if s.parser() == nil {
		return errors.New("rpsource: no Parse function for this document type")
	}
	return nil
}

// parser is Parse, or ParseADFS when T allows it.
func (s *Refresher[T]) parser() Parser[T] {
	if s.Parse != nil {
		return s.Parse
	}
	p, _ := any(Parser[*adfsmeta.Metadata](ParseADFS)).(Parser[T])
	return p
}

// Start loads the cached copy, fetches once, and then refreshes every
// RefreshInterval until ctx is done. It returns ErrNoMetadata (wrapped with the
// fetch error) when no usable copy exists yet; the refresh loop runs anyway, so a
// caller that tolerates the error gets the metadata once AD FS answers.
func (s *Refresher[T]) Start(ctx context.Context) error {
	if err := s.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("rpsource: already started")
	}
	s.started = true
	s.mu.Unlock()

	s.loadCache()
	fetchErr := s.Refresh(ctx)
	go s.loop(ctx)
	if !s.Usable() {
		return fmt.Errorf("%w: %w", ErrNoMetadata, fetchErr)
	}
	return nil
}

func (s *Refresher[T]) loop(ctx context.Context) {
	iv := s.RefreshInterval
	if iv == 0 {
		iv = DefaultRefreshInterval
	}
	iv = max(iv, MinRefreshInterval)
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = s.Refresh(ctx) // logged and recorded in Status
		}
	}
}

func (s *Refresher[T]) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Refresher[T]) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Refresher[T]) what() string {
	if s.What != "" {
		return s.What
	}
	return "AD FS metadata"
}

func (s *Refresher[T]) name() string {
	if s.URL != "" {
		return s.URL
	}
	return s.File
}

// parseOptions builds the options Parse gets; learned pins (trust on first
// use) replace the insecure flag once a first document was accepted.
func (s *Refresher[T]) parseOptions() adfsmeta.Options {
	s.mu.RLock()
	learned := s.learned
	s.mu.RUnlock()
	o := adfsmeta.Options{
		PinnedThumbprints:     append(append([]string(nil), s.Pins...), learned...),
		TrustedCerts:          s.TrustedCerts,
		Now:                   s.Now,
		MaxBytes:              s.MaxBytes,
		InsecureAllowUnsigned: s.InsecureAllowUnsigned,
	}
	o.InsecureTrustOnFirstUse = s.InsecureTrustOnFirstUse && len(learned) == 0
	return o
}
