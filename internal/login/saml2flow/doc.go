// Package saml2flow is the SAML 2.0 adapter of the sign-in flow, beside
// WS-Federation's (internal/login/wsfedflow): it serves the identity
// provider endpoints AD FS (Add-AdfsClaimsProviderTrust -ProtocolProfile
// SAML), Shibboleth or SimpleSAMLphp send their users to, parses requests
// with sts/saml2 into a protocol-neutral login.Pending, and answers a
// finished sign-in with a signed samlp:Response on the auto-POST page.
//
//	GET  /saml2/sso?SAMLRequest=…   saml2.ParseRedirect(r.URL.RawQuery) ─┐
//	POST /saml2/sso                 saml2.ParsePOST(form) ───────────────┤
//	                                  refused, ACS known → error Response (auto-POST to the ACS)
//	                                  refused otherwise  → 400 page (nothing sent anywhere)
//	                                  ok → Pending{Protocol: "saml2", Party: SP entity ID,
//	                                     RequestedAuthn (MultiFactor when only a second factor
//	                                     satisfies RequestedAuthnContext), ForceAuthn, Passive,
//	                                     State: {id, sp, acs, relay_state, nameid_format, …}}
//	                                     → Flow.Begin (SSO from a finished session of either
//	                                     protocol; passive without one → Refuse: NoPassive)
//	(sign-in finished)              Adapter.Answer: SP and ACS looked up again, IdP.Respond
//	                                  → SAMLResponse + RelayState → the ACS;
//	                                  a request the sign-in cannot satisfy → error Response
//	                                  (NoAuthnContext, InvalidNameIDPolicy)
//	GET|POST /saml2/slo             saml2.ParseLogoutRedirect/POST → Flow.EndSession
//	                                  → signed LogoutResponse to the SP's POST SLO endpoint
//	                                  (or the "signed out" page when it has none)
//
// Request IDs are remembered in the store (Codes: user "saml2", factor =
// the SP's entity ID, fingerprint = the request ID) until they would be
// too old anyway, so a request is answered once across every instance
// sharing the store. The state machine in internal/login knows nothing of
// SAML: it stores the Pending and hands the signed-in user to Answer.
package saml2flow
