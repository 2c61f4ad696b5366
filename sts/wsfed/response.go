package wsfed

import "time"

// Response is what goes back to the relying party in an auto-POST form:
// wa, wresult and wctx, POSTed to ReplyURL. sts.Issuer.IssueWSFed makes it.
type Response struct {
	ReplyURL     string
	Wa           string
	WResult      string
	WCtx         string
	AssertionID  string
	NotOnOrAfter time.Time
}
