package ldapsource

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// userAttributes are read in the user search.
func (d *Directory) userAttributes() []string {
	attrs := []string{"sAMAccountName", "userPrincipalName", "objectSid", "primaryGroupID",
		"displayName", "mail", d.cfg.PhoneAttribute, "userAccountControl",
		"msDS-User-Account-Control-Computed", "lockoutTime", "accountExpires", "pwdLastSet"}
	for a := range d.cfg.Attributes {
		attrs = append(attrs, a)
	}
	return attrs
}

func readFacts(e *ldap.Entry) (accountFacts, error) {
	var f accountFacts
	var err error
	get := func(attr string, dst *int64) {
		if err == nil {
			*dst, err = parseInt(attr, e.GetEqualFoldAttributeValues(attr))
		}
	}
	get("userAccountControl", &f.UAC)
	get("msDS-User-Account-Control-Computed", &f.ComputedUAC)
	get("lockoutTime", &f.LockoutTime)
	get("accountExpires", &f.Expires)
	get("pwdLastSet", &f.PwdLastSet)
	f.HasComputed = len(e.GetEqualFoldAttributeValues("msDS-User-Account-Control-Computed")) > 0
	return f, err
}

// identity reads tokenGroups and the NetBIOS domain for entry e and
// builds the Identity.
func (d *Directory) identity(ctx context.Context, e *ldap.Entry) (claims.Identity, error) {
	// tokenGroups is a constructed attribute: AD computes it (transitive
	// membership, primary group, builtin groups) only on a base-scope read.
	req := ldap.NewSearchRequest(e.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, int(d.cfg.SearchTimeout.Seconds()), false, "(objectClass=*)", []string{"tokenGroups"}, nil)
	res, err := d.search(ctx, req)
	if err != nil {
		return claims.Identity{}, fmt.Errorf("ldapsource: read tokenGroups of %s: %w", e.DN, err)
	}
	var groups [][]byte
	if len(res.Entries) == 1 {
		groups = res.Entries[0].GetEqualFoldRawAttributeValues("tokenGroups")
	}
	if len(groups) == 0 {
		// Every AD user has at least Domain Users: an empty answer means the
		// service account may not read tokenGroups.
		d.log.Warn("tokenGroups empty: does the service account have the right to read it?", "dn", e.DN)
	}
	domain, err := d.netbiosFor(ctx, dcSuffix(e.DN))
	if err != nil {
		return claims.Identity{}, err
	}
	id, err := buildIdentity(e, groups, domain, d.cfg.PhoneAttribute, d.cfg.Attributes)
	if err != nil {
		return claims.Identity{}, fmt.Errorf("ldapsource: user %s: %w", e.DN, err)
	}
	// tokenGroups is what AD knows: the groups, nested ones, the primary
	// group and BUILTIN groups. A Windows logon token (what AD FS's AD
	// claims provider reads groupsid from) also carries SIDs the logon
	// itself adds (Everyone, NETWORK, Authenticated Users, This
	// Organization), which no directory attribute holds: the mapping adds
	// them, and chooses what name carries.
	return d.cfg.Claims.Apply(id), nil
}

