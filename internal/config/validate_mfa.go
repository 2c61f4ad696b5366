package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/claimgate/claimgate/internal/mfa"
)

func (c *Config) validateMFA(ps *problems) {
	m := c.MFA
	const p = "mfa"
	if m.TOTP.Digits != 6 && m.TOTP.Digits != 8 {
		ps.add(p+".totp.digits", "must be 6 or 8")
	}
	if m.TOTP.Period != 30*time.Second && m.TOTP.Period != 60*time.Second {
		ps.add(p+".totp.period", "must be 30s or 60s")
	}
	switch m.TOTP.Algorithm {
	case "SHA1", "SHA256", "SHA512":
	default:
		ps.add(p+".totp.algorithm", "must be SHA1, SHA256 or SHA512")
	}
	if m.TOTP.SkewSteps < 0 || m.TOTP.SkewSteps > 3 {
		ps.add(p+".totp.skew_steps", "must be between 0 and 3")
	}
	if m.TOTP.IssuerName == "" || strings.Contains(m.TOTP.IssuerName, ":") {
		ps.add(p+".totp.issuer_name", "must be set and must not contain ':' (it separates issuer and account in authenticator apps)")
	}
	if m.HOTP.LookAhead < 0 || m.HOTP.LookAhead > 100 {
		ps.add(p+".hotp.look_ahead", "must be between 0 and 100")
	}
	if m.HOTP.ResyncLookAhead < m.HOTP.LookAhead || m.HOTP.ResyncLookAhead > 10000 {
		ps.add(p+".hotp.resync_look_ahead", "must be between hotp.look_ahead and 10000")
	}
	if m.AppPasswords.Policy != DomainPasswordAllowed && m.AppPasswords.Policy != AppPasswordOnly {
		ps.add(p+".app_passwords.policy", "must be domain_password_allowed or app_password_only")
	}
	e := m.Enrolment
	if e.SelfEnrolment && len(e.AllowedNetworks) == 0 && !e.RequireCode {
		ps.add(p+".enrolment", "self_enrolment needs allowed_networks or require_code: true; otherwise whoever has a stolen password could enrol their own second factor")
	}
	for _, n := range e.AllowedNetworks {
		if tooWide(n) {
			ps.add(p+".enrolment.allowed_networks", "%s is a large part of the Internet: list the organisation's own networks, or use require_code: true; otherwise whoever has a stolen password could enrol their own second factor", n)
		}
	}
	positive(ps, p+".enrolment.code_ttl", e.CodeTTL, 90*24*time.Hour)
	if !m.EncryptionKey.IsSet() {
		ps.add(p+".encryption_key", "required: 32 random bytes as hex or base64 (make one with: openssl rand -hex 32); it encrypts second-factor secrets in the store")
	} else if _, err := m.Key(); err != nil {
		ps.add(p+".encryption_key", "%v", err)
	}
}

// Key decodes the encryption key: 64 hex digits or base64 of 32 bytes.
// The error never contains the key.
func (m MFA) Key() ([]byte, error) {
	s := strings.TrimSpace(m.EncryptionKey.Value())
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("must be exactly 32 bytes written as 64 hex digits or as base64 (make one with: openssl rand -hex 32)")
}

func (c *Config) validateSMS(ps *problems) {
	s := c.SMS
	if !s.Enabled {
		return
	}
	const p = "sms"
	g := s.Gateway
	if g.URL == "" {
		ps.add(p+".gateway.url", "required when sms.enabled is true")
	} else if u, err := render(g.URL); err == nil {
		if msg := webURL(u); msg != "" {
			ps.add(p+".gateway.url", "%s", msg)
		}
	}
	switch g.Method {
	case "GET", "POST", "PUT":
	default:
		ps.add(p+".gateway.method", "must be GET, POST or PUT")
	}
	if g.Method != "GET" && g.BodyTemplate == "" {
		ps.add(p+".gateway.body_template", "required for method %s", g.Method)
	}
	hasCode := false
	check := func(path, text string) {
		ok, err := templateUsesCode(text)
		if err != nil {
			ps.add(path, "%v", err)
		}
		hasCode = hasCode || ok
	}
	check(p+".gateway.url", g.URL)
	check(p+".gateway.body_template", g.BodyTemplate)
	for _, name := range slices.Sorted(maps.Keys(g.Headers)) {
		check(p+".gateway.headers."+name, g.Headers[name])
	}
	if !hasCode {
		ps.add(p+".gateway", "the code is sent nowhere: put {{.Code}} in url, body_template or a header")
	}
	positive(ps, p+".gateway.timeout", g.Timeout, time.Minute)
	if s.CodeLength < 4 || s.CodeLength > 10 {
		ps.add(p+".code_length", "must be between 4 and 10")
	}
	positive(ps, p+".code_ttl", s.CodeTTL, time.Hour)
	if s.MaxResends < 0 || s.MaxResends > 10 {
		ps.add(p+".max_resends", "must be between 0 and 10")
	}
	if s.RateLimit.Max < 1 {
		ps.add(p+".rate_limit.max", "must be at least 1")
	}
	positive(ps, p+".rate_limit.window", s.RateLimit.Window, 0)
}

