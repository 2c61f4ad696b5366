package app

import (
	"maps"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/userfile"
)

// loginPage derives what the sign-in page says beyond its form from the
// configured directory: the accepted forms of user name, and the link for
// changing a password that must be changed.
func loginPage(cfg *config.Config) (login.LoginPage, error) {
	if uf := cfg.Directory.UsersFile; uf != nil {
		f, err := userfile.ReadFile(uf.Path)
		if err != nil {
			return login.LoginPage{}, err
		}
		return login.LoginPage{Hint: usersFileHint(f)}, nil
	}
	l := cfg.Directory.LDAP
	if l == nil {
		return login.LoginPage{}, nil
	}
	return login.LoginPage{Hint: ldapHint(l, cfg.ADFS.OrganizationalAccountSuffixes), PasswordChangeURL: l.PasswordChangeURL}, nil
}

// ldapHint shows the configured login_forms. The UPN example's suffix is
// the first of upn_suffixes (the only ones accepted), else the first of
// AD FS's organizational_account_suffixes (the ones AD FS sends users
// here for), else the domain's DNS name from base_dn (AD's default UPN
// suffix); with none of these the UPN example is left out rather than
// invented.
func ldapHint(l *config.LDAP, orgSuffixes []string) login.Hint {
	var h login.Hint
	for _, f := range l.LoginForms {
		switch f {
		case config.LoginSAMAccountName:
			h.Plain = true
		case config.LoginDomainSAMAccountName:
			h.Domain = l.NetBIOSDomain
		case config.LoginUPN:
			h.UPNSuffix = firstOf(l.UPNSuffixes, orgSuffixes, []string{dnsName(l.BaseDN)})
		}
	}
	return h
}

// usersFileHint shows the forms a users file accepts: the bare name
// always, DOMAIN\name when the file names a domain, and name@suffix with
// the suffix most of its users' UPNs have, when any has one.
func usersFileHint(f *userfile.File) login.Hint {
	h := login.Hint{Plain: true, Domain: f.Domain}
	count := map[string]int{}
	for _, u := range f.Users {
		if _, suffix, ok := strings.Cut(u.UPN, "@"); ok && suffix != "" {
			count[strings.ToLower(suffix)]++
		}
	}
	for _, s := range slices.Sorted(maps.Keys(count)) {
		if h.UPNSuffix == "" || count[s] > count[h.UPNSuffix] {
			h.UPNSuffix = s
		}
	}
	return h
}

// firstOf returns the first non-empty value of the first list that has one.
func firstOf(lists ...[]string) string {
	for _, l := range lists {
		for _, s := range l {
			if s = strings.TrimPrefix(strings.TrimSpace(s), "@"); s != "" {
				return s
			}
		}
	}
	return ""
}

// dnsName turns a DN's DC= components into a DNS name
// (OU=Staff,DC=example,DC=com → example.com); "" when it has none.
func dnsName(dn string) string {
	parsed, err := ldap.ParseDN(dn)
	if err != nil {
		return ""
	}
	var labels []string
	for _, rdn := range parsed.RDNs {
		if len(rdn.Attributes) == 1 && strings.EqualFold(rdn.Attributes[0].Type, "DC") {
			labels = append(labels, rdn.Attributes[0].Value)
		}
	}
	return strings.ToLower(strings.Join(labels, "."))
}
