package rpsource

import (
	"context"
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
func (s *Source) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	attempt := s.now()
	raw, err := s.read(ctx)
	var md *adfsmeta.Metadata
	if err == nil {
		md, err = adfsmeta.Parse(raw, s.parseOptions())
	}
	s.mu.Lock()
	s.status.Source = s.name()
	s.status.LastAttempt = attempt
	if err != nil {
		s.status.LastError = err.Error()
		kept := s.current != nil
		s.mu.Unlock()
		s.logger().Warn("AD FS metadata refresh failed; keeping the last good copy",
			"source", s.name(), "error", err, "have_last_good", kept)
		return err
	}
	prev := s.current
	s.install(md, false)
	s.status.LastSuccess = attempt
	s.mu.Unlock()

	if prev != nil && prev.EntityID != md.EntityID {
		s.logger().Warn("AD FS metadata entityID changed", "source", s.name(), "old", prev.EntityID, "new", md.EntityID)
	}
	if prev == nil || !sameCerts(prev, md) {
		s.logger().Info("AD FS metadata loaded", "source", s.name(), "entity_id", md.EntityID, "signing_certs", thumbprints(md))
	}
	if err := s.persist(raw); err != nil {
		// The in-memory copy is good; a cache write failure only weakens restarts.
		s.logger().Error("cannot persist AD FS metadata cache", "path", s.CachePath, "error", err)
	}
	return nil
}

// install makes md current; s.mu must be held.
func (s *Source) install(md *adfsmeta.Metadata, fromCache bool) {
	s.current = md
	s.status.Source = s.name()
	s.status.LastError = ""
	s.status.FromCache = fromCache
	s.status.EntityID = md.EntityID
	s.status.CertThumbprints = thumbprints(md)
	s.status.Warnings = md.Warnings
	if s.InsecureTrustOnFirstUse && len(s.Pins) == 0 && len(s.learned) == 0 {
		s.learned = learnedPins(md)
	}
}

func learnedPins(md *adfsmeta.Metadata) []string {
	var pins []string
	for _, c := range md.SigningCerts {
		pins = append(pins, certs.ThumbprintSHA256(c))
	}
	if md.SignedBy != nil {
		pins = append(pins, certs.ThumbprintSHA256(md.SignedBy))
	}
	return pins
}

func thumbprints(md *adfsmeta.Metadata) []string {
	out := make([]string, 0, len(md.SigningCerts))
	for _, c := range md.SigningCerts {
		out = append(out, certs.ThumbprintSHA1(c))
	}
	return out
}

func sameCerts(a, b *adfsmeta.Metadata) bool {
	return slices.Equal(thumbprints(a), thumbprints(b))
}

func (s *Source) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return adfsmeta.DefaultMaxBytes
}

func (s *Source) read(ctx context.Context) ([]byte, error) {
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

func (s *Source) fetch(ctx context.Context) ([]byte, error) {
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
func (s *Source) loadCache() {
	if s.CachePath == "" {
		return
	}
	f, err := os.Open(s.CachePath)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		s.logger().Warn("cannot open AD FS metadata cache", "path", s.CachePath, "error", err)
		return
	}
	raw, err := readLimited(f, s.maxBytes())
	f.Close()
	var md *adfsmeta.Metadata
	if err == nil {
		md, err = adfsmeta.Parse(raw, s.parseOptions())
	}
	if err != nil {
		s.logger().Warn("ignoring AD FS metadata cache that no longer verifies", "path", s.CachePath, "error", err)
		return
	}
	s.mu.Lock()
	s.install(md, true)
	if fi, err := os.Stat(s.CachePath); err == nil {
		s.status.LastSuccess = fi.ModTime()
	}
	s.mu.Unlock()
	s.logger().Info("AD FS metadata loaded from cache", "path", s.CachePath, "entity_id", md.EntityID)
}

// persist writes raw to CachePath atomically (temp file in the same directory,
// fsync, rename), so a crash never leaves a truncated cache.
func (s *Source) persist(raw []byte) error {
	if s.CachePath == "" {
		return nil
	}
	dir := filepath.Dir(s.CachePath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".adfs-metadata-*")
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
