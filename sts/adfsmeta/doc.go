// Package adfsmeta imports an AD FS federation metadata document
// (https://<host>/FederationMetadata/2007-06/FederationMetadata.xml) so that a
// relying party can be configured from AD FS's own description of itself.
//
// The flow Parse owns, in the order nothing is trusted before the step above it:
//
//	bytes ── sts/xmlsafe.Read, the gate every untrusted XML in claimgate passes:
//	         size cap (Options.MaxBytes, 1 MiB), any "<!" construct refused (DOCTYPE,
//	         ENTITY and other declarations, comments, CDATA: no entity expansion, ever),
//	         mattermost/xml-roundtrip-validator, etree parse
//	      ── root must be one md:EntityDescriptor (AD FS publishes no aggregates)
//	      ── enveloped ds:Signature (ID attribute "ID"): the KeyInfo certificate
//	         (xmlsafe.KeyInfoCerts) must be pinned by thumbprint or equal to a TrustedCerts
//	         entry; xmlsafe.VerifyEnveloped then checks digest and signature without
//	         judging the certificate's dates, because AD FS signing certificates are
//	         routinely past NotAfter in long-lived lab farms and the pin, not the dates,
//	         is what carries trust. Expiry becomes a warning.
//	      ── extraction from the element goxmldsig returns (the bytes that were actually
//	         signed), never from the original tree, so wrapped or unsigned siblings are ignored.
//
// What is extracted: entityID (the AD FS identifier, which claimgate copies into
// Audience), the WS-Fed passive endpoint (/adfs/ls/), the SAML assertion consumer
// services, every token-signing certificate (AD FS publishes the secondary one during
// its own rollover) and the token-encryption certificate.
//
// Package rpsource (internal/rpsource) fetches and refreshes documents; this package
// is pure: no I/O, clock injected.
package adfsmeta
