package saml2

import "fmt"

// StatusError is a refused SAML request, or a sign-in that cannot be
// answered with an assertion. It carries the SAML status the answer must
// have, so the HTTP layer can choose between two ways to say no:
//
//   - Request != nil: the issuer is a known service provider and the
//     assertion consumer service was chosen from its registration, so the
//     answer is a SAML error Response (IdP.ErrorResponse) POSTed there;
//   - Logout != nil: the same for a LogoutRequest, answered with
//     IdP.LogoutResponse at the SP's logout endpoint;
//   - both nil: nothing about the sender can be trusted (unknown
//     issuer, bad signature, unregistered ACS URL, unreadable message),
//     so the answer is a 400 page showing Message.
//
// Message is fixed per status and safe to show; Detail names the
// offending input and is for the log only.
type StatusError struct {
	Code    string // top level: StatusRequester, StatusResponder, StatusVersionMismatch
	SubCode string // second level, "" when there is none
	Message string
	Detail  string
	Request *AuthnRequest
	Logout  *LogoutRequest
}

func (e *StatusError) Error() string {
	s := "saml2: request refused (" + shortStatus(e.Code)
	if e.SubCode != "" {
		s += "/" + shortStatus(e.SubCode)
	}
	return s + "): " + e.Detail
}

// NewStatusError makes a StatusError for a decision taken outside the
// parser (the login flow's NoPassive, AuthnFailed, RequestDenied). req,
// when not nil, is where the SAML error Response goes.
func NewStatusError(req *AuthnRequest, code, subCode, format string, args ...any) *StatusError {
	return &StatusError{Code: code, SubCode: subCode, Message: statusMessage(code, subCode), Detail: fmt.Sprintf(format, args...), Request: req}
}

// refuse is a StatusError that cannot be answered in SAML (Request nil).
func refuse(code, subCode, format string, args ...any) *StatusError {
	return NewStatusError(nil, code, subCode, format, args...)
}

// statusMessage is the fixed text users and service providers see for a
// status. It never echoes input. Success needs no explanation, so it has
// none, except PartialLogout (a LogoutResponse), which says what is left.
func statusMessage(code, subCode string) string {
	if code == StatusSuccess {
		if subCode == StatusPartialLogout {
			return "You were signed out here, but not from every application."
		}
		return ""
	}
	switch subCode {
	case StatusInvalidNameIDPolicy:
		return "The application asked for a user identifier this sign-in service cannot provide."
	case StatusNoAuthnContext:
		return "The application asked for a kind of sign-in this service did not perform."
	case StatusNoPassive:
		return "You need to sign in, but the application asked for no sign-in page."
	case StatusUnsupportedBinding:
		return "The application asked for a way of answering this service does not support."
	case StatusRequestVersionTooHigh, StatusRequestVersionTooLow:
		return "The sign-in request uses a SAML version this service does not support."
	case StatusAuthnFailed:
		return "Sign-in failed."
	case StatusRequestDenied:
		return "The sign-in request was refused."
	case StatusRequestUnsupported:
		return "This kind of sign-in request is not supported."
	}
	if code == StatusResponder {
		return "The sign-in service could not complete the request."
	}
	return "The sign-in request is not valid."
}

// logoutMessage is statusMessage for a refused LogoutRequest: the same
// statuses, worded for signing out.
func logoutMessage(code, subCode string) string {
	switch subCode {
	case StatusRequestDenied:
		return "The sign-out request was refused."
	case StatusRequestUnsupported:
		return "This kind of sign-out request is not supported."
	case StatusUnknownPrincipal:
		return "The sign-out request does not name a user signed in here."
	case StatusRequestVersionTooHigh, StatusRequestVersionTooLow:
		return "The sign-out request uses a SAML version this service does not support."
	}
	if code == StatusResponder {
		return "The sign-in service could not complete the sign-out."
	}
	return "The sign-out request is not valid."
}

// shortStatus is the last segment of a status URI, for error strings.
func shortStatus(uri string) string {
	for i := len(uri) - 1; i >= 0; i-- {
		if uri[i] == ':' {
			return uri[i+1:]
		}
	}
	return uri
}
