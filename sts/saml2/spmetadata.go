package saml2

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// MetadataOptions says how SPFromMetadata trusts a document.
type MetadataOptions struct {
	// TrustedCerts are acceptable metadata signing certificates: the
	// signature's KeyInfo certificate must equal one of them byte for
	// byte. Their dates are not judged: AD FS keeps signing with an
	// expired certificate when rollover is off, and the pin is what
	// carries trust (as in sts/adfsmeta).
	TrustedCerts []*x509.Certificate
	// InsecureAllowUnsigned reads a document without checking any
	// signature: only for metadata an administrator copied by hand.
	InsecureAllowUnsigned bool
	// MaxBytes caps the document; 0 means xmlsafe.DefaultMaxBytes.
	MaxBytes int64
	// Now is the clock validUntil is judged by; nil means time.Now.
	Now func() time.Time
}

// SPFromMetadata reads a service provider from its metadata: one
// md:EntityDescriptor with an SPSSODescriptor supporting SAML 2.0 (AD FS
// publishes one beside its WS-Fed roles). It fills EntityID, ACS (with
// isDefault as written, for DefaultACS), SLO, SigningCerts,
// EncryptionCert, EncryptionMethod (the first content algorithm the
// encryption key's md:EncryptionMethod list names that we implement; when
// it names none, EncAES256CBC for AD FS, whose .NET decryption has no GCM,
// and "" otherwise: our default, AES-256-GCM), ADFS (the document carries
// AD FS's WS-Federation roles), WantAssertionsSigned and
// AuthnRequestsSigned, and NameIDFormat when
// exactly one format is listed. NameIDFormats stays empty: several
// listed formats are what the SP accepts, and letting its (unsigned)
// request pick among them would let the user choose the identifier the
// SP sees, so the SP is pinned to NameIDFormat (unspecified for AD FS)
// unless the caller allows more. Metadata past a validUntil (on the
// EntityDescriptor or the SPSSODescriptor) is refused. Values are read
// only from the signed element.
func SPFromMetadata(doc []byte, opts MetadataOptions) (*SP, error) {
	root, err := xmlsig.ReadUntrusted(doc, opts.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("saml2: SP metadata: %w", err)
	}
	if !xmlsafe.Is(root, NSMetadata, "EntityDescriptor") {
		return nil, fmt.Errorf("saml2: SP metadata: root is %s, want one md:EntityDescriptor", xmltext.Clip(root.FullTag()))
	}
	ed := root
	if !opts.InsecureAllowUnsigned {
		if len(opts.TrustedCerts) == 0 {
			return nil, errors.New("saml2: SP metadata: no trusted signing certificates (or InsecureAllowUnsigned)")
		}
		v, err := xmlsig.Verify(root, xmlsig.Layout{Name: "metadata", IDAttr: "ID", Place: xmlsig.PlaceFirst},
			xmlsig.Trust{Certs: opts.TrustedCerts, IgnoreTime: true})
		if err != nil {
			return nil, fmt.Errorf("saml2: SP metadata: %w", err)
		}
		ed = v.Element
	}
	sp := &SP{EntityID: strings.TrimSpace(ed.SelectAttrValue("entityID", ""))}
	if sp.EntityID == "" {
		return nil, errors.New("saml2: SP metadata: no entityID")
	}
	var sso *etree.Element
	for _, d := range xmlsafe.Children(ed, NSMetadata, "SPSSODescriptor") {
		if containsToken(d.SelectAttrValue("protocolSupportEnumeration", ""), NSProtocol) {
			sso = d
			break
		}
	}
	if sso == nil {
		return nil, errors.New("saml2: SP metadata: no SPSSODescriptor for the SAML 2.0 protocol")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	for _, el := range []*etree.Element{ed, sso} {
		until, err := checkValidUntil(el, now())
		if err != nil {
			return nil, fmt.Errorf("saml2: SP metadata: %w", err)
		}
		if !until.IsZero() && (sp.ValidUntil.IsZero() || until.Before(sp.ValidUntil)) {
			sp.ValidUntil = until
		}
	}
	if err := readSPDescriptor(sso, sp); err != nil {
		return nil, fmt.Errorf("saml2: SP metadata: %w", err)
	}
	sp.ADFS = hasADFSRole(ed)
	if sp.ADFS && sp.EncryptionCert != nil && sp.EncryptionMethod == "" {
		sp.EncryptionMethod = EncAES256CBC
	}
	if err := sp.Validate(); err != nil {
		return nil, fmt.Errorf("saml2: SP metadata: %w", err)
	}
	return sp, nil
}

func readSPDescriptor(sso *etree.Element, sp *SP) error {
	var err error
	if sp.WantAssertionsSigned, err = metadataBool(sso, "WantAssertionsSigned"); err != nil {
		return err
	}
	if sp.AuthnRequestsSigned, err = metadataBool(sso, "AuthnRequestsSigned"); err != nil {
		return err
	}
	for _, kd := range xmlsafe.Children(sso, NSMetadata, "KeyDescriptor") {
		certs, err := xmlsafe.KeyInfoCerts(kd)
		if err != nil {
			return fmt.Errorf("KeyDescriptor: %w", err)
		}
		// A KeyDescriptor without use serves both (metadata §2.4.1.1).
		use := kd.SelectAttrValue("use", "")
		for _, c := range certs {
			if use == "signing" || use == "" {
				sp.SigningCerts = append(sp.SigningCerts, c)
			}
			if (use == "encryption" || use == "") && sp.EncryptionCert == nil {
				sp.EncryptionCert = c
				sp.EncryptionMethod = contentEncryption(kd)
			}
		}
	}
	for _, e := range xmlsafe.Children(sso, NSMetadata, "SingleLogoutService") {
		sp.SLO = append(sp.SLO, Endpoint{Binding: e.SelectAttrValue("Binding", ""), Location: e.SelectAttrValue("Location", ""),
			ResponseLocation: e.SelectAttrValue("ResponseLocation", "")})
	}
	var formats []string
	for _, f := range xmlsafe.Children(sso, NSMetadata, "NameIDFormat") {
		formats = append(formats, strings.TrimSpace(f.Text()))
	}
	if len(formats) == 1 && formats[0] != NameIDUnspecified {
		sp.NameIDFormat = formats[0]
	}
	for _, e := range xmlsafe.Children(sso, NSMetadata, "AssertionConsumerService") {
		acs := Endpoint{Binding: e.SelectAttrValue("Binding", ""), Location: e.SelectAttrValue("Location", "")}
		n, err := strconv.ParseUint(e.SelectAttrValue("index", ""), 10, 16)
		if err != nil {
			return fmt.Errorf("AssertionConsumerService index %q is not an unsigned short", xmltext.Clip(e.SelectAttrValue("index", "")))
		}
		acs.Index = int(n)
		if acs.IsDefault, err = metadataBool(e, "isDefault"); err != nil {
			return err
		}
		acs.NotDefault = !acs.IsDefault && e.SelectAttr("isDefault") != nil
		sp.ACS = append(sp.ACS, acs)
	}
	return nil
}

// contentEncryption is the first md:EncryptionMethod of kd that names a
// content encryption algorithm we implement, in the SP's order of
// preference; "" (our default) when there is none. Key transport
// entries (rsa-oaep-mgf1p) are skipped: we always use rsa-oaep-mgf1p.
func contentEncryption(kd *etree.Element) string {
	for _, m := range xmlsafe.Children(kd, NSMetadata, "EncryptionMethod") {
		if name := encryptionName(strings.TrimSpace(m.SelectAttrValue("Algorithm", ""))); name != "" {
			return name
		}
	}
	return ""
}

// WS-Federation metadata names: AD FS describes itself with
// md:RoleDescriptor elements of these xsi:types beside its SPSSODescriptor.
const (
	nsFed       = "http://docs.oasis-open.org/wsfed/federation/200706"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"
	roleSTS     = "SecurityTokenServiceType"
	roleAppServ = "ApplicationServiceType"
)

// hasADFSRole reports whether ed carries a WS-Federation
// SecurityTokenServiceType or ApplicationServiceType RoleDescriptor, the
// roles AD FS publishes (every AD FS version since 2.0 does) and SAML-only
// SPs such as Shibboleth or SimpleSAMLphp do not.
func hasADFSRole(ed *etree.Element) bool {
	for _, rd := range xmlsafe.Children(ed, NSMetadata, "RoleDescriptor") {
		ns, local := xsiType(rd)
		// Exclusive c14n drops xmlns:fed from a RoleDescriptor whose only use
		// of it is the xsi:type value, so in the signed tree the prefix is
		// usually unbound: an unbound prefix is taken as fed (the QName text
		// is signed), one bound to another namespace is not.
		if (ns == nsFed || ns == "") && (local == roleSTS || local == roleAppServ) {
			return true
		}
	}
	return false
}

// xsiType splits el's xsi:type QName into the namespace its prefix is
// bound to ("" when unbound) and its local name.
func xsiType(el *etree.Element) (ns, local string) {
	var v string
	for _, a := range el.Attr {
		if a.Key == "type" && a.NamespaceURI() == nsXSI {
			v = strings.TrimSpace(a.Value)
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

// checkValidUntil refuses el when its validUntil (metadata §2.3.1) has
// passed: stale metadata may name endpoints and keys the SP gave up. It
// returns the validUntil (zero when el has none).
func checkValidUntil(el *etree.Element, now time.Time) (time.Time, error) {
	v := el.SelectAttrValue("validUntil", "")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s validUntil %q is not an xs:dateTime", el.Tag, xmltext.Clip(v))
	}
	if !now.Before(t) {
		return time.Time{}, fmt.Errorf("%s expired: validUntil %s, now %s", el.Tag, xmltext.FormatTime(t), xmltext.FormatTime(now))
	}
	return t, nil
}

func metadataBool(el *etree.Element, name string) (bool, error) {
	b, se := boolAttr(el, name)
	if se != nil {
		return false, errors.New(se.Detail)
	}
	return b, nil
}

// containsToken reports whether the space-separated list s holds tok.
func containsToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if f == tok {
			return true
		}
	}
	return false
}
