package explain

// Check names of the SAML 2.0 Response rules, beside the ones they share
// with the WS-Fed rules (well-formed, saml-version, assertion-id, issuer,
// signature, signing-key, signature-algorithm, audience, lifetime,
// authentication-statement).
const (
	CheckResponse     = "response"
	CheckStatus       = "status"
	CheckEncryption   = "encryption"
	CheckDestination  = "destination"
	CheckInResponseTo = "in-response-to"
	CheckWrapping     = "signature-wrapping"
	CheckSigReference = "signature-reference"
	CheckConfirmation = "subject-confirmation"
	CheckNameID       = "name-id"
	CheckAttributes   = "attributes"
)

// SAML2CheckNames lists the checks of a SAML 2.0 Response in report order.
func SAML2CheckNames() []string {
	return []string{CheckWellFormed, CheckResponse, CheckStatus, CheckEncryption, CheckVersion, CheckAssertionID,
		CheckIssuer, CheckDestination, CheckInResponseTo, CheckWrapping, CheckSignature, CheckSigReference,
		CheckSigningKey, CheckSigAlgorithm, CheckConfirmation, CheckAudience, CheckLifetime, CheckAuthnStatement,
		CheckNameID, CheckAttributes}
}

// codeSAML is what AD FS logs for a SAML 2.0 Response it refuses: event
// 364, whose inner exception text names the fault. Which inner MSIS codes
// a SAML-profile claims provider trust produces is not confirmed on a real
// farm (docs/adfs.md), so explain names only the event.
const codeSAML = "364"
