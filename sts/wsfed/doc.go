// Package wsfed is the WS-Federation passive protocol (MS-WSFED, as AD FS
// speaks it; protocol notes §1–§3): the request AD FS sends, and the
// WS-Trust RSTR envelope the token goes back in.
//
//	GET/POST /wsfed?wa=wsignin1.0&wtrealm=…&wctx=…   (the HTTP layer is elsewhere)
//	  └─ ParseRequest(query, parties) → *Request  (or *RequestError: fixed user message + log detail)
//	       Request.AuthenticationMethod / AuthenticationMethodFor: which wauth a sign-in satisfied
//	  └─ sts.Issuer.IssueWSFed signs a saml11 assertion and wraps it:
//	       BuildRSTR(signed bytes, …) → WS-Trust 2005/02 RSTR, the bytes spliced in untouched
//	       → *Response: wa, wresult, wctx for the auto-POST form to ReplyURL
//
//	demo relying party / tooling
//	  └─ VerifyResult(wresult, saml11.VerifyOptions) → *saml11.Token (or *xmlsig.VerifyError)
//	       the xmlsafe gate → one RSTR holding one assertion → saml11.VerifyElement
//	       → AppliesTo equals the Audience
//
// AuthenticationMethodFor is shared with claimgate explain, so the issuer
// and explain cannot disagree about which method should have been sent.
//
// What it must never do: import net/http or know sessions and pages (it
// takes url.Values and returns values; internal/login serves the routes),
// trust a request value before ParseRequest checked it, follow a reply
// address that is not a configured party's, echo input in a
// RequestError.Message, or build and sign the assertion itself (saml11
// and xmlsig do).
package wsfed
