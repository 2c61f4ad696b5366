package saml2

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
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
