package sts

import (
	"crypto"
	"crypto/x509"
	"net/url"
	"time"

	"github.com/beevik/etree"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/sts/metadata"
	"github.com/claimgate/claimgate/sts/saml11"
	"github.com/claimgate/claimgate/sts/wsfed"
	"github.com/claimgate/claimgate/sts/xmlsig"
)

// This file is the facade of the sts split: every name below moved to a
// document package and is kept here only for code outside sts/ that
// still uses it. New code imports the package named in each comment;
// once the callers have moved, this file is deleted.

// WS-Federation request and response. Kept while callers move; see sts/wsfed.
type (
	Request       = wsfed.Request
	RequestError  = wsfed.RequestError
	RelyingParty  = wsfed.RelyingParty
	Parties       = wsfed.Parties
	PartyList     = wsfed.PartyList
	WSFedResponse = wsfed.Response
)

// WS-Federation actions and RequestError codes. Kept while callers move;
// see sts/wsfed.
const (
	WaSignIn             = wsfed.WaSignIn
	WaSignOutCleanup     = wsfed.WaSignOutCleanup
	ActionSignIn         = wsfed.ActionSignIn
	ActionSignOut        = wsfed.ActionSignOut
	ActionSignOutCleanup = wsfed.ActionSignOutCleanup
	CodeUnknownRealm     = wsfed.CodeUnknownRealm
	CodeForeignReply     = wsfed.CodeForeignReply
	CodeTooLarge         = wsfed.CodeTooLarge
)

// ParseWSFed is wsfed.ParseRequest. Kept while callers move; see sts/wsfed.
func ParseWSFed(q url.Values, parties Parties) (*Request, error) {
	return wsfed.ParseRequest(q, parties)
}

// AuthenticationMethodFor is wsfed.AuthenticationMethodFor. Kept while
// callers move; see sts/wsfed.
func AuthenticationMethodFor(wauth string, secondFactor bool) (method string, satisfied bool) {
	return wsfed.AuthenticationMethodFor(wauth, secondFactor)
}

// VerifyWSFedResult is wsfed.VerifyResult. Kept while callers move; see
// sts/wsfed.
func VerifyWSFedResult(wresult []byte, opts VerifyOptions) (*Token, error) {
	return wsfed.VerifyResult(wresult, opts)
}

// SAML 1.1 assertion and verified token. Kept while callers move; see
// sts/saml11.
type (
	Subject       = saml11.Subject
	Authn         = saml11.Authn
	Token         = saml11.Token
	VerifyOptions = saml11.VerifyOptions
)

// MaxTokenSize is saml11.MaxTokenSize. Kept while callers move; see
// sts/saml11.
const MaxTokenSize = saml11.MaxTokenSize

// Signature algorithm names and URIs. Kept while callers move; see
// sts/xmlsig.
const (
	AlgRSASHA256 = xmlsig.AlgRSASHA256
	AlgRSASHA1   = xmlsig.AlgRSASHA1
	SigRSASHA256 = xmlsig.SigRSASHA256
	SigRSASHA1   = xmlsig.SigRSASHA1
)

// SignatureMethods is xmlsig.SignatureMethods. Kept while callers move;
// see sts/xmlsig.
func SignatureMethods(alg string) ([]string, error) { return xmlsig.SignatureMethods(alg) }

// CheckSignatureAlgorithms is xmlsig.CheckSignatureAlgorithms. Kept while
// callers move; see sts/xmlsig.
func CheckSignatureAlgorithms(sig *etree.Element, allowed []string) error {
	return xmlsig.CheckSignatureAlgorithms(sig, allowed)
}

// MetadataConfig is the flat form of metadata.Config with its WSFed role.
// Kept while callers move; see sts/metadata.
type MetadataConfig struct {
	EntityID                     string
	PassiveEndpoint              string
	SecurityTokenServiceEndpoint string
	Certificates                 []*x509.Certificate
	ClaimTypes                   []claims.TypeInfo
	Signer                       crypto.Signer
	SigningCertificate           *x509.Certificate
	Now                          func() time.Time
	NewID                        func() string
	ValidFor                     time.Duration
}

// BuildMetadata is metadata.Build with a WS-Fed role. Kept while callers
// move; see sts/metadata.
func BuildMetadata(cfg MetadataConfig) ([]byte, error) {
	return metadata.Build(metadata.Config{
		EntityID:           cfg.EntityID,
		Certificates:       cfg.Certificates,
		Signer:             cfg.Signer,
		SigningCertificate: cfg.SigningCertificate,
		Now:                cfg.Now,
		NewID:              cfg.NewID,
		ValidFor:           cfg.ValidFor,
		WSFed: &metadata.WSFedRole{
			PassiveEndpoint:              cfg.PassiveEndpoint,
			SecurityTokenServiceEndpoint: cfg.SecurityTokenServiceEndpoint,
			ClaimTypes:                   cfg.ClaimTypes,
		},
	})
}
