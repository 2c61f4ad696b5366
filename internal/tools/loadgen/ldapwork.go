package main

import (
	"fmt"

	"github.com/go-ldap/ldap/v3"
)

// ldapWorker does, directly with go-ldap, the directory work of one
// sign-in as ldapsource does it: a service-account search for the user,
// a bind as the user on a second connection, and the base-scope
// tokenGroups read. Connections are kept, as ldapsource pools them.
type ldapWorker struct {
	ad        sambaEnv
	svc, bind *ldap.Conn
}

func newLDAPWorker(ad sambaEnv) (*ldapWorker, error) {
	svc, err := ad.dial(true)
	if err != nil {
		return nil, err
	}
	bind, err := ad.dial(false)
	if err != nil {
		svc.Close()
		return nil, err
	}
	return &ldapWorker{ad: ad, svc: svc, bind: bind}, nil
}

func (w *ldapWorker) close() {
	w.svc.Close()
	w.bind.Close()
}

// userAttrs is what ldapsource reads in its user search with the
// generated configuration (ldapsource/identity.go userAttributes, the
// default phone attribute "mobile", no extra attributes), and userFilter
// its filter with the default user_filter (ldapsource/name.go filter):
// the baseline asks the DC for exactly what a sign-in asks. The proxy's
// count of LDAP requests per sign-in (spray run, no attack) checks that
// claimgate sends no more than these three.
var userAttrs = []string{"sAMAccountName", "userPrincipalName", "objectSid", "primaryGroupID",
	"displayName", "mail", "mobile", "userAccountControl",
	"msDS-User-Account-Control-Computed", "lockoutTime", "accountExpires", "pwdLastSet"}

func userFilter(name string) string {
	return "(&(&(objectCategory=person)(objectClass=user))(sAMAccountName=" + ldap.EscapeFilter(name) + "))"
}

func (w *ldapWorker) signIn(name, password string) error {
	res, err := w.svc.Search(ldap.NewSearchRequest(w.ad["CLAIMGATE_TEST_LDAP_BASE_DN"], ldap.ScopeWholeSubtree,
		ldap.NeverDerefAliases, 2, 10, false, userFilter(name), userAttrs, nil))
	if err != nil {
		return &signInError{step: "ldap search", err: err}
	}
	if len(res.Entries) != 1 {
		return stepErr("ldap search", "%d entries for %s", len(res.Entries), name)
	}
	dn := res.Entries[0].DN
	if err := w.bind.Bind(dn, password); err != nil {
		return &signInError{step: "ldap bind", err: err}
	}
	tg, err := w.svc.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 10, false,
		"(objectClass=*)", []string{"tokenGroups"}, nil))
	if err != nil {
		return &signInError{step: "ldap tokenGroups", err: err}
	}
	if len(tg.Entries) != 1 || len(tg.Entries[0].GetRawAttributeValues("tokenGroups")) == 0 {
		return stepErr("ldap tokenGroups", "no tokenGroups for %s", dn)
	}
	return nil
}

// badPwdCount reads the DC's own count of wrong passwords for each user
// (it moves only when the domain has a lockout threshold).
func (ad sambaEnv) badPwdCount(names []string) (map[string]int, error) {
	c, err := ad.dial(true)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	out := map[string]int{}
	for _, n := range names {
		res, err := c.Search(ldap.NewSearchRequest(ad.userDN(n), ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 10,
			false, "(objectClass=*)", []string{"badPwdCount"}, nil))
		if err != nil {
			return nil, fmt.Errorf("badPwdCount of %s: %w", n, err)
		}
		var v int
		fmt.Sscanf(res.Entries[0].GetAttributeValue("badPwdCount"), "%d", &v)
		out[n] = v
	}
	return out, nil
}
