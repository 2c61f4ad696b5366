package adfsmeta

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// extract fills md from the signed EntityDescriptor.
func extract(ed *etree.Element, md *Metadata) error {
	md.EntityID = strings.TrimSpace(ed.SelectAttrValue("entityID", ""))
	if md.EntityID == "" {
		return errors.New("EntityDescriptor has no entityID")
	}
	var stsPassive, appPassive string
	for _, rd := range xmlsafe.Children(ed, NSMetadata, "RoleDescriptor") {
		ns, local := xsiType(rd)
		// Exclusive c14n drops xmlns:fed from RoleDescriptor when only the xsi:type
		// value uses it, so in the signed tree the prefix is usually unbound. The
		// QName text itself is signed; an unbound prefix is taken as fed, a prefix
		// bound to another namespace is not.
		if ns != NSFed && ns != "" {
			continue
		}
		addr := passiveAddress(rd)
		switch local {
		case "SecurityTokenServiceType":
			if stsPassive == "" {
				stsPassive = addr
			}
		case "ApplicationServiceType":
			if appPassive == "" {
				appPassive = addr
			}
		}
		if err := collectKeys(rd, md); err != nil {
			return err
		}
	}
	md.PassiveEndpoint = stsPassive
	if md.PassiveEndpoint == "" {
		md.PassiveEndpoint = appPassive
	}
	if u, err := url.Parse(md.PassiveEndpoint); md.PassiveEndpoint != "" && (err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "") {
		// Tokens are posted there: only an absolute https URL will do.
		md.Warnings = append(md.Warnings, fmt.Sprintf("passive endpoint %q is not an absolute https URL without a query; ignored", md.PassiveEndpoint))
		md.PassiveEndpoint = ""
	}
	if md.PassiveEndpoint == "" {
		md.Warnings = append(md.Warnings, "no fed:PassiveRequestorEndpoint (WS-Federation passive endpoint) in metadata")
	}
	for _, tag := range []string{"SPSSODescriptor", "IDPSSODescriptor"} {
		for _, sso := range xmlsafe.Children(ed, NSMetadata, tag) {
			if err := collectKeys(sso, md); err != nil {
				return err
			}
			if tag != "SPSSODescriptor" {
				continue
			}
			for _, acs := range xmlsafe.Children(sso, NSMetadata, "AssertionConsumerService") {
				e, err := endpoint(acs)
				if err != nil {
					return err
				}
				md.AssertionConsumerServices = append(md.AssertionConsumerServices, e)
			}
		}
	}
	if len(md.SigningCerts) == 0 {
		return errors.New("metadata publishes no token-signing certificate")
	}
	return nil
}

func endpoint(el *etree.Element) (Endpoint, error) {
	e := Endpoint{Binding: el.SelectAttrValue("Binding", ""), Location: el.SelectAttrValue("Location", "")}
	if s := el.SelectAttrValue("index", ""); s != "" {
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return e, fmt.Errorf("AssertionConsumerService index %q: not an unsigned short", s)
		}
		e.Index = int(n)
	}
	e.IsDefault = el.SelectAttrValue("isDefault", "") == "true" || el.SelectAttrValue("isDefault", "") == "1"
	return e, nil
}

// collectKeys adds the KeyDescriptor certificates of a role. A KeyDescriptor
// without use is valid for both signing and encryption (SAML metadata §2.4.1.1).
func collectKeys(role *etree.Element, md *Metadata) error {
	for _, kd := range xmlsafe.Children(role, NSMetadata, "KeyDescriptor") {
		use := kd.SelectAttrValue("use", "")
		keys, err := xmlsafe.KeyInfoCerts(kd)
		if err != nil {
			return fmt.Errorf("%s KeyDescriptor: %w", role.Tag, err)
		}
		for _, c := range keys {
			if use == "signing" || use == "" {
				md.SigningCerts = appendUnique(md.SigningCerts, c)
			}
			if (use == "encryption" || use == "") && md.EncryptionCert == nil {
				md.EncryptionCert = c
			}
		}
	}
	return nil
}

func appendUnique(list []*x509.Certificate, c *x509.Certificate) []*x509.Certificate {
	if containsCert(list, c) {
		return list
	}
	return append(list, c)
}

// passiveAddress returns fed:PassiveRequestorEndpoint/wsa:EndpointReference/wsa:Address.
func passiveAddress(rd *etree.Element) string {
	for _, p := range xmlsafe.Children(rd, NSFed, "PassiveRequestorEndpoint") {
		for _, epr := range xmlsafe.Children(p, NSAddressing, "EndpointReference") {
			for _, a := range xmlsafe.Children(epr, NSAddressing, "Address") {
				if s := strings.TrimSpace(a.Text()); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// xsiType resolves the QName in xsi:type against the namespaces in scope.
func xsiType(el *etree.Element) (ns, local string) {
	var v string
	for _, a := range el.Attr {
		if a.Key == "type" && a.NamespaceURI() == NSXSI {
			v = a.Value
		}
	}
	if v == "" {
		return "", ""
	}
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		prefix, local = "", v
	}
	for e := el; e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if (prefix == "" && a.Space == "" && a.Key == "xmlns") || (a.Space == "xmlns" && a.Key == prefix) {
				return a.Value, local
			}
		}
	}
	return "", local
}
