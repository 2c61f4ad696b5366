package templates

// PageSigningOut tells the other parties of an ended session that it
// ended (front-channel single logout), then continues.
const PageSigningOut = "signingout.html"

// SignOutFrame is one party's sign-out message on the "signing out"
// page, loaded in a hidden frame: URL itself (Post false), or Fields
// posted to URL in the frame.
type SignOutFrame struct {
	URL    string
	Post   bool
	Fields []Field
}

// SigningOutData is the "signing out" page: the frames, then, once they
// have loaded, either the form to ContinueAction (a LogoutResponse to the
// party that asked) or the link ContinueURL.
type SigningOutData struct {
	Common
	Frames         []SignOutFrame
	ContinueAction string
	ContinueFields []Field
	ContinueURL    string
}

// PageSignOutConfirm asks the user before a sign-out that anyone could have
// requested (WS-Federation's wsignout1.0) also signs them out of the other
// applications of the session.
const PageSignOutConfirm = "signoutconfirm.html"

// SignOutConfirmData is the "sign out?" page: one button posting Fields
// and the CSRF token to Action.
type SignOutConfirmData struct {
	Common
	Action string
	Fields []Field
}
