package saml2

import (
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/sts/internal/xmltext"
	"github.com/claimgate/claimgate/sts/xmlsafe"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// nameIDEntity is the only Issuer Format a request may name (core §3.2.1).
const nameIDEntity = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

// header is what every SAML request carries (RequestAbstractType).
type header struct {
	ID           string
	Version      string
	IssueInstant time.Time
	Destination  string
	Issuer       string
}

// readMessage passes m through the untrusted-XML gate, finds its SP by
// Issuer and checks its signature; it returns the element values may be
// read from (the signed one when there is a signature), its header, the
// SP, and whether it was signed. Every refusal here has no SAML answer:
// the sender is unknown or unproven.
func readMessage(m *message, tag string, sps SPs, required func(*SP) bool, o *ParseOptions) (*etree.Element, *header, *SP, bool, error) {
	root, err := xmlsig.ReadUntrusted(m.xml, o.MaxBytes)
	if err != nil {
		return nil, nil, nil, false, refuse(StatusRequester, "", "%v", err)
	}
	if !xmlsafe.Is(root, NSProtocol, tag) {
		return nil, nil, nil, false, refuse(StatusRequester, StatusRequestUnsupported, "message is %s, want samlp:%s", xmltext.Clip(root.FullTag()), tag)
	}
	issuer, err := readIssuer(root)
	if err != nil {
		return nil, nil, nil, false, err
	}
	sp, ok := sps.SP(issuer)
	if !ok {
		return nil, nil, nil, false, refuse(StatusRequester, StatusRequestDenied, "issuer %q is not a configured service provider", xmltext.Clip(issuer))
	}
	el, signed, err := verifyMessage(root, m, sp, required(sp), o)
	if err != nil {
		return nil, nil, nil, false, err
	}
	h, err := readHeader(el)
	if err != nil {
		return nil, nil, nil, false, err
	}
	if h.Issuer != issuer {
		return nil, nil, nil, false, refuse(StatusRequester, StatusRequestDenied, "signed Issuer differs from the one read")
	}
	return el, h, sp, signed, nil
}

func readIssuer(el *etree.Element) (string, error) {
	iss := xmlsafe.Children(el, NSAssertion, "Issuer")
	if len(iss) != 1 || iss[0].Text() == "" {
		return "", refuse(StatusRequester, "", "%d saml:Issuer elements, want one with the SP's entity ID", len(iss))
	}
	if f := iss[0].SelectAttrValue("Format", nameIDEntity); f != nameIDEntity {
		return "", refuse(StatusRequester, "", "Issuer Format %q is not the entity format", xmltext.Clip(f))
	}
	return iss[0].Text(), nil
}

// readHeader reads the RequestAbstractType attributes. Their checks
// against our clock and endpoint come later (header.check), once the
// answer's address is known.
func readHeader(el *etree.Element) (*header, error) {
	issuer, err := readIssuer(el)
	if err != nil {
		return nil, err
	}
	h := &header{
		ID: el.SelectAttrValue("ID", ""), Version: el.SelectAttrValue("Version", ""),
		Destination: el.SelectAttrValue("Destination", ""), Issuer: issuer,
	}
	// ID is an xs:ID (core §3.2.1): an NCName. It comes back as
	// InResponseTo, so anything else would also make our answer
	// schema-invalid, and whitespace in it could be normalized away by
	// the SP's parser before it compares.
	if h.ID == "" || len(h.ID) > maxIDLen || !xmltext.IsNCName(h.ID) {
		return nil, refuse(StatusRequester, "", "request ID is missing, longer than %d bytes or not an NCName", maxIDLen)
	}
	if xmltext.CheckText("Destination", h.Destination) != nil {
		return nil, refuse(StatusRequester, "", "Destination is not XML text")
	}
	v := el.SelectAttrValue("IssueInstant", "")
	if h.IssueInstant, err = time.Parse(time.RFC3339Nano, v); err != nil {
		return nil, refuse(StatusRequester, "", "IssueInstant %q is not an xs:dateTime", xmltext.Clip(v))
	}
	return h, nil
}

// replayMargin is how long past the last moment a request could still
// be accepted its ID is remembered: the cache's expiry and our clock need
// not agree to the second.
const replayMargin = time.Minute

// check judges the header against our endpoint and clock: Version,
// Destination (required when signed), IssueInstant within the skew, and,
// for a signed message, the replay cache.
func (h *header) check(o *ParseOptions, signed bool) *StatusError {
	switch {
	case h.Version == version:
	case h.Version > version:
		return refuse(StatusVersionMismatch, StatusRequestVersionTooHigh, "Version %q", xmltext.Clip(h.Version))
	default:
		return refuse(StatusVersionMismatch, StatusRequestVersionTooLow, "Version %q", xmltext.Clip(h.Version))
	}
	// A signed message must name its Destination (bindings §3.4.5.2,
	// §3.5.5.2): otherwise a request the SP signed for another IdP, or
	// another of our endpoints, would be good here too.
	if signed && h.Destination == "" {
		return refuse(StatusRequester, StatusRequestDenied, "signed request has no Destination")
	}
	if h.Destination != "" && h.Destination != o.Endpoint {
		return refuse(StatusRequester, StatusRequestDenied, "Destination %q is not our endpoint %q", xmltext.Clip(h.Destination), o.Endpoint)
	}
	now := o.Now()
	if d := now.Sub(h.IssueInstant); d > o.Skew || d < -o.Skew {
		return refuse(StatusRequester, StatusRequestDenied, "IssueInstant %s is more than %s from now (%s)",
			xmltext.FormatTime(h.IssueInstant), o.Skew, xmltext.FormatTime(now))
	}
	// The request stays acceptable until IssueInstant + Skew, and an
	// IssueInstant up to Skew ahead of us is accepted; remember it until
	// max(IssueInstant, now) + Skew + a margin.
	latest := h.IssueInstant
	if now.After(latest) {
		latest = now
	}
	// Only a signed message is remembered: an unsigned one anyone can
	// make again with a new ID, so refusing its replay protects nothing,
	// while remembering it would let anyone write a durable row per
	// request, before any budget (a review found 2,000 rows in 3.7 s).
	if signed && o.Replay != nil && o.Replay.Seen(h.Issuer+"\x00"+h.ID, latest.Add(o.Skew+replayMargin)) {
		return refuse(StatusRequester, StatusRequestDenied, "request ID %q from %q was already used", xmltext.Clip(h.ID), xmltext.Clip(h.Issuer))
	}
	return nil
}
