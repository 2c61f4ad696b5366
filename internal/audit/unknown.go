package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ReasonUnknownUser is the Reason of a record whose user name matched no
// account (claims.ReasonUnknownUser; a test in internal/factors pins the two
// together).
const ReasonUnknownUser = "unknown_user"

// UnknownUserPrefix starts the token that stands in the User field for a
// name that matched no account.
const UnknownUserPrefix = "unknown:"

// unknownUserToken is what a record keeps of a user name that matched no
// account. People type their password into the name field, so the name
// itself is never kept; a keyed hash (HMAC-SHA256, cut to 64 bits) still
// lets an admin see that several attempts used one name, and, unlike a
// plain hash, cannot be reversed by guessing without the key. The name is
// folded as the directory and lockout fold it (case, surrounding space), so
// "Bob" and "bob " give one token.
func unknownUserToken(key []byte, name string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(name))))
	return UnknownUserPrefix + hex.EncodeToString(m.Sum(nil)[:8])
}
