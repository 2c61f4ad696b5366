package rpsource

import (
	"crypto/x509"

	"github.com/claimgate/claimgate/sts/adfsmeta"
)

// Source is one AD FS relying party's federation metadata.
type Source = Refresher[*adfsmeta.Metadata]

// Parsed is a verified document: the value served, and what Status shows
// and trust on first use learns.
type Parsed[T any] struct {
	Value    T
	EntityID string
	// SigningCerts are the signing certificates the document publishes:
	// Status shows their SHA-1 thumbprints, trust on first use pins them.
	SigningCerts []*x509.Certificate
	// SignedBy signed the document (nil when it was unsigned).
	SignedBy *x509.Certificate
	Warnings []string
}

// Parser verifies raw with o (pins, trusted certificates, clock, size cap,
// the insecure switches) and reads it. A Parser must be pure: the
// Refresher calls it for fresh downloads and for the persisted copy alike,
// so that a cache file altered on disk is refused like a bad download.
type Parser[T any] func(raw []byte, o adfsmeta.Options) (Parsed[T], error)

// ParseADFS is the Source's parser: sts/adfsmeta.Parse.
func ParseADFS(raw []byte, o adfsmeta.Options) (Parsed[*adfsmeta.Metadata], error) {
	md, err := adfsmeta.Parse(raw, o)
	if err != nil {
		return Parsed[*adfsmeta.Metadata]{}, err
	}
	return Parsed[*adfsmeta.Metadata]{Value: md, EntityID: md.EntityID, SigningCerts: md.SigningCerts,
		SignedBy: md.SignedBy, Warnings: md.Warnings}, nil
}
