package testutil

import (
	"strconv"
	"testing"
	"time"
)

// HOTP is the RFC 4226 code of a hex-encoded secret at counter, with the
// given number of digits, from oathtool (`oathtool --hotp -d D -c N HEX`).
func HOTP(t testing.TB, hexSecret string, counter uint64, digits int) string {
	return OATHTool(t, "--hotp", "-d", strconv.Itoa(digits), "-c", strconv.FormatUint(counter, 10), hexSecret)
}

// TOTPAt is the TOTP code of a Base32 secret at a given time, from
// oathtool; a test uses it for the code of the next time step.
func TOTPAt(t testing.TB, base32Secret string, at time.Time) string {
	return OATHTool(t, "--totp", "-b", "-N", "@"+strconv.FormatInt(at.Unix(), 10), base32Secret)
}
