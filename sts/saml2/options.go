package saml2

import (
	"errors"
	"time"
)

// Limits on what the parsers read. AuthnRequests are well under 2 KiB (a
// signed POST request with its certificate about 5 KiB); the caps leave
// room without letting a peer make us inflate or parse megabytes.
const (
	// DefaultMaxBytes caps the decoded (inflated) message.
	DefaultMaxBytes = 64 << 10
	// DefaultSkew is how far IssueInstant may be from our clock.
	DefaultSkew = 5 * time.Minute
	// MaxRelayState caps RelayState. The bindings say 80 bytes, but
	// SimpleSAMLphp sends the return URL there; 1 KiB covers that and
	// still bounds what we echo into a form.
	MaxRelayState = 1024
	// maxIDLen bounds the IDs we echo into InResponseTo.
	maxIDLen = 256
)

// IDCache remembers the request IDs already used, so a captured request
// cannot be played again. Seen records key until expires and reports
// whether it was already there. The HTTP layer provides it (the store);
// the parser only asks.
type IDCache interface {
	Seen(key string, expires time.Time) bool
}

// ParseOptions is what the request parsers check against.
type ParseOptions struct {
	// Endpoint is our URL the message arrived at (the SSO or SLO URL of
	// its binding, as published in our metadata). A Destination, when
	// present, must equal it.
	Endpoint string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Skew is how far IssueInstant may be from Now, either way; 0 means
	// DefaultSkew. It also widens the signing certificate's validity.
	Skew time.Duration
	// MaxBytes caps the decoded message; 0 means DefaultMaxBytes.
	MaxBytes int64
	// NameIDFormats are the formats we issue (our metadata's NameIDFormat
	// list); empty means NameIDFormats().
	NameIDFormats []string
	// Replay, when set, refuses a signed message's ID seen before (keyed by issuer
	// and ID, remembered until max(IssueInstant, Now) + Skew + a minute:
	// past the moment it would be refused as too old anyway). Nil skips
	// the check.
	Replay IDCache
	// RequireSignedRequests refuses unsigned AuthnRequests from every SP,
	// whatever its AuthnRequestsSigned: what our metadata's
	// WantAuthnRequestsSigned="true" promises.
	RequireSignedRequests bool
}

func (o *ParseOptions) defaults() error {
	if o.Endpoint == "" {
		return errors.New("no endpoint URL to check Destination against")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Skew <= 0 {
		o.Skew = DefaultSkew
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if len(o.NameIDFormats) == 0 {
		o.NameIDFormats = NameIDFormats()
	}
	return nil
}