// sampleCode stands in for a real code when a gateway template is tried.
const sampleCode = "90817263"

// render executes a gateway template with fixed sample data (nothing
// secret) and missing keys as errors.
func render(text string) (string, error) {
	t, err := template.New("gateway").Funcs(mfa.GatewayFuncs()).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", errors.New("not a valid template: " + strings.TrimSpace(strings.TrimPrefix(err.Error(), "template: gateway:")))
	}
	var b strings.Builder
	data := mfa.GatewayData{Phone: "+15550100", Code: sampleCode, Message: "Your sign-in code is " + sampleCode, Token: "token"}
	if err := t.Execute(&b, data); err != nil {
		return "", errors.New("template fails: use only {{.Phone}}, {{.Code}}, {{.Message}} and {{.Token}}, with the functions json, form and xml")
	}
	return b.String(), nil
}

// templateUsesCode reports whether the code ends up in a template's output.
func templateUsesCode(text string) (bool, error) {
	if text == "" {
		return false, nil
	}
	out, err := render(text)
	return strings.Contains(out, sampleCode), err
}

func (c *Config) validateLockout(ps *problems) {
	l := c.Lockout
	if l.MaxFailures < 1 || l.MaxFailures > 100 {
		ps.add("lockout.max_failures", "must be between 1 and 100")
	}
	positive(ps, "lockout.base_lockout", l.BaseLockout, 0)
	positive(ps, "lockout.max_lockout", l.MaxLockout, 0)
	if l.MaxLockout < l.BaseLockout {
		ps.add("lockout.max_lockout", "must not be shorter than lockout.base_lockout")
	}
	if l.PerAddressMaxFailures < 0 || (l.PerAddressMaxFailures > 0 && l.PerAddressMaxFailures < l.MaxFailures) {
		ps.add("lockout.per_address_max_failures", "must be 0 (no limit) or at least lockout.max_failures")
	}
	positive(ps, "lockout.window", l.Window, 0)
	if l.UnfamiliarMaxPasswords < 1 || l.UnfamiliarMaxPasswords > 1000 {
		ps.add("lockout.unfamiliar_max_passwords", "must be between 1 and 1000")
	}
	if l.UnfamiliarMaxCodes < 1 || l.UnfamiliarMaxCodes > 1000 {
		ps.add("lockout.unfamiliar_max_codes", "must be between 1 and 1000")
	}
	positive(ps, "lockout.user_lockout", l.UserLockout, 0)
	positive(ps, "lockout.user_max_lockout", l.UserMaxLockout, 0)
	if l.UserMaxLockout < l.UserLockout {
		ps.add("lockout.user_max_lockout", "must not be shorter than lockout.user_lockout")
	}
	positive(ps, "lockout.familiar_for", l.FamiliarFor, 0)
	if l.UnfamiliarChecks < 0 || l.UnfamiliarChecks > 1024 {
		ps.add("lockout.unfamiliar_checks", "must be between 0 (one per core) and 1024")
	}
	if l.UnfamiliarQueue < 0 || l.UnfamiliarQueue > 100000 {
		ps.add("lockout.unfamiliar_queue", "must be between 0 (no waiting) and 100000")
	}
	if l.UnfamiliarWait <= 0 || l.UnfamiliarWait > 30*time.Second {
		ps.add("lockout.unfamiliar_wait", "must be positive and at most 30s")
	}
}