// buildIdentity maps a user entry and its tokenGroups to an Identity.
func buildIdentity(e *ldap.Entry, tokenGroups [][]byte, domain, phoneAttr string, extra map[string]string) (claims.Identity, error) {
	id := claims.Identity{
		Username:    e.GetEqualFoldAttributeValue("sAMAccountName"),
		UPN:         e.GetEqualFoldAttributeValue("userPrincipalName"),
		Domain:      domain,
		DisplayName: e.GetEqualFoldAttributeValue("displayName"),
		Email:       e.GetEqualFoldAttributeValue("mail"),
		Mobile:      e.GetEqualFoldAttributeValue(phoneAttr),
	}
	if id.Username == "" {
		return id, fmt.Errorf("no sAMAccountName")
	}
	rawSID := e.GetEqualFoldRawAttributeValue("objectSid")
	sid, err := SIDString(rawSID)
	if err != nil {
		return id, fmt.Errorf("objectSid: %w", err)
	}
	id.SID = sid
	if pg := e.GetEqualFoldAttributeValue("primaryGroupID"); pg != "" {
		dom, err := domainOf(sid)
		if err != nil {
			return id, err
		}
		rid, err := parseInt("primaryGroupID", []string{pg})
		if err != nil || rid <= 0 || rid > 0xFFFFFFFF {
			return id, fmt.Errorf("primaryGroupID %q is not a RID", pg)
		}
		id.PrimaryGroupSID = fmt.Sprintf("%s-%d", dom, rid)
	}
	seen := map[string]bool{}
	for _, g := range tokenGroups {
		s, err := SIDString(g)
		if err != nil {
			return id, fmt.Errorf("tokenGroups: %w", err)
		}
		if !seen[s] {
			seen[s] = true
			id.GroupSIDs = append(id.GroupSIDs, s)
		}
	}
	for attr, uri := range extra {
		if vs := e.GetEqualFoldAttributeValues(attr); len(vs) > 0 {
			if id.Extra == nil {
				id.Extra = map[string][]string{}
			}
			id.Extra[uri] = append(id.Extra[uri], vs...)
		}
	}
	return id, nil
}

// dcSuffix returns the domain part of a DN: its trailing DC= components
// (CN=alice,CN=Users,DC=example,DC=test → DC=example,DC=test).
func dcSuffix(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return ""
	}
	start := len(parsed.RDNs)
	for start > 0 {
		rdn := parsed.RDNs[start-1]
		if len(rdn.Attributes) != 1 || !strings.EqualFold(rdn.Attributes[0].Type, "DC") {
			break
		}
		start--
	}
	var parts []string
	for _, rdn := range parsed.RDNs[start:] {
		parts = append(parts, "DC="+ldap.EscapeDN(rdn.Attributes[0].Value))
	}
	return strings.Join(parts, ",")
}

// netbiosFor returns the NetBIOS name of the domain whose naming context
// is domainDN: the configured one, or nETBIOSName of its crossRef object
// under CN=Partitions in the configuration partition (cached).
func (d *Directory) netbiosFor(ctx context.Context, domainDN string) (string, error) {
	if d.cfg.NetBIOSDomain != "" {
		return d.cfg.NetBIOSDomain, nil
	}
	return d.readNetBIOS(ctx, domainDN)
}

// readNetBIOS reads the domain's NetBIOS name from its crossRef (cached).
func (d *Directory) readNetBIOS(ctx context.Context, domainDN string) (string, error) {
	key := strings.ToLower(domainDN)
	d.mu.Lock()
	name, ok := d.netbios[key]
	d.mu.Unlock()
	if ok {
		return name, nil
	}
	root, err := d.search(ctx, ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, int(d.cfg.SearchTimeout.Seconds()), false, "(objectClass=*)", []string{"configurationNamingContext"}, nil))
	if err != nil || len(root.Entries) != 1 {
		return "", fmt.Errorf("ldapsource: read rootDSE: %w", err)
	}
	configNC := root.Entries[0].GetAttributeValue("configurationNamingContext")
	res, err := d.search(ctx, ldap.NewSearchRequest("CN=Partitions,"+configNC, ldap.ScopeSingleLevel,
		ldap.NeverDerefAliases, 2, int(d.cfg.SearchTimeout.Seconds()), false,
		"(&(objectClass=crossRef)(nETBIOSName=*)(nCName="+ldap.EscapeFilter(domainDN)+"))",
		[]string{"nETBIOSName"}, nil))
	if err != nil {
		return "", fmt.Errorf("ldapsource: find NetBIOS name of %s: %w", domainDN, err)
	}
	if len(res.Entries) != 1 {
		return "", fmt.Errorf("ldapsource: no single crossRef with nETBIOSName for %s (%d found); set NetBIOSDomain", domainDN, len(res.Entries))
	}
	name = res.Entries[0].GetAttributeValue("nETBIOSName")
	d.mu.Lock()
	d.netbios[key] = name
	d.mu.Unlock()
	return name, nil
}
