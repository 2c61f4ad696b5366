package explain

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/saml2"
	"github.com/claimgate/claimgate/sts/xmlsafe"
)

// samlResponse is a samlp:Response and what the rules read from it. Values
// are taken from what a signature covers (signedPart.read), so a rule can
// never pass on content beside the signed element.
type samlResponse struct {
	resp                          signedPart // the Response and its own signature
	status, subStatus, statusMsg  string
	enc                           *encryption // set for an EncryptedAssertion
	encErr                        error       // decryption failed
	assertions, encrypted, nested int         // direct Assertions, EncryptedAssertions, Assertions deeper down
	assertion                     signedPart  // the assertion (decrypted when it was encrypted)
	tok                           *token      // the assertion for the shared rules; nil when there is none
}

// explainResponse runs the SAML 2.0 Response rules (SAML2CheckNames).
func explainResponse(r *Report, root *etree.Element, opts Options, now time.Time, skew time.Duration, allowed []string) {
	s := &samlResponse{resp: verifyPart(root, opts.TrustedCerts)}
	s.readStatus()
	s.findAssertion(opts)
	r.add(responseCheck(s.base(), now, skew))
	r.add(s.statusCheck(r))
	r.add(s.encryptionCheck(opts))
	if s.tok != nil {
		r.add(versionCheck(s.tok))
		r.add(idCheck(s.tok))
	} else {
		r.add(skip(CheckVersion, s.noAssertion()))
		r.add(skip(CheckAssertionID, s.noAssertion()))
	}
	r.add(s.issuerCheck(opts))
	r.add(s.destinationCheck(opts))
	r.add(s.inResponseToCheck(opts))
	r.add(s.wrappingCheck())
	for _, c := range s.signatureChecks(opts, now, allowed) {
		r.add(c)
	}
	if s.tok == nil {
		for _, n := range []string{CheckConfirmation, CheckAudience, CheckLifetime, CheckAuthnStatement, CheckNameID, CheckAttributes} {
			r.add(skip(n, s.noAssertion()))
		}
		return
	}
	r.add(s.confirmationCheck(opts, now, skew))
	r.add(samlAudienceCheck(s.tok, opts))
	r.add(lifetimeCheck(s.tok, now, skew))
	r.add(samlAuthnCheck(s.tok))
	r.add(nameIDCheck(s.tok))
	r.add(attributesCheck(s.tok))
	r.Claims = s.tok.claims()
}

// base is the Response the values are read from: the signed one when its
// signature verified.
func (s *samlResponse) base() *etree.Element { return s.resp.read() }

func (s *samlResponse) success() bool { return s.status == statusSuccess }

func (s *samlResponse) noAssertion() string {
	switch {
	case !s.success():
		return "error Response: no assertion"
	case s.enc != nil && s.encErr == nil:
		return "the assertion is encrypted; give the service provider's private key (--decrypt-key) to examine it"
	case s.enc != nil:
		return "the encrypted assertion could not be decrypted (see " + CheckEncryption + ")"
	}
	return "no assertion to examine"
}

func (s *samlResponse) readStatus() {
	st := xmlsafe.Child(s.base(), nsSAML2P, "Status")
	if st == nil {
		return
	}
	if sc := xmlsafe.Child(st, nsSAML2P, "StatusCode"); sc != nil {
		s.status = sc.SelectAttrValue("Value", "")
		if sub := xmlsafe.Child(sc, nsSAML2P, "StatusCode"); sub != nil {
			s.subStatus = sub.SelectAttrValue("Value", "")
		}
	}
	if m := xmlsafe.Child(st, nsSAML2P, "StatusMessage"); m != nil {
		s.statusMsg = strings.TrimSpace(m.Text())
	}
}

// findAssertion counts the assertions (for signature-wrapping) and takes
// the one the rules read: the only direct Assertion, or the decrypted
// EncryptedAssertion.
func (s *samlResponse) findAssertion(opts Options) {
	base := s.base()
	as := xmlsafe.Children(base, nsSAML2, "Assertion")
	eas := xmlsafe.Children(base, nsSAML2, "EncryptedAssertion")
	s.assertions, s.encrypted = len(as), len(eas)
	for _, el := range base.FindElements(".//*") {
		if el.Parent() != base && el.NamespaceURI() == nsSAML2 && (el.Tag == "Assertion" || el.Tag == "EncryptedAssertion") {
			s.nested++
		}
	}
	var a *etree.Element
	switch {
	case len(as) > 0:
		// With several (signature-wrapping fails then), the signed one is
		// judged: the rules show what the signature covers.
		a = as[0]
		for _, x := range as {
			if xmlsafe.Child(x, xmlsafe.NSDSig, "Signature") != nil {
				a = x
				break
			}
		}
	case len(eas) > 0:
		s.enc = readEncryption(eas[0])
		if opts.DecryptionKey == nil {
			return
		}
		plain, err := s.enc.decrypt(opts.DecryptionKey)
		if err == nil {
			a, err = decryptedAssertion(plain, opts.MaxBytes)
		}
		if err != nil {
			s.encErr = err
			return
		}
	default:
		return
	}
	s.assertion = verifyPart(a, opts.TrustedCerts)
	s.tok = &token{kind: "SAML 2.0 Response", version: "2.0", idAttr: "ID", assertion: s.assertion.read()}
}

