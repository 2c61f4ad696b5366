// Package metadata builds claimgate's signed federation metadata: one
// md:EntityDescriptor that AD FS imports with Add-AdfsClaimsProviderTrust
// -MetadataUrl, built once at start-up and served as cached bytes.
//
//	Build(Config)
//	  check: entity ID, each role's own fields, published certificates, the
//	         signing key pair (xmlsig.CheckKeyPair) among them
//	  md:EntityDescriptor ID, entityID, validUntil
//	    one child per role, in schema order:
//	      WSFed → md:RoleDescriptor xsi:type="fed:SecurityTokenServiceType" (wsfed.go)
//	      (SAML 2.0 will add md:IDPSSODescriptor beside it, in its own file,
//	       with its own *Config field; keyDescriptors is shared)
//	  every attribute and text checked for XML 1.0
//	  xmlsig.Signer with the metadata layout: Reference #ID, ds:Signature first
//
// What it must never do: serve HTTP, fetch anything or read other parties'
// metadata (that is sts/adfsmeta and internal/rpsource), hold state between
// builds, or sign in any other way than through xmlsig.
package metadata
