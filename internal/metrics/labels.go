package metrics

import (
	"net/http"
	"strconv"
	"strings"
)

// Other is the label value for anything outside a label's known values.
const Other = "other"

// unmatched is the route label of a request no route matched.
const unmatched = "unmatched"

// oneOf returns v when it is in known, else Other.
func oneOf(v string, known map[string]bool) string {
	if known[v] {
		return v
	}
	return Other
}

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

var (
	// The audit events and outcomes (internal/audit).
	knownEvents = set("first_factor_ok", "first_factor_failed", "second_factor_ok", "second_factor_failed",
		"lockout", "unlock", "enrolment", "factor_removed", "enrolment_code_issued", "app_password_created",
		"app_password_used", "app_password_revoked", "token_issued", "sign_out")
	knownOutcomes = set("success", "failure", "denied", "info")
	// First factors (the login flow's methods) and second factors
	// (store.Kind*).
	firstFactors  = set("password", "app_password")
	secondFactors = set("totp", "hotp", "sms")
	// Reasons a sign-in step is refused: claims.Reason values and the
	// login flow's own.
	knownReasons = set("unknown_user", "ambiguous_user", "bad_password", "account_disabled", "account_locked",
		"password_expired", "password_must_change", "account_expired", "not_permitted", "policy",
		"locked_out", "bad_code", "no_factor_enrolled", "replayed_code", "not_allowed", "has_factor", "busy")
	// Lock scopes (lockout.Scope).
	knownScopes = set("pair", "addr", "user")
	// New-session budgets (login.Budget*).
	knownBudgets = set("client", "instance", "proven")
	knownMethods = set(http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace)
)

// firstFactor labels the factor of a first-factor record: the method that
// succeeded, or "password" for a failure (which does not say whether the
// domain password or an app password was wrong).
func firstFactor(f string) string {
	if f == "" {
		return "password"
	}
	return oneOf(f, firstFactors)
}

// secondFactor labels the factor of a second-factor record: "none" when
// the user had none to use.
func secondFactor(f string) string {
	if f == "" {
		return "none"
	}
	return oneOf(f, secondFactors)
}

// factorsUsed labels a token's factors, "password+totp": each part from
// the known factors, at most two.
func factorsUsed(f string) string {
	first, second, two := strings.Cut(f, "+")
	out := firstFactor(first)
	if two {
		out += "+" + secondFactor(second)
	}
	return out
}

// statusClass is "2xx" for 200 to 299 and so on; anything outside 100 to
// 599 is Other.
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return Other
	}
	return strconv.Itoa(code/100) + "xx"
}

// routeLabel labels a chi route pattern; the empty pattern is unmatched. Route
// patterns are the router's own, so they are finite.
func routeLabel(pattern string) string {
	if pattern == "" {
		return unmatched
	}
	return pattern
}
