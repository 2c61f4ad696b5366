package ldapsource

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errBadSID is returned for any objectSid that is not a well-formed
// MS-DTYP SID; a garbage string in a token would be worse than no token.
var errBadSID = errors.New("malformed SID")

// SIDString converts a binary SID (objectSid, tokenGroups) to its text form
// S-1-5-21-..., following MS-DTYP 2.4.2: byte 0 is the revision (1), byte 1
// the sub-authority count n (at most 15), bytes 2-7 the identifier
// authority as a 48-bit big-endian number, then n little-endian uint32
// sub-authorities. The authority is decimal below 2^32 and 0x plus 12 hex
// digits above, as ConvertSidToStringSid writes it.
func SIDString(b []byte) (string, error) {
	if len(b) < 8 {
		return "", fmt.Errorf("%w: %d bytes, need at least 8", errBadSID, len(b))
	}
	if b[0] != 1 {
		return "", fmt.Errorf("%w: revision %d", errBadSID, b[0])
	}
	n := int(b[1])
	if n > 15 {
		return "", fmt.Errorf("%w: %d sub-authorities, at most 15", errBadSID, n)
	}
	if len(b) != 8+4*n {
		return "", fmt.Errorf("%w: %d bytes for %d sub-authorities", errBadSID, len(b), n)
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	var s strings.Builder
	s.WriteString("S-1-")
	if auth >= 1<<32 {
		fmt.Fprintf(&s, "0x%012X", auth)
	} else {
		s.WriteString(strconv.FormatUint(auth, 10))
	}
	for i := range n {
		s.WriteByte('-')
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return s.String(), nil
}

// domainOf returns the domain part of an account SID (everything but the
// last sub-authority, the RID).
func domainOf(sid string) (string, error) {
	i := strings.LastIndexByte(sid, '-')
	if i < 0 || strings.Count(sid, "-") < 3 {
		return "", fmt.Errorf("%w: %q has no RID", errBadSID, sid)
	}
	return sid[:i], nil
}
