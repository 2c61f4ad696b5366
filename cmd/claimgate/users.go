package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/store"
)

const usersUsage = `Usage: claimgate users <action> --config FILE [options] [USER]

Manages what claimgate keeps about users, in the same database the running
service uses (it is safe to run while the service runs):

  list USER                        second factors, app passwords and locks of USER
  totp-add USER [--name N]         give USER a new authenticator-app secret (printed once)
  sms-add USER --phone NUMBER      let USER receive codes by SMS at NUMBER
  token-import --pskc FILE --assign SERIAL=USER [--assign ...] [--psk HEX | --passphrase-file F]
                                   import hardware OATH tokens (RFC 6030 PSKC) and assign them
  token-resync USER --id ID CODE1 CODE2
                                   resynchronise a drifted HOTP token with two consecutive codes
  factor-remove USER --id ID       remove one second factor
  reset USER                       remove all of USER's second factors
  enrolment-code USER [--ttl D]    issue a one-time code that lets USER enrol an app (printed once)
  app-password-create USER --name N
                                   create an app password (printed once, stored as a hash)
  app-password-revoke USER --id ID revoke an app password
  unlock USER                      lift every lockout of USER
  unlock-address ADDR              lift the lock on a client address (password spraying)
  locks                            list the lockouts in force
  audit [--user USER] [--limit N]  print audit records as JSON lines

Every change is written to the audit trail.
`

// usersCmd is one invocation: the store, the audit log and the flags.
type usersCmd struct {
	e     *env
	cfg   *config.Config
	db    store.Store
	audit *audit.Logger
	now   time.Time
}

