package claims

// Claim type URIs, as AD FS names them (../docs/adfs.md lists where each
// comes from). The SAML 1.1 token splits each URI at its last "/" into
// AttributeNamespace and AttributeName.
const (
	NameIdentifier         = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
	UPN                    = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
	Name                   = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	EmailAddress           = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	GivenName              = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
	Surname                = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
	PrimarySID             = "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid"
	PrimaryGroupSID        = "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid"
	GroupSID               = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid"
	WindowsAccountName     = "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname"
	Role                   = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	AuthenticationMethod   = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod"
	AuthenticationInstant  = "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant"
	AuthnMethodsReferences = "http://schemas.microsoft.com/claims/authnmethodsreferences"
	MFAInstant             = "http://schemas.microsoft.com/ws/2017/04/identity/claims/multifactorauthenticationinstant"
)

// Authentication method URIs used in authnmethodsreferences and in the
// SAML AuthenticationStatement.
const (
	// AMRPassword is the authnmethodsreferences value for a password. AD FS
	// also forwards it as wauth for a forms (password) sign-in, e.g. when it
	// turns Entra ID's prompt=login into wfresh=0.
	AMRPassword = "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"
	// SAML2PasswordProtectedTransport and SAML2Password are the SAML 2.0
	// authentication context classes for a password (over TLS, and plain);
	// AD FS forwards them as wauth when a relying party asks for them.
	SAML2PasswordProtectedTransport = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	SAML2Password                   = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	// MultipleAuthn marks a sign-in that used a second factor; AD FS and
	// Entra read it both as an amr value and as the AuthenticationMethod.
	MultipleAuthn = "http://schemas.microsoft.com/claims/multipleauthn"
	// WIAOrMultipleAuthn is a wauth value AD FS forwards; two factors satisfy it.
	WIAOrMultipleAuthn = "http://schemas.microsoft.com/claims/wiaormultiauthn"
	// SAMLPassword is the SAML 1.0 password authentication method.
	SAMLPassword = "urn:oasis:names:tc:SAML:1.0:am:password"
	// SAMLUnspecified is the SAML 1.0 "unspecified" authentication method.
	SAMLUnspecified = "urn:oasis:names:tc:SAML:1.0:am:unspecified"
)

// TypeInfo describes a claim type for federation metadata and for the
// AD FS acceptance rules.
type TypeInfo struct {
	URI         string
	DisplayName string
	Description string
}

// Known lists the claim types claimgate can issue, in the order metadata
// offers them. The slice is returned fresh so callers cannot change it.
func Known() []TypeInfo {
	return []TypeInfo{
		{NameIdentifier, "Name ID", "The unique identifier of the user, as the NameIdentifier of the token's subject."},
		{UPN, "UPN", "The user principal name (UPN) of the user."},
		{PrimarySID, "Primary SID", "The security identifier (SID) of the user, as S-1-5-21-..."},
		{Name, "Name", "The unique name of the user."},
		{WindowsAccountName, "Windows account name", "The domain account name of the user in the form DOMAIN\\user."},
		{GroupSID, "Group SID", "The security identifiers (SIDs) of the groups the user belongs to, nested groups included."},
		{PrimaryGroupSID, "Primary group SID", "The security identifier (SID) of the user's primary group."},
		{EmailAddress, "E-Mail Address", "The e-mail address of the user."},
		{GivenName, "Given Name", "The given name of the user."},
		{Surname, "Surname", "The surname of the user."},
		{Role, "Role", "A role (group name) of the user."},
		{AuthnMethodsReferences, "Authentication Methods References", "Every method used to authenticate the user, including multipleauthn when a second factor was used."},
		{AuthenticationMethod, "Authentication method", "The method used to authenticate the user."},
		{AuthenticationInstant, "Authentication time", "The time the user authenticated."},
		{MFAInstant, "Multi-factor authentication time", "The time the user completed multi-factor authentication."},
	}
}

// Lookup returns the TypeInfo for uri, or a TypeInfo whose display name is
// the last segment of the URI when the type is not one of Known.
func Lookup(uri string) TypeInfo {
	for _, t := range Known() {
		if t.URI == uri {
			return t
		}
	}
	return TypeInfo{URI: uri, DisplayName: lastSegment(uri)}
}

func lastSegment(uri string) string {
	for i := len(uri) - 1; i >= 0; i-- {
		if uri[i] == '/' {
			return uri[i+1:]
		}
	}
	return uri
}
