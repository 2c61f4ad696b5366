package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/app"
	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/config"
	"github.com/claimgate/claimgate/internal/lockout"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
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
	db    *sqlitestore.DB
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
	fs := newFlags(e, "users "+action, "users "+action+" --config FILE ...", usersUsage)
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
	if *cfgPath == "" {
		return fail(e, "users %s: --config FILE is required", action)
	}
	cfg, err := config.Load(*cfgPath, e.getenv)
	if err != nil {
		return fail(e, "%v", err)
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

func (c *usersCmd) totpAdd(user, name string) error {
	if name == "" {
		name = "authenticator app"
	}
	t := c.cfg.MFA.TOTP
	p := mfa.OATHParams{Algorithm: t.Algorithm, Digits: t.Digits, Period: t.Period}
	secret, err := mfa.NewSecret(rand.Reader, 20)
	if err != nil {
		return err
	}
	f, err := c.db.AddFactor(c.ctx(), store.Factor{User: user, Kind: store.KindTOTP, Name: name, Secret: secret,
		Algorithm: p.Algorithm, Digits: p.Digits, Period: p.Period, LastStep: -1, Confirmed: true})
	if err != nil {
		return err
	}
	c.record(audit.EventEnrolment, user, "totp "+name)
	issuer := t.IssuerName
	if issuer == "" {
		issuer = "claimgate"
	}
	fmt.Fprintf(c.e.stdout, "factor %s added. Give the user this secret once (it is not shown again):\nsecret: %s\nuri: %s\n",
		f.ID, mfa.EncodeBase32(secret), mfa.KeyURI(issuer, user, secret, p))
	return nil
}

func (c *usersCmd) smsAdd(user, name, phone string) error {
	if !strings.HasPrefix(phone, "+") || len(phone) < 8 {
		return errors.New("--phone must be in international format, e.g. +15550100")
	}
	if name == "" {
		name = "sms " + phone[max(0, len(phone)-2):]
	}
	f, err := c.db.AddFactor(c.ctx(), store.Factor{User: user, Kind: store.KindSMS, Name: name, Phone: phone, Digits: c.cfg.SMS.CodeLength, Confirmed: true})
	if err != nil {
		return err
	}
	c.record(audit.EventEnrolment, user, "sms "+name)
	fmt.Fprintf(c.e.stdout, "factor %s added\n", f.ID)
	return nil
}

func (c *usersCmd) tokenImport(file, pskHex, passFile string, assign []string) error {
	if file == "" {
		return errors.New("--pskc FILE is required")
	}
	var o mfa.PSKCOptions
	if pskHex != "" {
		k, err := hex.DecodeString(pskHex)
		if err != nil {
			return fmt.Errorf("--psk: %v", err)
		}
		o.PreSharedKey = k
	}
	if passFile != "" {
		b, err := os.ReadFile(passFile)
		if err != nil {
			return err
		}
		o.Password = strings.TrimRight(string(b), "\r\n")
	}
	fh, err := os.Open(file)
	if err != nil {
		return err
	}
	defer fh.Close()
	keys, err := mfa.ParsePSKC(fh, o)
	if err != nil {
		return err
	}
	owners := map[string]string{}
	for _, a := range assign {
		serial, user, ok := strings.Cut(a, "=")
		if !ok || serial == "" || user == "" {
			return fmt.Errorf("--assign %q: want SERIAL=USER", a)
		}
		owners[serial] = user
	}
	inFile := map[string]bool{}
	for _, k := range keys {
		inFile[k.SerialNo] = true
		inFile[k.ID] = true
	}
	for serial, user := range owners {
		if !inFile[serial] {
			return fmt.Errorf("no token with serial %s in %s; nothing imported", serial, file)
		}
		canonical, err := c.resolve(user, true)
		if err != nil {
			return fmt.Errorf("--assign %s=%s: %w; nothing imported", serial, user, err)
		}
		owners[serial] = canonical
	}
	imported := 0
	for _, k := range keys {
		serial := k.SerialNo
		if serial == "" {
			serial = k.ID
		}
		user, ok := owners[serial]
		if !ok {
			fmt.Fprintf(c.e.stdout, "token %s (%s): not assigned, skipped\n", serial, k.Algorithm)
			continue
		}
		f := store.Factor{User: user, Kind: k.Algorithm, Name: "token " + serial, Secret: k.Secret, Algorithm: k.Hash,
			Digits: k.Digits, Period: k.Period, Counter: k.Counter, LastStep: -1, SerialNo: serial, Confirmed: true}
		got, err := c.db.AddFactor(c.ctx(), f)
		if err != nil {
			return fmt.Errorf("token %s: %w", serial, err)
		}
		imported++
		c.record(audit.EventEnrolment, user, k.Algorithm+" token "+serial)
		fmt.Fprintf(c.e.stdout, "token %s (%s, %d digits) assigned to %s as factor %s\n", serial, k.Algorithm, k.Digits, user, got.ID)
	}
	fmt.Fprintf(c.e.stdout, "%d token(s) imported\n", imported)
	return nil
}

func (c *usersCmd) tokenResync(user, id, code1, code2 string) error {
	f, err := c.userFactor(user, id)
	if err != nil {
		return err
	}
	if f.Kind != store.KindHOTP {
		return errors.New("only HOTP tokens need resynchronisation")
	}
	la := c.cfg.MFA.HOTP.ResyncLookAhead
	next, ok := mfa.ResyncHOTP(f.Secret, code1, code2, f.Counter, la, mfa.OATHParams{Algorithm: f.Algorithm, Digits: f.Digits})
	if !ok {
		return fmt.Errorf("the two codes are not consecutive codes of this token within %d steps", la)
	}
	if err := c.db.UpdateFactorUse(c.ctx(), f.ID, store.FactorUse{Counter: f.Counter, LastStep: f.LastStep}, store.FactorUse{Counter: next, LastStep: f.LastStep}, c.now); err != nil {
		return err
	}
	c.record(audit.EventEnrolment, user, "hotp resync "+f.ID)
	fmt.Fprintf(c.e.stdout, "token %s resynchronised\n", f.ID)
	return nil
}

func (c *usersCmd) userFactor(user, id string) (store.Factor, error) {
	if id == "" {
		return store.Factor{}, errors.New("--id is required (see users list)")
	}
	f, err := c.db.Factor(c.ctx(), id)
	if err != nil {
		return store.Factor{}, err
	}
	if f.User != user {
		return store.Factor{}, fmt.Errorf("factor %s does not belong to %s", id, user)
	}
	return f, nil
}

func (c *usersCmd) factorRemove(user, id string) error {
	f, err := c.userFactor(user, id)
	if err != nil {
		return err
	}
	if err := c.db.DeleteFactor(c.ctx(), f.ID); err != nil {
		return err
	}
	c.record(audit.EventFactorRemoved, user, f.Kind+" "+f.Name)
	fmt.Fprintf(c.e.stdout, "factor %s removed\n", f.ID)
	return nil
}

func (c *usersCmd) reset(user string) error {
	fs, err := c.db.Factors(c.ctx(), user)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if err := c.db.DeleteFactor(c.ctx(), f.ID); err != nil {
			return err
		}
		c.record(audit.EventFactorRemoved, user, f.Kind+" "+f.Name)
	}
	fmt.Fprintf(c.e.stdout, "%d factor(s) of %s removed\n", len(fs), user)
	return nil
}

