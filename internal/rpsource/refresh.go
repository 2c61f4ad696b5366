package rpsource

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/claimgate/claimgate/certs"
	"github.com/claimgate/claimgate/sts/adfsmeta"
)

func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("rpsource: url: %w", err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	default:
		return fmt.Errorf("rpsource: url %q: scheme must be https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("rpsource: url %q: no host", raw)
	}
	return nil
}

// Refresh fetches and verifies the document once. On success it replaces
// Current and persists the copy; on failure Current is kept and the error is
// logged, recorded in Status and returned.
func (s *Refresher[T]) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	attempt := s.now()
	raw, err := s.read(ctx)
	var doc Parsed[T]
	if err == nil {
		doc, err = s.parser()(raw, s.parseOptions())
	}
	s.mu.Lock()
	prev := s.current
	if err == nil && s.KeepEntityID && prev != nil && prev.EntityID != doc.EntityID {
		err = fmt.Errorf("rpsource: the metadata's entityID changed from %s to %s; refused", prev.EntityID, doc.EntityID)
	}
	s.status.Source = s.name()
	s.status.LastAttempt = attempt
	if err != nil {
		s.status.LastError = err.Error()
		kept := s.current != nil
		s.mu.Unlock()
		s.logger().Warn(s.what()+" refresh failed; keeping the last good copy",
			"source", s.name(), "error", err, "have_last_good", kept)
		return err
	}
	s.install(&doc, false)
	s.status.LastSuccess = attempt
	s.mu.Unlock()

	if prev != nil && prev.EntityID != doc.EntityID {
		s.logger().Warn(s.what()+" entityID changed", "source", s.name(), "old", prev.EntityID, "new", doc.EntityID)
	}
	if prev == nil || !slices.Equal(thumbprints(prev.SigningCerts), thumbprints(doc.SigningCerts)) {
		s.logger().Info(s.what()+" loaded", "source", s.name(), "entity_id", doc.EntityID, "signing_certs", thumbprints(doc.SigningCerts))
	}
	if err := s.persist(raw); err != nil {
		// The in-memory copy is good; a cache write failure only weakens restarts.
		s.logger().Error("cannot persist "+s.what()+" cache", "path", s.CachePath, "error", err)
	}
	return nil
}

// install makes doc current; s.mu must be held.
func (s *Refresher[T]) install(doc *Parsed[T], fromCache bool) {
	s.current = doc
	s.status.Source = s.name()
	s.status.LastError = ""
	s.status.FromCache = fromCache
	s.status.EntityID = doc.EntityID
	s.status.CertThumbprints = thumbprints(doc.SigningCerts)
	s.status.Warnings = doc.Warnings
	if s.InsecureTrustOnFirstUse && len(s.Pins) == 0 && len(s.learned) == 0 {
		s.learned = learnedPins(doc.SigningCerts, doc.SignedBy)
	}
}

func learnedPins(signing []*x509.Certificate, signedBy *x509.Certificate) []string {
	var pins []string
	for _, c := range signing {
		pins = append(pins, certs.ThumbprintSHA256(c))
	}
	if signedBy != nil {
		pins = append(pins, certs.ThumbprintSHA256(signedBy))
	}
	return pins
}

func thumbprints(cs []*x509.Certificate) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, certs.ThumbprintSHA1(c))
	}
	return out
}

func (s *Refresher[T]) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return adfsmeta.DefaultMaxBytes
}

func (s *Refresher[T]) read(ctx context.Context) ([]byte, error) {
	if s.File != "" {
		f, err := os.Open(s.File)
		if err != nil {
			return nil, fmt.Errorf("rpsource: %w", err)
		}
		defer f.Close()
		return readLimited(f, s.maxBytes())
	}
	return s.fetch(ctx)
}

func (s *Refresher[T]) fetch(ctx context.Context) ([]byte, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("rpsource: %w", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: timeout, CheckRedirect: httpsRedirectsOnly}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rpsource: fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rpsource: fetch %s: HTTP %d", s.URL, resp.StatusCode)
	}
	if resp.ContentLength > s.maxBytes() {
		return nil, fmt.Errorf("rpsource: fetch: %w: Content-Length %d > %d", adfsmeta.ErrTooLarge, resp.ContentLength, s.maxBytes())
	}
	return readLimited(resp.Body, s.maxBytes())
}

// readLimited reads at most max bytes and fails if there is more, without ever
// buffering more than max+1 bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("rpsource: read: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("rpsource: %w: more than %s bytes", adfsmeta.ErrTooLarge, strconv.FormatInt(max, 10))
	}
	return b, nil
}

// loadCache installs the persisted copy if it still verifies with the current pins.
func (s *Refresher[T]) loadCache() {
	if s.CachePath == "" {
		return
	}
	f, err := os.Open(s.CachePath)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		s.logger().Warn("cannot open "+s.what()+" cache", "path", s.CachePath, "error", err)
		return
	}
	raw, err := readLimited(f, s.maxBytes())
	f.Close()
	var doc Parsed[T]
	if err == nil {
		doc, err = s.parser()(raw, s.parseOptions())
	}
	if err != nil {
		s.logger().Warn("ignoring "+s.what()+" cache that no longer verifies", "path", s.CachePath, "error", err)
		return
	}
	s.mu.Lock()
	s.install(&doc, true)
	if fi, err := os.Stat(s.CachePath); err == nil {
		s.status.LastSuccess = fi.ModTime()
	}
	s.mu.Unlock()
	s.logger().Info(s.what()+" loaded from cache", "path", s.CachePath, "entity_id", doc.EntityID)
}

// persist writes raw to CachePath atomically (temp file in the same directory,
// fsync, rename), so a crash never leaves a truncated cache.
func (s *Refresher[T]) persist(raw []byte) error {
	if s.CachePath == "" {
		return nil
	}
	dir := filepath.Dir(s.CachePath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".metadata-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.CachePath)
}

// httpsRedirectsOnly follows a few redirects, but never to plain HTTP: the
// signature is pinned, yet an https source should not silently become a
// cleartext one.
func httpsRedirectsOnly(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("rpsource: too many redirects")
	}
	if req.URL.Scheme != "https" && via[0].URL.Scheme == "https" {
		return errors.New("rpsource: redirect from https to " + req.URL.Scheme + " refused")
	}
	return nil
}
