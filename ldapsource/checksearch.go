package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// SearchReport is what CheckSearch found out about reading users.
type SearchReport struct {
	// Server is the URL of the domain controller that answered.
	Server string
	// Sample is the DN of the user entry the attributes were read on (the
	// service account when it is under BaseDN), "" if none was found.
	Sample string
	// Groups is how many tokenGroups SIDs Sample has.
	Groups int
	// Findings are the configuration problems found; sign-in fails on
	// any of them that is not a Warning.
	Findings []Finding
	// Err is a failure that is not a configuration problem (no server
	// answered, a timeout); the check stopped there.
	Err error
}

// OK reports whether sign-in can read what it needs.
func (r SearchReport) OK() bool {
	if r.Err != nil {
		return false
	}
	for _, f := range r.Findings {
		if !f.Warning {
			return false
		}
	}
	return true
}

// CheckSearch does, as the service account, the reads every sign-in
// needs: the base DN exists, the user filter is one the server accepts
// and finds users with, and a user entry (preferably the service account
// itself) shows objectSid, sAMAccountName, userPrincipalName and, in a
// base-scope read, tokenGroups.
func (d *Directory) CheckSearch(ctx context.Context) SearchReport {
	var r SearchReport
	base := d.cfg.BaseDN
	add := func(f Finding) SearchReport { r.Findings = append(r.Findings, f); return r }

	// 1. The base DN itself.
	if _, err := d.checkSearch(ctx, &r, ldap.NewSearchRequest(base, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, d.timeLimit(), false, "(objectClass=*)", []string{"objectClass"}, nil)); err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return add(Finding{Fields: []string{"BaseDN"}, Text: fmt.Sprintf(
				"%s does not exist on the domain controller (LDAP error 32, no such object)%s: set it to the DN of the domain or of the OU that holds the users",
				base, d.namingContextHint(ctx))})
		}
		if f := searchRefused(err); f != nil {
			f.Fields, f.Text = []string{"BaseDN", "BindDN"}, "the service account may not read "+base+": "+f.Text
			return add(*f)
		}
		r.Err = fmt.Errorf("read the base DN %s: %w", base, err)
		return r
	}

	// 2. The user filter, first for the service account, else any user.
	attrs := []string{"sAMAccountName"}
	var entry *ldap.Entry
	for _, match := range []string{serviceAccountMatch(d.cfg.BindDN), "(sAMAccountName=*)"} {
		if match == "" {
			continue
		}
		filter := "(&" + d.cfg.UserFilter + match + ")"
		res, err := d.checkSearch(ctx, &r, ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			1, d.timeLimit(), false, filter, attrs, nil))
		if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			err = nil
		}
		if err != nil {
			if f := searchRefused(err); f != nil {
				f.Fields = []string{"UserFilter"}
				f.Text = "the domain controller refused a user search with the filter " + d.cfg.UserFilter + " (" + f.Text +
					"): correct it (try it with Get-ADUser -LDAPFilter or ldapsearch)"
				return add(*f)
			}
			r.Err = fmt.Errorf("search users: %w", err)
			return r
		}
		if len(res.Entries) > 0 {
			entry = res.Entries[0]
			break
		}
	}
	if entry == nil {
		return add(Finding{Fields: []string{"UserFilter", "BaseDN"}, Text: fmt.Sprintf(
			"no user under %s matches the user filter %s: every sign-in would find no account", base, d.cfg.UserFilter)})
	}
	r.Sample = entry.DN

	// 3. The attributes sign-in reads, on that entry, as sign-in reads them.
	res, err := d.checkSearch(ctx, &r, ldap.NewSearchRequest(entry.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, d.timeLimit(), false, "(objectClass=*)", d.userAttributes(), nil))
	if err == nil && len(res.Entries) != 1 {
		err = fmt.Errorf("%d entries", len(res.Entries))
	}
	if err != nil {
		if f := searchRefused(err); f != nil {
			f.Fields, f.Text = []string{"Attributes", "PhoneAttribute"}, "reading the user attributes on "+entry.DN+" failed: "+f.Text
			return add(*f)
		}
		r.Err = fmt.Errorf("read %s: %w", entry.DN, err)
		return r
	}
	e := res.Entries[0]
	if _, err := SIDString(e.GetEqualFoldRawAttributeValue("objectSid")); err != nil {
		add(Finding{Fields: []string{"BindDN"}, Text: "the service account cannot read objectSid on " + e.DN +
			" (" + err.Error() + "): sign-in needs it for the primarysid claim; give the account read access to user objects"})
	}
	if e.GetEqualFoldAttributeValue("sAMAccountName") == "" {
		add(Finding{Fields: []string{"BindDN"}, Text: "the service account cannot read sAMAccountName on " + e.DN +
			": give it read access to user objects"})
	}
	if e.GetEqualFoldAttributeValue("userPrincipalName") == "" {
		add(Finding{Fields: []string{"BindDN"}, Warning: true, Text: e.DN +
			" has no userPrincipalName (or the service account cannot read it): such users get no upn claim"})
	}

	// 4. tokenGroups: computed only on a base-scope read, as in sign-in.
	res, err = d.checkSearch(ctx, &r, ldap.NewSearchRequest(e.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, d.timeLimit(), false, "(objectClass=*)", []string{"tokenGroups"}, nil))
	if err != nil && searchRefused(err) == nil {
		r.Err = fmt.Errorf("read tokenGroups of %s: %w", e.DN, err)
		return r
	}
	if err == nil && len(res.Entries) == 1 {
		r.Groups = len(res.Entries[0].GetEqualFoldRawAttributeValues("tokenGroups"))
	}
	if r.Groups == 0 {
		add(Finding{Fields: []string{"BindDN"}, Text: "the service account cannot read tokenGroups on " + e.DN +
			" (every user has at least Domain Users): tokens would carry no group SIDs; add the account to the Windows Authorization Access Group"})
	}
	// A configured NetBIOS name that is not the domain's makes every
	// DOMAIN\user sign-in an unknown user and puts the wrong domain in
	// windowsaccountname and name.
	if want := d.cfg.NetBIOSDomain; want != "" {
		if got, err := d.readNetBIOS(ctx, dcSuffix(d.cfg.BaseDN)); err == nil && !strings.EqualFold(got, want) {
			add(Finding{Fields: []string{"NetBIOSDomain"}, Text: fmt.Sprintf(
				"the domain's NetBIOS name is %s, not %s: every %s\\user sign-in would find no account and tokens would carry %s\\user; set it to %s or remove it (claimgate then reads it from the directory)",
				got, want, got, want, got)})
		}
	}
	return r
}