func (c *usersCmd) enrolmentCode(user string, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = c.cfg.MFA.Enrolment.CodeTTL
	}
	code, err := mfa.NewAppPassword(rand.Reader)
	if err != nil {
		return err
	}
	until := c.now.Add(ttl)
	if err := c.db.IssueEnrolmentCode(c.ctx(), user, store.HashID(mfa.NormalizeAppPassword(code)), until); err != nil {
		return err
	}
	c.record(audit.EventEnrolmentCodeIssued, user, "valid until "+until.UTC().Format(time.RFC3339))
	fmt.Fprintf(c.e.stdout, "enrolment code for %s (valid until %s, works once):\n%s\n", user, until.UTC().Format(time.RFC3339), code)
	return nil
}

func (c *usersCmd) appPasswordCreate(user, name string) error {
	if name == "" {
		return errors.New("--name is required, e.g. --name \"iPhone Lync\"")
	}
	pw, err := mfa.NewAppPassword(rand.Reader)
	if err != nil {
		return err
	}
	h, err := mfa.HashPassword(mfa.NormalizeAppPassword(pw), rand.Reader)
	if err != nil {
		return err
	}
	p, err := c.db.CreateAppPassword(c.ctx(), store.AppPassword{User: user, Name: name, Hash: h})
	if err != nil {
		return err
	}
	c.record(audit.EventAppPasswordCreated, user, name)
	fmt.Fprintf(c.e.stdout, "app password %s %q for %s (shown once; use it instead of the domain password):\n%s\n", p.ID, name, user, pw)
	return nil
}

func (c *usersCmd) appPasswordRevoke(user, id string) error {
	list, err := c.db.AppPasswords(c.ctx(), user)
	if err != nil {
		return err
	}
	for _, p := range list {
		if p.ID == id {
			if err := c.db.RevokeAppPassword(c.ctx(), id); err != nil {
				return err
			}
			c.record(audit.EventAppPasswordRevoked, user, p.Name)
			fmt.Fprintf(c.e.stdout, "app password %s revoked\n", id)
			return nil
		}
	}
	return fmt.Errorf("%s has no app password %s", user, id)
}

func (c *usersCmd) unlock(user string) error {
	l, err := lockout.New(c.db, lockout.DefaultPolicy())
	if err != nil {
		return err
	}
	if err := l.Unlock(c.ctx(), login.ThrottleKey(user)); err != nil {
		return err
	}
	c.record(audit.EventUnlock, user, "")
	fmt.Fprintf(c.e.stdout, "%s unlocked\n", user)
	return nil
}

func (c *usersCmd) unlockAddress(addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("%q is not an IP address", addr)
	}
	l, err := lockout.New(c.db, lockout.DefaultPolicy())
	if err != nil {
		return err
	}
	if err := l.UnlockAddr(c.ctx(), a); err != nil {
		return err
	}
	c.record(audit.EventUnlock, "", "address "+a.String())
	fmt.Fprintf(c.e.stdout, "address %s unlocked\n", a)
	return nil
}

func (c *usersCmd) locks() error {
	ls, err := lockout.Locks(c.ctx(), c.db, c.now)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		fmt.Fprintln(c.e.stdout, "no lockouts in force")
	}
	for _, l := range ls {
		fmt.Fprintf(c.e.stdout, "%s user=%s addr=%s until %s (level %d)\n", l.Scope, l.User, l.Addr, l.Until.UTC().Format(time.RFC3339), l.Level)
	}
	return nil
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
