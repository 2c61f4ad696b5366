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

// Defaults applied when the corresponding Source field is zero.
const (
	DefaultRefreshInterval = time.Hour
	DefaultTimeout         = 30 * time.Second
	// MinRefreshInterval keeps a misconfigured interval from hammering AD FS.
	MinRefreshInterval = time.Second
)

// ErrNoMetadata is returned by Start when neither the cache nor the first fetch
// produced a usable document.
var ErrNoMetadata = errors.New("rpsource: no usable AD FS metadata yet")

// Source is one relying party's metadata, from URL or File (exactly one).
// Fields must not change after Start.
type Source struct {
	// URL is the AD FS metadata address, e.g.
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

	mu      sync.RWMutex
	current *adfsmeta.Metadata
	status  Status
	learned []string // pins learned on first use
	started bool
	// refreshMu serialises refreshes (the loop and explicit Refresh calls).
	refreshMu sync.Mutex
}

// Status is the health view of a Source.
type Status struct {
	Source      string    // the URL or file
	LastAttempt time.Time // zero before the first attempt
	LastSuccess time.Time // zero until a document was accepted (a cache load counts)
	LastError   string    // "" after a successful attempt
	FromCache   bool      // the current copy was loaded from CachePath, not fetched
	EntityID    string
	// CertThumbprints are the SHA-1 thumbprints (AD FS's display form) of the
	// token-signing certificates in the current copy.
	CertThumbprints []string
	Warnings        []string
}

// Current returns the last good metadata, or nil if none was loaded yet. The
// returned value is shared and must not be modified.
func (s *Source) Current() *adfsmeta.Metadata {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current
}

// Status returns a snapshot for health output.
func (s *Source) Status() Status {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.status
	st.CertThumbprints = append([]string(nil), st.CertThumbprints...)
	st.Warnings = append([]string(nil), st.Warnings...)
	return st
}

func (s *Source) validate() error {
	if (s.URL == "") == (s.File == "") {
		return errors.New("rpsource: exactly one of URL and File must be set")
	}
	if s.URL != "" {
		if err := checkURL(s.URL, s.InsecureAllowHTTP); err != nil {
			return err
		}
	}
	if len(s.Pins) == 0 && len(s.TrustedCerts) == 0 && !s.InsecureTrustOnFirstUse {
		return errors.New("rpsource: no pinned thumbprints or trusted certificates for the metadata signature")
	}
	for _, p := range s.Pins {
		if _, err := adfsmeta.NormalizeThumbprint(p); err != nil {
			return fmt.Errorf("rpsource: pins: %w", err)
		}
	}
	return nil
}

// Start loads the cached copy, fetches once, and then refreshes every
// RefreshInterval until ctx is done. It returns ErrNoMetadata (wrapped with the
// fetch error) when no usable copy exists yet; the refresh loop runs anyway, so a
// caller that tolerates the error gets the metadata once AD FS answers.
func (s *Source) Start(ctx context.Context) error {
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
	if s.Current() == nil {
		return fmt.Errorf("%w: %v", ErrNoMetadata, fetchErr)
	}
	return nil
}

func (s *Source) loop(ctx context.Context) {
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

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Source) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Source) name() string {
	if s.URL != "" {
		return s.URL
	}
	return s.File
}

// parseOptions builds the adfsmeta options; learned pins (trust on first use)
// replace the insecure flag once a first document was accepted.
func (s *Source) parseOptions() adfsmeta.Options {
	s.mu.RLock()
	learned := s.learned
	s.mu.RUnlock()
	o := adfsmeta.Options{
		PinnedThumbprints: append(append([]string(nil), s.Pins...), learned...),
		TrustedCerts:      s.TrustedCerts,
		Now:               s.Now,
		MaxBytes:          s.MaxBytes,
	}
	o.InsecureTrustOnFirstUse = s.InsecureTrustOnFirstUse && len(learned) == 0
	return o
}