// checkSearch runs req on the service pool, noting the server that answered.
func (d *Directory) checkSearch(ctx context.Context, r *SearchReport, req *ldap.SearchRequest) (*ldap.SearchResult, error) {
	var res *ldap.SearchResult
	err := d.svc.with(ctx, func(c *conn) error {
		r.Server = c.server.url
		return run(ctx, c.Conn, d.cfg.SearchTimeout, func() error {
			var err error
			res, err = c.Search(req)
			return err
		})
	})
	if res == nil {
		res = &ldap.SearchResult{}
	}
	return res, err
}

func (d *Directory) timeLimit() int { return int(d.cfg.SearchTimeout.Seconds()) }

// namingContextHint names the domain the DC holds (rootDSE
// defaultNamingContext), best effort.
func (d *Directory) namingContextHint(ctx context.Context) string {
	var r SearchReport
	res, err := d.checkSearch(ctx, &r, ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, d.timeLimit(), false, "(objectClass=*)", []string{"defaultNamingContext"}, nil))
	if err != nil || len(res.Entries) != 1 {
		return ""
	}
	if nc := res.Entries[0].GetAttributeValue("defaultNamingContext"); nc != "" {
		return "; this domain controller's domain is " + nc
	}
	return ""
}

// searchRefused describes an LDAP result the server returned for a search
// (as opposed to a network failure or a timeout), or returns nil.
func searchRefused(err error) *Finding {
	var le *ldap.Error
	if !errors.As(err, &le) || le.ResultCode >= ldap.ErrorNetwork || le.ResultCode == ldap.LDAPResultBusy ||
		le.ResultCode == ldap.LDAPResultUnavailable || le.ResultCode == ldap.LDAPResultTimeLimitExceeded {
		return nil
	}
	msg := fmt.Sprintf("LDAP error %d, %s", le.ResultCode, ldap.LDAPResultCodeMap[le.ResultCode])
	if le.Err != nil && strings.TrimSpace(le.Err.Error()) != "" {
		msg += ": " + strings.TrimSpace(le.Err.Error())
	}
	return &Finding{Text: msg}
}

// serviceAccountMatch is a filter part matching the service account by
// the form its bind name has: a DN, a UPN or DOMAIN\name.
func serviceAccountMatch(bindDN string) string {
	switch {
	case strings.Contains(bindDN, `\`) && !strings.Contains(bindDN, "="):
		_, sam, _ := strings.Cut(bindDN, `\`)
		return "(sAMAccountName=" + ldap.EscapeFilter(sam) + ")"
	case strings.Contains(bindDN, "@") && !strings.Contains(bindDN, "="):
		return "(userPrincipalName=" + ldap.EscapeFilter(bindDN) + ")"
	case bindDN != "":
		return "(distinguishedName=" + ldap.EscapeFilter(bindDN) + ")"
	}
	return ""
}
