package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
)

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
