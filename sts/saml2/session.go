package saml2

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
)

// sessionLabel separates this use of the key from any other.
const sessionLabel = "claimgate saml2 SessionIndex v1"

// SessionIndex returns the SessionIndex the SP spEntityID sees for our
// login session: "_" + hex(HMAC-SHA256(SessionIndexKey, session ‖ SP
// entity ID)). A per-SP value keeps two SPs from linking a user by it
// (their persistent NameIDs differ for the same reason), and only we can
// map it back to the session. AuthnInstant stays the same at every SP:
// it is the real time of the authentication, which the SP may judge.
func (p *IdP) SessionIndex(session, spEntityID string) (string, error) {
	if p.cfg.SessionIndexKey == nil {
		// A configuration mistake, not the request's fault.
		return "", errors.New("saml2: a session was given but IdPConfig.SessionIndexKey is not set")
	}
	m := hmac.New(sha256.New, p.cfg.SessionIndexKey)
	for _, f := range []string{sessionLabel, session, spEntityID} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		m.Write([]byte(f))
	}
	return "_" + hex.EncodeToString(m.Sum(nil)), nil
}

// LogoutMatches reports whether req ends our login session: when it
// names no SessionIndex (every session of its NameID at that SP), or one
// of its SessionIndexes is SessionIndex(session, req.SP.EntityID). The
// caller still compares req.NameID with the session's subject.
func (p *IdP) LogoutMatches(req *LogoutRequest, session string) (bool, error) {
	if req == nil || req.SP == nil {
		return false, errors.New("saml2: LogoutMatches needs a parsed LogoutRequest")
	}
	if len(req.SessionIndexes) == 0 {
		return true, nil
	}
	want, err := p.SessionIndex(session, req.SP.EntityID)
	if err != nil {
		return false, err
	}
	for _, s := range req.SessionIndexes {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true, nil
		}
	}
	return false, nil
}

// Issued is what one sign-in told an SP about the subject and the
// session: the NameID (value, format, qualifiers) and the SessionIndexes
// of its AuthnStatements. The login flow keeps it with the session, so a
// LogoutRequest from the SP can be matched against it (Matches) and a
// LogoutRequest to the SP can name exactly what it was given
// (IdP.LogoutRequest).
type Issued struct {
	NameID          string   `json:"nameid"`
	NameIDFormat    string   `json:"format"`
	NameQualifier   string   `json:"nq,omitempty"`
	SPNameQualifier string   `json:"spnq,omitempty"`
	SessionIndexes  []string `json:"session_indexes,omitempty"`
}

// MaxIssuedSessionIndexes bounds Issued.SessionIndexes: each Response to
// the same SP within one session has its own SessionIndex, and the SP may
// still hold an older one; only the latest few are kept.
const MaxIssuedSessionIndexes = 4

// IssuedBy is the Issued record of a successful Response to sp. The
// qualifiers are those makeNameID puts on a persistent NameID (our entity
// ID and the SP's); TestIssuedMatchesResponse keeps the two in step.
func (p *IdP) IssuedBy(resp *Response, sp *SP) Issued {
	in := Issued{NameID: resp.NameID, NameIDFormat: resp.NameIDFormat}
	if resp.SessionIndex != "" {
		in.SessionIndexes = []string{resp.SessionIndex}
	}
	if resp.NameIDFormat == NameIDPersistent {
		in.NameQualifier, in.SPNameQualifier = p.cfg.EntityID, sp.EntityID
	}
	return in
}

// Merge adds the SessionIndexes of an earlier record for the same NameID
// (a second Response to the same SP in one session), newest last, at most
// MaxIssuedSessionIndexes. An earlier record for another NameID is
// replaced: the SP now knows the subject by the new one.
func (in Issued) Merge(earlier Issued) Issued {
	if earlier.NameID != in.NameID || earlier.NameIDFormat != in.NameIDFormat ||
		earlier.NameQualifier != in.NameQualifier || earlier.SPNameQualifier != in.SPNameQualifier {
		return in
	}
	var all []string
	for _, s := range append(append([]string(nil), earlier.SessionIndexes...), in.SessionIndexes...) {
		if !slices.Contains(all, s) {
			all = append(all, s)
		}
	}
	if len(all) > MaxIssuedSessionIndexes {
		all = all[len(all)-MaxIssuedSessionIndexes:]
	}
	in.SessionIndexes = all
	return in
}

// Matches reports whether req names the subject and session in: the
// NameID value and format exactly as issued (an absent Format reads as
// unspecified, as core §3.7.1 lets it), qualifiers when the request
// carries them, and, when req names SessionIndexes, at least one that was
// issued. A request naming no SessionIndex means every session of the
// NameID at that SP (core §3.7.1), which includes this one.
func (in Issued) Matches(req *LogoutRequest) bool {
	if req == nil || in.NameID == "" {
		return false
	}
	eq := func(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
	if !eq(req.NameID, in.NameID) || req.NameIDFormat != in.NameIDFormat {
		return false
	}
	if (req.NameQualifier != "" && req.NameQualifier != in.NameQualifier) ||
		(req.SPNameQualifier != "" && req.SPNameQualifier != in.SPNameQualifier) {
		return false
	}
	if len(req.SessionIndexes) == 0 {
		return true
	}
	for _, got := range req.SessionIndexes {
		for _, want := range in.SessionIndexes {
			if eq(got, want) {
				return true
			}
		}
	}
	return false
}
