package ldapsource

import (
	"context"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// serviceAccount is Config.BindDN taken apart once, so that find can
// recognise the service account's own entry among the users it resolves.
//
// The service account must never be a sign-in target: it is a user
// object the user filter matches, so without this a spray of its name
// from unfamiliar addresses would send wrong passwords for it to AD (up to
// lockout.unfamiliar_max_passwords), and an AD lockoutThreshold below
// that would lock it and stop claimgate for everyone.
type serviceAccount struct {
	dn     *ldap.DN // BindDN is a DN
	domain string   // BindDN is DOMAIN\sam
	sam    string
	upn    string // BindDN is a user principal name
	raw    string // BindDN is a DN: as configured
}

// parseServiceAccount splits a bind name (validated by CheckBindName) the
// way CheckBindName tells the three forms apart.
func parseServiceAccount(bindName string) serviceAccount {
	switch {
	case strings.Contains(bindName, "="):
		// CheckBindName has parsed it; a nil dn falls back to raw.
		dn, _ := ldap.ParseDN(bindName)
		return serviceAccount{dn: dn, raw: bindName}
	case strings.Contains(bindName, `\`):
		domain, sam, _ := strings.Cut(bindName, `\`)
		return serviceAccount{domain: domain, sam: sam}
	default:
		return serviceAccount{upn: bindName}
	}
}

// is reports whether entry e, as the server returned it, is the service
// account. netbios gives the NetBIOS name of e's domain; it is asked only
// for a DOMAIN\sam bind name whose sam matches. Comparisons ignore case,
// as AD does for all three names; a DN is compared RDN by RDN, so spacing
// and escaping in the configuration do not matter.
func (s serviceAccount) is(e *ldap.Entry, netbios func() (string, error)) bool {
	switch {
	case s.raw != "":
		got, err := ldap.ParseDN(e.DN)
		if err != nil || s.dn == nil {
			return strings.EqualFold(e.DN, s.raw)
		}
		return got.EqualFold(s.dn)
	case s.sam != "":
		if !strings.EqualFold(e.GetEqualFoldAttributeValue("sAMAccountName"), s.sam) {
			return false
		}
		domain, err := netbios()
		// Undecidable is refused: the cost is one same-named user in
		// another domain refused during a directory hiccup, the
		// alternative a bind as the service account.
		return err != nil || strings.EqualFold(domain, s.domain)
	case s.upn != "":
		if strings.EqualFold(e.GetEqualFoldAttributeValue("userPrincipalName"), s.upn) {
			return true
		}
		// AD also binds sam@<DNS name of the domain> (the implicit UPN)
		// when no userPrincipalName has that value.
		i := strings.LastIndex(s.upn, "@")
		local, suffix := s.upn[:i], s.upn[i+1:]
		return strings.EqualFold(e.GetEqualFoldAttributeValue("sAMAccountName"), local) &&
			strings.EqualFold(dnsDomain(e.DN), suffix)
	}
	return false
}

// dnsDomain is the DNS name of the domain an entry is in, from the DC=
// components of its DN (CN=alice,CN=Users,DC=example,DC=test → example.test).
func dnsDomain(dn string) string {
	parsed, err := ldap.ParseDN(dcSuffix(dn))
	if err != nil {
		return ""
	}
	labels := make([]string, 0, len(parsed.RDNs))
	for _, rdn := range parsed.RDNs {
		labels = append(labels, rdn.Attributes[0].Value)
	}
	return strings.Join(labels, ".")
}

// refuseServiceAccount answers the service account's own entry exactly as
// a name that matches nothing (the same reason, no bind, no further read),
// so that a sprayer learns nothing and AD never counts a password for it.
func (d *Directory) refuseServiceAccount(ctx context.Context, e *ldap.Entry) error {
	if !d.svcAccount.is(e, func() (string, error) { return d.netbiosFor(ctx, dcSuffix(e.DN)) }) {
		return nil
	}
	return claims.Rejected(claims.ReasonUnknownUser, "the entry is the service account (bind_dn), which never signs in")
}
