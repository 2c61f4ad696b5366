package templates

import "html/template"

// Common is the data every page carries.
type Common struct {
	// CSRF is the anti-forgery token for the page's forms.
	CSRF string
	// RequestID lets a user quote the request to the help desk.
	RequestID string
}

// LoginData is the first step: user name and password.
type LoginData struct {
	Common
	Action   string // form target
	Username string // pre-filled from login_hint or the last attempt
	// ErrorKey is a message key; empty when there is no error.
	ErrorKey string
	// AppPasswordsOnly tells the user to use an app password, not the
	// domain password.
	AppPasswordsOnly bool
	// HintExamples are the accepted forms of user name, already written
	// out ("alice@example.com, EXAMPLE\alice or alice"); empty shows
	// none. The message login.hint, when not empty, replaces the whole
	// derived hint.
	HintExamples string
	// HintAppPasswords says that an app password may be used instead of
	// the domain password.
	HintAppPasswords bool
	// PasswordChangeURL is linked under a must-change or expired-password
	// message; empty shows where else to turn instead.
	PasswordChangeURL string
}

// Method is one second factor a user may choose.
type Method struct {
	ID    string
	Label string // text already resolved (e.g. "Authenticator app", "SMS to ...12")
}

// CodeData is the second step: a one-time code.
type CodeData struct {
	Common
	Action   string
	ErrorKey string
	InfoKey  string
	// Method describes the factor the code is for (already a display text).
	Method string
	// Digits is the expected code length (6 or 8).
	Digits int
	// ResendAction is set for SMS: a form that sends a new code.
	ResendAction string
	// ChooseAction is set when the user has other methods to pick from.
	ChooseAction string
	// Wait, when set, is how long until a new code may be sent ("45 s").
	Wait string
}

// ChooseData lets a user with several factors pick one.
type ChooseData struct {
	Common
	Action  string
	Methods []Method
}

// EnrolData shows a new TOTP secret as a QR code and as text.
type EnrolData struct {
	Common
	Action   string
	ErrorKey string
	// QRImage is a data: URI of a PNG rendered on the server.
	QRImage template.URL
	Secret  string // base32, grouped for reading
	URI     string // otpauth:// URI
	// NeedEnrolmentCode asks for the one-time code an administrator issued.
	NeedEnrolmentCode bool
}

// ErrorData is any error page. TitleKey and MessageKey are message keys, so
// no internal string ever reaches the page.
type ErrorData struct {
	Common
	Status     int
	TitleKey   string
	MessageKey string
}

// Field is one hidden input of the auto-POST form.
type Field struct {
	Name, Value string
}

// AutoPostData is the page that carries a token to the relying party.
type AutoPostData struct {
	Action string
	Fields []Field
}

// InfoData is a plain message page (signed out, enrolment saved, ...).
type InfoData struct {
	Common
	TitleKey   string
	MessageKey string
}

// DemoUser is shown on the demo relying party's start page.
type DemoUser struct {
	Username, Password, OTPAuthURI string
	QRImage                        template.URL
}

// DemoData is the demo relying party's start page.
type DemoData struct {
	Common
	StartURL string
	Realm    string
	// SAML2StartURL starts the SAML 2.0 sign-in of the demo's service
	// provider, whose entity ID is SAML2EntityID; "" shows WS-Fed only.
	SAML2StartURL string
	SAML2EntityID string
	Users         []DemoUser
}

// DemoCheck is one verification the demo relying party made.
type DemoCheck struct {
	Name   string
	OK     bool
	Detail string
}

// DemoClaim is one claim as the demo relying party received it.
type DemoClaim struct {
	Type   string
	Values []string
}

// DemoTokenData shows what the demo relying party received.
type DemoTokenData struct {
	Common
	Accepted bool
	Checks   []DemoCheck
	Subject  string
	Method   string
	Claims   []DemoClaim
	Issuer   string
	Audience string
	WCtx     string
	StartURL string
}

// DemoSAML2Data shows what the demo's SAML 2.0 service provider received:
// a Response at its ACS, or with Logout a LogoutResponse at its logout
// endpoint.
type DemoSAML2Data struct {
	Common
	Logout   bool
	Accepted bool
	// Status is the Response's top-level (and second-level) status code
	// when it is not Success, StatusMessage its text: an error Response.
	Status        string
	StatusMessage string
	Checks        []DemoCheck
	NameID        string
	NameIDFormat  string
	SessionIndex  string
	ClassRef      string // AuthnContextClassRef
	AuthnInstant  string
	Attributes    []DemoClaim
	Issuer        string
	Audience      string
	RelayState    string
	StartURL      string
	// SignOutURL starts SAML single logout; "" offers none.
	SignOutURL string
}

func emptyData(page string) any {
	switch page {
	case PageLogin:
		return LoginData{ErrorKey: "error.credentials", HintExamples: "x", HintAppPasswords: true}
	case PageCode:
		return CodeData{ErrorKey: "error.code", InfoKey: "code.sent", ResendAction: "x", ChooseAction: "x"}
	case PageChoose:
		return ChooseData{}
	case PageEnrol:
		return EnrolData{ErrorKey: "error.code", NeedEnrolmentCode: true}
	case PageError:
		return ErrorData{TitleKey: "error.title", MessageKey: "error.bad_request"}
	case PageAutoPost:
		return AutoPostData{}
	case PageSigningOut:
		return SigningOutData{Frames: []SignOutFrame{{Post: true, Fields: []Field{{}}}, {}}, ContinueAction: "x", ContinueFields: []Field{{}}}
	case PageSignOutConfirm:
		return SignOutConfirmData{Fields: []Field{{}}}
	case PageInfo, PageSignedOut:
		return InfoData{TitleKey: "signedout.title", MessageKey: "signedout.message"}
	case PageDemo:
		return DemoData{Users: []DemoUser{{}}}
	case PageDemoToken:
		return DemoTokenData{Accepted: true, Checks: []DemoCheck{{OK: true}, {}}, Claims: []DemoClaim{{Values: []string{""}}}}
	case PageDemoSAML2:
		return DemoSAML2Data{Accepted: true, Status: "x", Checks: []DemoCheck{{OK: true}, {}}, Attributes: []DemoClaim{{Values: []string{""}}}, SignOutURL: "x"}
	default:
		return nil
	}
}