// decryptedAssertion passes the plaintext through the same XML gate as
// any input: it came from the sender as much as the rest.
func decryptedAssertion(plain []byte, maxBytes int64) (*etree.Element, error) {
	d, err := xmlsafe.Read(plain, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("the decrypted content is not usable XML: %w", err)
	}
	if !xmlsafe.Is(d.Root(), nsSAML2, "Assertion") {
		return nil, fmt.Errorf("the decrypted content is {%s}%s, not a saml:Assertion", d.Root().NamespaceURI(), d.Root().Tag)
	}
	return d.Root(), nil
}

func responseCheck(root *etree.Element, now time.Time, skew time.Duration) Check {
	const fix = `give the Response Version="2.0", an ID that is an NCName ("_" and a UUID) and IssueInstant in UTC`
	v, id, at := root.SelectAttrValue("Version", ""), root.SelectAttrValue("ID", ""), root.SelectAttrValue("IssueInstant", "")
	switch {
	case v != "2.0":
		return fail(CheckResponse, codeSAML, fmt.Sprintf("Response Version=%q, not 2.0", v), fix)
	case !isNCName(id):
		return fail(CheckResponse, codeSAML, fmt.Sprintf("Response ID %q is not an NCName", id), fix)
	}
	t, err := parseTime(at)
	switch {
	case err != nil:
		return fail(CheckResponse, codeSAML, fmt.Sprintf("Response IssueInstant %q is not an xs:dateTime", at), fix)
	case t.After(now.Add(skew)):
		return fail(CheckResponse, codeSAML, fmt.Sprintf("Response IssueInstant %s is after now (%s) plus the skew allowed (%s)", at, now.UTC().Format(time.RFC3339), skew),
			"synchronise the clocks (NTP)")
	}
	return pass(CheckResponse, fmt.Sprintf("Version 2.0, ID %q, IssueInstant %s", id, at))
}

func (s *samlResponse) statusCheck(r *Report) Check {
	switch {
	case s.status == "":
		return fail(CheckStatus, codeSAML, "the Response has no Status/StatusCode", "every Response carries samlp:Status with a StatusCode")
	case s.success():
		return pass(CheckStatus, "Success")
	}
	what := shortURN(s.status)
	if s.subStatus != "" {
		what += " / " + shortURN(s.subStatus)
	}
	if s.statusMsg != "" {
		what += fmt.Sprintf(" (%q)", s.statusMsg)
	}
	r.Refusal = "the identity provider refused the sign-in: " + what + statusHint(s.subStatus)
	return pass(CheckStatus, "error Response: top-level status "+s.status+secondLevel(s.subStatus)+statusHint(s.subStatus))
}

func secondLevel(sub string) string {
	if sub == "" {
		return ", no second-level status"
	}
	return ", second-level " + sub
}

// statusHint says what an AD FS administrator does about the second-level
// statuses claimgate sends.
func statusHint(sub string) string {
	switch sub {
	case saml2.StatusInvalidNameIDPolicy:
		return "; the NameID format AD FS asked for (-RequiredNameIdFormat) is not the one configured for it (name_id_format), or the user lacks the value"
	case saml2.StatusNoAuthnContext:
		return "; AD FS asked for an authentication context (RequestedAuthnContext) the sign-in did not satisfy"
	case saml2.StatusNoPassive:
		return "; AD FS asked for a passive sign-in (IsPassive) and the user had no session"
	case saml2.StatusRequestDenied, saml2.StatusAuthnFailed:
		return "; the sign-in was refused: claimgate's log says why"
	}
	return ""
}

// shortURN is the last part of a status URN, for the verdict line.
func shortURN(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (s *samlResponse) encryptionCheck(opts Options) Check {
	switch {
	case s.enc == nil:
		return pass(CheckEncryption, "the assertion is not encrypted (encryption is optional; AD FS decrypts it when it is)")
	case s.enc.err != nil:
		return fail(CheckEncryption, codeSAML, "EncryptedAssertion is not readable: "+s.enc.err.Error(), "encrypt with xenc:EncryptedData holding the EncryptedKey (xmlenc-core)")
	case opts.DecryptionKey == nil:
		return skip(CheckEncryption, "encrypted ("+s.enc.describe()+"); not decrypted: no private key given")
	case s.encErr != nil:
		return fail(CheckEncryption, codeSAML, "encrypted ("+s.enc.describe()+"), and decrypting it failed: "+s.encErr.Error(),
			"encrypt to the service provider's current encryption certificate (AD FS: its token-decrypting certificate, in its metadata) with AES-CBC or AES-GCM and RSA-OAEP")
	}
	return pass(CheckEncryption, "encrypted ("+s.enc.describe()+"), decrypted with the key given")
}
