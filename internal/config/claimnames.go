package config

import (
	"sort"
	"strings"

	"github.com/claimgate/claimgate/claims"
)

// claimNames are the short names an administrator may write instead of a
// claim type URI: the URI's last segment, as AD FS's claim descriptions
// show them, plus a few common abbreviations.
func claimNames() map[string]string {
	m := map[string]string{}
	for _, t := range claims.Known() {
		m[strings.ToLower(t.URI[strings.LastIndex(t.URI, "/")+1:])] = t.URI
	}
	m["email"] = claims.EmailAddress
	m["amr"] = claims.AuthnMethodsReferences
	m["mfainstant"] = claims.MFAInstant
	return m
}

// ClaimType resolves a short name or returns a URI unchanged; ok is false
// for a word that is neither a known name nor a URI.
func ClaimType(s string) (uri string, ok bool) {
	if strings.Contains(s, ":") {
		return s, true
	}
	uri, ok = claimNames()[strings.ToLower(s)]
	return uri, ok
}

func claimNameList() string {
	var names []string
	for n := range claimNames() {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
