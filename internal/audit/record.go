package audit

import (
	"strings"
	"time"
)

// Event names one kind of audit record.
type Event string

// The events claimgate records.
const (
	EventFirstFactorOK       Event = "first_factor_ok"
	EventFirstFactorFailed   Event = "first_factor_failed"
	EventSecondFactorOK      Event = "second_factor_ok"
	EventSecondFactorFailed  Event = "second_factor_failed"
	EventLockout             Event = "lockout"
	EventUnlock              Event = "unlock"
	EventEnrolment           Event = "enrolment"
	EventFactorRemoved       Event = "factor_removed"
	EventEnrolmentCodeIssued Event = "enrolment_code_issued"
	EventAppPasswordCreated  Event = "app_password_created"
	EventAppPasswordUsed     Event = "app_password_used"
	EventAppPasswordRevoked  Event = "app_password_revoked"
	EventTokenIssued         Event = "token_issued"
	EventSignOut             Event = "sign_out"
)

// Outcome says whether the recorded step succeeded.
type Outcome string

// The outcomes of a recorded step.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	// OutcomeDenied is a request refused before any credential was checked
	// (for example while locked out).
	OutcomeDenied Outcome = "denied"
	// OutcomeInfo is an administrative or informational event.
	OutcomeInfo Outcome = "info"
)

// Record is one audit trail entry. It has no field for a secret by design: a
// test pins that no field name suggests one.
type Record struct {
	Time         time.Time `json:"time"`
	Event        Event     `json:"event"`
	Outcome      Outcome   `json:"outcome"`
	User         string    `json:"user,omitempty"`
	ClientAddr   string    `json:"client_addr,omitempty"`
	UserAgent    string    `json:"user_agent,omitempty"`
	RequestID    string    `json:"request_id,omitempty"`
	RelyingParty string    `json:"relying_party,omitempty"`
	// Reason is a short machine-readable cause, e.g. "bad_password",
	// "unknown_user", "locked_out", "replayed_code" (claims.Reason values).
	Reason string `json:"reason,omitempty"`
	// Factor names the second factor involved as "kind/name", e.g. "totp/phone".
	Factor string `json:"factor,omitempty"`
	// Detail holds extra non-secret context. Keys that look like secrets are
	// redacted by Sanitize.
	Detail map[string]string `json:"detail,omitempty"`
}

// Redacted replaces Detail values whose key names a secret.
const Redacted = "[redacted]"

// maxField caps every string field: user agents and usernames come from the
// network and must not bloat the log or the store.
const maxField = 512

// secretWords are substrings of Detail keys whose values are never recorded.
var secretWords = []string{"pass", "pwd", "secret", "code", "otp", "token", "pin", "key", "seed", "cookie", "session", "credential"}

// isSecretKey reports whether a Detail key looks like it names a secret.
func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Sanitize returns a copy of r that is safe to record: Detail values under
// secret-looking keys are redacted, long fields truncated, the time in UTC.
func (r Record) Sanitize() Record {
	r.Time = r.Time.UTC()
	r.User = truncate(r.User)
	r.ClientAddr = truncate(r.ClientAddr)
	r.UserAgent = truncate(r.UserAgent)
	r.RequestID = truncate(r.RequestID)
	r.RelyingParty = truncate(r.RelyingParty)
	r.Reason = truncate(r.Reason)
	r.Factor = truncate(r.Factor)
	if r.Detail != nil {
		d := make(map[string]string, len(r.Detail))
		for k, v := range r.Detail {
			k = truncate(k)
			if isSecretKey(k) {
				v = Redacted
			}
			d[k] = truncate(v)
		}
		r.Detail = d
	}
	return r
}

// truncate cuts s to maxField bytes without splitting a UTF-8 sequence.
func truncate(s string) string {
	if len(s) <= maxField {
		return s
	}
	cut := maxField
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
