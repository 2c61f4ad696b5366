package claims

import "strings"

// NameSource says what the name claim carries.
type NameSource string

// The name claim's sources.
const (
	// NameWindowsAccount is DOMAIN\user, what AD FS's Active Directory
	// claims provider issues as name (the same value as
	// windowsaccountname). The default: relying-party rules and
	// applications written for AD users read name as DOMAIN\user.
	NameWindowsAccount NameSource = "windowsaccountname"
	// NameUPN is the userPrincipalName (DOMAIN\user when there is none),
	// for organisations whose applications were set up to read name as
	// the UPN.
	NameUPN NameSource = "upn"
)

// Well-known SIDs (MS-DTYP 2.4.2.4) that Windows puts into every logon
// token of a domain user signing in over the network, as AD FS does with
// a forms (user name and password) sign-in. AD computes none of them
// into tokenGroups: the logon adds them.
const (
	SIDEveryone           = "S-1-1-0"  // Everyone (World)
	SIDNetwork            = "S-1-5-2"  // NETWORK: a network logon
	SIDAuthenticatedUsers = "S-1-5-11" // Authenticated Users
	SIDThisOrganization   = "S-1-5-15" // This Organization: not across a trust with selective authentication
)

// DefaultLogonSIDs are the well-known SIDs added to groupsid when the
// configuration does not choose: those of a network logon in the user's
// own forest.
func DefaultLogonSIDs() []string {
	return []string{SIDEveryone, SIDNetwork, SIDAuthenticatedUsers, SIDThisOrganization}
}

// Mapping holds the choices where organisations differ about claim
// values. The zero Mapping issues name as DOMAIN\user and adds no SIDs;
// DefaultMapping is what AD FS's Active Directory claims provider issues.
type Mapping struct {
	// Name is the source of the name claim; empty means NameWindowsAccount.
	Name NameSource
	// LogonSIDs are well-known SIDs added to every user's groupsid, after
	// the directory's own (and not twice).
	LogonSIDs []string
}

// DefaultMapping matches AD FS's Active Directory claims provider: name is
// DOMAIN\user and groupsid carries the logon SIDs besides tokenGroups.
func DefaultMapping() Mapping {
	return Mapping{Name: NameWindowsAccount, LogonSIDs: DefaultLogonSIDs()}
}

// Apply returns id with the mapping's choices made: Name set and the logon
// SIDs appended to GroupSIDs. id itself is not changed.
func (m Mapping) Apply(id Identity) Identity {
	switch m.Name {
	case NameUPN:
		id.Name = NameID(id)
	default:
		id.Name = ""
	}
	if len(m.LogonSIDs) == 0 {
		return id
	}
	groups := make([]string, 0, len(id.GroupSIDs)+len(m.LogonSIDs))
	seen := map[string]bool{}
	for _, g := range append(append([]string(nil), id.GroupSIDs...), m.LogonSIDs...) {
		// SIDs compare case-insensitively (s-1-1-0 is S-1-1-0).
		if k := strings.ToUpper(g); !seen[k] {
			seen[k] = true
			groups = append(groups, g)
		}
	}
	id.GroupSIDs = groups
	return id
}
