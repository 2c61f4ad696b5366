package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/factors"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

// auditLogger sends audit records to the configured log and the store.
// sink wraps the store sink (which may be nil): the metrics count there.
func auditLogger(cfg *config.Config, db store.Store, o Options, sink func(audit.Appender) audit.Appender) (*audit.Logger, func() error, error) {
	key, err := auditKey(cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("audit key: %w", err)
	}
	var w io.Writer
	closeFn := func() error { return nil }
	switch {
	case o.AuditWriter != nil:
		w = o.AuditWriter
	case cfg.Audit.Log == "" || cfg.Audit.Log == "stderr":
		w = os.Stderr
	case cfg.Audit.Log == "stdout":
		w = os.Stdout
	case cfg.Audit.Log == "none":
	default:
		f, err := os.OpenFile(cfg.Audit.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, &config.ValidationError{Problems: []config.Problem{{Path: "audit.log", Message: err.Error()}}}
		}
		w, closeFn = f, f.Close
	}
	opts := audit.Options{Writer: w, Now: o.Now, UnknownUserKey: key}
	if cfg.Audit.Store {
		opts.Store = db
	}
	opts.Store = sink(opts.Store)
	return audit.New(opts), closeFn, nil
}

// secondFactor builds the verifier with the SMS gateway, if enabled.
func secondFactor(cfg *config.Config, db store.Store, files factors.FileSecrets, log *slog.Logger) (*factors.Verifier, error) {
	o := factors.Options{Store: db, File: files, TOTPSkewSteps: cfg.MFA.TOTP.SkewSteps, HOTPLookAhead: cfg.MFA.HOTP.LookAhead, Logger: log}
	if cfg.SMS.Enabled {
		g := smsGateway(cfg.SMS.Gateway)
		if err := g.Validate(); err != nil {
			return nil, fmt.Errorf("sms.gateway: %w", err)
		}
		o.SMS = g
		o.SMSDigits, o.SMSTTL, o.SMSMaxSends, o.PhoneFromDirectory = cfg.SMS.CodeLength, cfg.SMS.CodeTTL, cfg.SMS.MaxResends+1, true
		o.SMSRate, o.SMSRateMax, o.SMSRateWindow = db, cfg.SMS.RateLimit.Max, cfg.SMS.RateLimit.Window
	}
	return factors.NewVerifier(o)
}

// smsGateway is the configured gateway; its templates see the token as
// {{.Token}}, so the token itself stays out of the YAML.
func smsGateway(g config.Gateway) *mfa.Gateway {
	return &mfa.Gateway{URL: g.URL, Method: g.Method, Headers: g.Headers, BodyTemplate: g.BodyTemplate,
		Token: g.Token.Value(), Timeout: g.Timeout}
}
