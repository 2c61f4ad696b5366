package xmlsig

import "fmt"

// Fault names what was wrong with a signed document.
type Fault string

// The faults VerifyError reports. ReadUntrusted and Verify raise the first
// group; the document packages raise the rest with Reject.
const (
	FaultConfig       Fault = "config"        // options unusable
	FaultTooLarge     Fault = "too_large"     // over the size cap
	FaultMalformed    Fault = "malformed"     // not (round-trip safe) XML
	FaultUntrustedKey Fault = "untrusted_key" // signer not trusted, or its cert not valid now
	FaultSignature    Fault = "signature"     // missing or invalid signature/digest, or a refused algorithm

	FaultStructure       Fault = "structure"        // not the expected document shape
	FaultAudience        Fault = "audience"         // Audience/AppliesTo mismatch
	FaultNotYetValid     Fault = "not_yet_valid"    // before NotBefore - skew
	FaultExpired         Fault = "expired"          // at/after NotOnOrAfter + skew
	FaultSubjectMismatch Fault = "subject_mismatch" // statements disagree on the subject
)

// VerifyError is a refused token or signed document.
type VerifyError struct {
	Fault  Fault
	Detail string
	Err    error
}

func (e *VerifyError) Error() string {
	s := "sts: token rejected (" + string(e.Fault) + "): " + e.Detail
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Reject makes a VerifyError; err, when not nil, is the cause.
func Reject(f Fault, err error, format string, args ...any) *VerifyError {
	return &VerifyError{Fault: f, Detail: fmt.Sprintf(format, args...), Err: err}
}
