package wsfed

import "fmt"

// Codes of RequestError, stable for logs, metrics and tests.
const (
	CodeMissingWa       = "missing_wa"
	CodeUnknownWa       = "unknown_wa"
	CodeMissingRealm    = "missing_wtrealm"
	CodeUnknownRealm    = "unknown_wtrealm"
	CodeForeignReply    = "foreign_wreply"
	CodeTooLarge        = "too_large"
	CodeDuplicateParam  = "duplicate_param"
	CodeMalformed       = "malformed"
	requestErrorMessage = "The sign-in request is not valid."
)

// userMessage returns the fixed text users may see for code. It never
// echoes input: the detail (with the offending value) is for logs only.
func userMessage(code string) string {
	switch code {
	case CodeMissingWa, CodeMissingRealm:
		return "The sign-in request is incomplete."
	case CodeUnknownWa:
		return "This kind of request is not supported."
	case CodeUnknownRealm:
		return "The application that sent you here is not known to this sign-in service."
	case CodeForeignReply:
		return "The sign-in request asks to return to an address this service does not trust."
	case CodeTooLarge:
		return "The sign-in request is too large."
	}
	return requestErrorMessage
}

// RequestError is a refused WS-Fed request. Message is fixed per Code and
// safe to show to users; Detail names the offending input for the log.
type RequestError struct {
	Code    string
	Message string
	Detail  string
}

func (e *RequestError) Error() string {
	return "sts: bad WS-Fed request (" + e.Code + "): " + e.Detail
}

func reqErr(code, format string, args ...any) *RequestError {
	return &RequestError{Code: code, Message: userMessage(code), Detail: fmt.Sprintf(format, args...)}
}