func runUsers(e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		w := e.stderr
		if len(args) > 0 {
			w = e.stdout
		}
		fmt.Fprint(w, usersUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	action := args[0]
	fs := newUsersFlags(e, action)
	cfgPath := fs.String("config", "", "the YAML configuration file (required)")
	name := fs.String("name", "", "a name for the factor or app password")
	phone := fs.String("phone", "", "phone number for SMS, international format (+15550100)")
	id := fs.String("id", "", "factor or app password id (see users list)")
	pskc := fs.String("pskc", "", "PSKC file from the token vendor")
	psk := fs.String("psk", "", "PSKC pre-shared AES key, hex")
	passFile := fs.String("passphrase-file", "", "file holding the PSKC passphrase")
	var assign multiFlag
	fs.Var(&assign, "assign", "SERIAL=USER: give the token with this serial number to USER; repeatable")
	ttl := fs.Duration("ttl", 0, "validity of an enrolment code (default: mfa.enrolment.code_ttl)")
	who := fs.String("user", "", "only records of this user (audit)")
	limit := fs.Int("limit", 100, "how many records (audit)")
	// The usage writes the user before the options (users list alice
	// --config F), but the flag package stops at the first non-flag: take
	// each positional argument out and parse on after it.
	var rest []string
	for remaining := args[1:]; ; {
		if code, done := fs.parse(remaining); done {
			return code
		}
		if remaining = fs.Args(); len(remaining) == 0 {
			break
		}
		rest, remaining = append(rest, remaining[0]), remaining[1:]
	}
	cfg, code := loadConfig(e, "users "+action, *cfgPath)
	if cfg == nil {
		return code
	}
	db, err := app.OpenStore(e.ctx, cfg)
	if err != nil {
		return fail(e, "users: %v", err)
	}
	defer db.Close()
	// Admin changes belong in the same audit log as the service's records,
	// not only in the store; a log file is appended to (a stream such as
	// stderr belongs to the service process and cannot be reached).
	auditOpts := audit.Options{Store: db}
	if l := cfg.Audit.Log; l != "" && l != "stderr" && l != "stdout" && l != "none" {
		f, err := os.OpenFile(l, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fail(e, "audit.log: %v", err)
		}
		defer f.Close()
		auditOpts.Writer = f
	}
	c := &usersCmd{e: e, cfg: cfg, db: db, now: time.Now(), audit: audit.New(auditOpts)}
	user := ""
	if len(rest) > 0 {
		user = rest[0]
	}
	// Actions that give a user something need the user to exist in the
	// directory; the others also work for names the directory no longer
	// knows, so leftovers can be cleaned up.
	giving := map[string]bool{"totp-add": true, "sms-add": true, "enrolment-code": true, "app-password-create": true}
	needUser := map[string]bool{"list": true, "token-resync": true, "factor-remove": true, "reset": true,
		"app-password-revoke": true, "unlock": true}
	if needUser[action] || giving[action] {
		if user == "" {
			return fail(e, "users %s: give the user name", action)
		}
		if user, err = c.resolve(user, giving[action]); err != nil {
			return fail(e, "users %s: %v", action, err)
		}
	}
	switch action {
	case "list":
		err = c.list(user)
	case "totp-add":
		err = c.totpAdd(user, *name)
	case "sms-add":
		err = c.smsAdd(user, *name, *phone)
	case "token-import":
		err = c.tokenImport(*pskc, *psk, *passFile, assign)
	case "token-resync":
		if len(rest) != 3 {
			return fail(e, "users token-resync: give USER CODE1 CODE2")
		}
		err = c.tokenResync(user, *id, rest[1], rest[2])
	case "factor-remove":
		err = c.factorRemove(user, *id)
	case "reset":
		err = c.reset(user)
	case "enrolment-code":
		err = c.enrolmentCode(user, *ttl)
	case "app-password-create":
		err = c.appPasswordCreate(user, *name)
	case "app-password-revoke":
		err = c.appPasswordRevoke(user, *id)
	case "unlock":
		err = c.unlock(user)
	case "unlock-address":
		if user == "" {
			return fail(e, "users unlock-address: give the address")
		}
		err = c.unlockAddress(user)
	case "locks":
		err = c.locks()
	case "audit":
		err = c.auditList(*who, *limit)
	default:
		fmt.Fprintf(e.stderr, "claimgate: users: unknown action %q\n\n%s", action, usersUsage)
		return 2
	}
	if err != nil {
		return fail(e, "users %s: %v", action, err)
	}
	return 0
}

func (c *usersCmd) ctx() context.Context { return c.e.ctx }

// resolve turns what the admin typed (alice, EXAMPLE\alice, alice@...) into
// the user name sign-in uses, by asking the directory. A name the
// directory does not know is an error when the action would give that
// user something, and is used as typed otherwise.
func (c *usersCmd) resolve(name string, mustExist bool) (string, error) {
	dir, _, closeDir, err := app.Directory(c.cfg, newLogger(c.e, config.Logging{Level: "error", Format: "text"}))
	if err != nil {
		return "", err
	}
	defer closeDir()
	id, err := dir.Lookup(c.ctx(), name)
	if err == nil {
		return id.Username, nil
	}
	if reason, ok := claims.IsRejected(err); ok {
		if mustExist {
			return "", fmt.Errorf("%q is not a usable user in the directory (%s)", name, reason)
		}
		return name, nil
	}
	return "", fmt.Errorf("directory: %w", err)
}

func (c *usersCmd) record(ev audit.Event, user, detail string) {
	r := audit.Record{Event: ev, Outcome: audit.OutcomeInfo, User: user, Reason: "admin_cli"}
	if detail != "" {
		r.Detail = map[string]string{"what": detail}
	}
	if err := c.audit.Log(c.ctx(), r); err != nil {
		fmt.Fprintf(c.e.stderr, "claimgate: warning: audit record not written: %v\n", err)
	}
}

func (c *usersCmd) list(user string) error {
	fs, err := c.db.Factors(c.ctx(), user)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "second factors of %s:\n", user)
	if len(fs) == 0 {
		fmt.Fprintln(c.e.stdout, "  none")
	}
	for _, f := range fs {
		state := "confirmed"
		if !f.Confirmed {
			state = "enrolment not finished"
		}
		fmt.Fprintf(c.e.stdout, "  %s  %s %q %s%s, created %s, last used %s\n", f.ID, f.Kind, f.Name, state,
			serialOrPhone(f), stamp(f.CreatedAt), stamp(f.LastUsedAt))
	}
	aps, err := c.db.AppPasswords(c.ctx(), user)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "app passwords of %s:\n", user)
	if len(aps) == 0 {
		fmt.Fprintln(c.e.stdout, "  none")
	}
	for _, p := range aps {
		state := "active"
		if p.Revoked {
			state = "revoked"
		}
		fmt.Fprintf(c.e.stdout, "  %s  %q %s, created %s, last used %s\n", p.ID, p.Name, state, stamp(p.CreatedAt), stamp(p.LastUsedAt))
	}
	locks, err := lockout.Locks(c.ctx(), c.db, c.now)
	if err != nil {
		return err
	}
	for _, l := range locks {
		if l.User == strings.ToLower(user) {
			fmt.Fprintf(c.e.stdout, "locked (%s %s) until %s\n", l.Scope, l.Addr, l.Until.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func serialOrPhone(f store.Factor) string {
	switch {
	case f.SerialNo != "":
		return ", serial " + f.SerialNo
	case f.Phone != "":
		return ", phone ..." + f.Phone[max(0, len(f.Phone)-2):]
	}
	return ""
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func (c *usersCmd) auditList(user string, limit int) error {
	recs, err := c.db.ListAudit(c.ctx(), store.AuditFilter{User: user, Limit: limit})
	if err != nil {
		return err
	}
	lg := audit.New(audit.Options{Writer: c.e.stdout})
	for _, r := range recs {
		if err := lg.Log(c.ctx(), r); err != nil {
			return err
		}
	}
	return nil
}
