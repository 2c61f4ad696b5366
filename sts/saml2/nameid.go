package saml2

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
)

// Subject is who a sign-in was, in the forms the NameID formats need.
type Subject struct {
	// NameID is the unspecified-format value: claims.NameID (the UPN, or
	// DOMAIN\user).
	NameID string
	// Email is the emailAddress-format value.
	Email string
	// StableID is what persistent NameIDs are derived from: the user's
	// objectSid, which survives renames.
	StableID string
}

// persistentLabel separates this use of the key from any other.
const persistentLabel = "claimgate saml2 persistent NameID v1"

// makeNameID returns the NameID of format for subject s at sp. A value
// the sign-in cannot give is a Responder/InvalidNameIDPolicy error, so the
// SP gets a SAML answer.
func (p *IdP) makeNameID(req *AuthnRequest, s Subject) (nameID, *StatusError) {
	n := nameID{Format: req.NameIDFormat}
	missing := func(what string) (nameID, *StatusError) {
		return n, NewStatusError(req, StatusResponder, StatusInvalidNameIDPolicy, "no %s for the %s NameID", what, shortStatus(req.NameIDFormat))
	}
	switch req.NameIDFormat {
	case NameIDUnspecified:
		if n.Value = s.NameID; n.Value == "" {
			return missing("name")
		}
	case NameIDEmailAddress:
		if n.Value = s.Email; n.Value == "" {
			return missing("e-mail address")
		}
	case NameIDPersistent:
		if s.StableID == "" {
			return missing("stable user ID")
		}
		if p.cfg.PersistentKey == nil {
			return missing("persistent NameID key configured")
		}
		n.Value = persistentID(p.cfg.PersistentKey, req.SP.EntityID, s.StableID)
		n.NameQualifier, n.SPNameQualifier = p.cfg.EntityID, req.SP.EntityID
	case NameIDTransient:
		b := make([]byte, 16)
		if _, err := io.ReadFull(p.cfg.Rand, b); err != nil {
			return n, NewStatusError(req, StatusResponder, "", "random source: %v", err)
		}
		n.Value = "_" + hex.EncodeToString(b)
	default:
		return n, NewStatusError(req, StatusResponder, StatusInvalidNameIDPolicy, "format %q", req.NameIDFormat)
	}
	return n, nil
}

// persistentID is an opaque, stable, per-SP identifier (core §8.3.7):
// HMAC-SHA256 over the SP's entity ID and the user's stable ID, so two SPs
// cannot correlate a user by it and nobody without the key can derive it.
// The fields are length-prefixed so no two inputs share a message.
func persistentID(key []byte, spEntityID, stableID string) string {
	m := hmac.New(sha256.New, key)
	for _, f := range []string{persistentLabel, spEntityID, stableID} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		m.Write([]byte(f))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
