package factors

import (
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
	"github.com/claimgate/claimgate/internal/mfa"
	"github.com/claimgate/claimgate/internal/store"
	"github.com/claimgate/claimgate/internal/store/sqlitestore"
)

func openStore(t *testing.T) *sqlitestore.DB {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), sqlitestore.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var alice = claims.Identity{Username: "alice", UPN: "alice@example.test", Mobile: "+15550100"}

func addFactor(t *testing.T, db *sqlitestore.DB, f store.Factor) store.Factor {
	t.Helper()
	f.User, f.Confirmed = "alice", true
	if f.Secret == nil {
		f.Secret, _ = mfa.NewSecret(rand.Reader, 20)
	}
	got, err := db.AddFactor(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func method(t *testing.T, v *Verifier, id string) login.Method {
	t.Helper()
	ms, err := v.Methods(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("method %s not offered: %+v", id, ms)
	return login.Method{}
}

func TestTOTPOnceOnlyEvenConcurrently(t *testing.T) {
	db := openStore(t)
	f := addFactor(t, db, store.Factor{Kind: store.KindTOTP, Name: "phone", LastStep: -1})
	v, err := NewVerifier(Options{Store: db})
	if err != nil {
		t.Fatal(err)
	}
	ctx, now := context.Background(), time.Now()
	m := method(t, v, f.ID)
	code := mfa.TOTPAt(f.Secret, now, mfa.OATHParams{})
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := v.Verify(ctx, alice, m, code, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of 10 concurrent submissions of one code were accepted, want 1", wins.Load())
	}
	// An older code (previous step) is refused once a newer one was used.
	if ok, _ := v.Verify(ctx, alice, m, mfa.TOTPAt(f.Secret, now.Add(-30*time.Second), mfa.OATHParams{}), now); ok {
		t.Fatal("code of an earlier step accepted after a later one")
	}
	// The next step's code still works.
	if ok, _ := v.Verify(ctx, alice, m, mfa.TOTPAt(f.Secret, now.Add(30*time.Second), mfa.OATHParams{}), now.Add(30*time.Second)); !ok {
		t.Fatal("next step's code refused")
	}
	// Another user cannot use alice's factor id.
	if ok, _ := v.Verify(ctx, claims.Identity{Username: "mallory"}, m, mfa.TOTPAt(f.Secret, now.Add(60*time.Second), mfa.OATHParams{}), now.Add(60*time.Second)); ok {
		t.Fatal("factor of another user accepted")
	}
}

func TestHOTPLookAheadAndNoReuse(t *testing.T) {
	db := openStore(t)
	p := mfa.OATHParams{Digits: 8, Algorithm: "SHA256"}
	f := addFactor(t, db, store.Factor{Kind: store.KindHOTP, Name: "token", Counter: 5, Digits: 8, Algorithm: "SHA256", SerialNo: "T1"})
	v, _ := NewVerifier(Options{Store: db, HOTPLookAhead: 5})
	ctx, now := context.Background(), time.Now()
	m := method(t, v, f.ID)
	if ok, _ := v.Verify(ctx, alice, m, mfa.HOTP(f.Secret, 8, p), now); !ok {
		t.Fatal("code 3 ahead refused")
	}
	for _, c := range []uint64{5, 6, 7, 8} {
		if ok, _ := v.Verify(ctx, alice, m, mfa.HOTP(f.Secret, c, p), now); ok {
			t.Fatalf("code of counter %d accepted after counter 8 was used", c)
		}
	}
	if ok, _ := v.Verify(ctx, alice, m, mfa.HOTP(f.Secret, 20, p), now); ok {
		t.Fatal("code beyond the look-ahead accepted")
	}
	if ok, _ := v.Verify(ctx, alice, m, mfa.HOTP(f.Secret, 9, p), now); !ok {
		t.Fatal("next code refused")
	}
}

type fileSecrets map[string][]byte

func (f fileSecrets) TOTPSecret(u string) ([]byte, bool) { s, ok := f[u]; return s, ok }

func TestUsersFileSecretReplayIsDurable(t *testing.T) {
	dir := t.TempDir()
	key := make([]byte, 32)
	secret, _ := mfa.NewSecret(rand.Reader, 20)
	now := time.Now()
	code := mfa.TOTPAt(secret, now, mfa.OATHParams{})
	for round := range 2 {
		db, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "s.db"), sqlitestore.Options{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := NewVerifier(Options{Store: db, File: fileSecrets{"alice": secret}})
		ok, err := v.Verify(context.Background(), alice, method(t, v, fileFactorID), code, now)
		db.Close()
		if err != nil || ok != (round == 0) {
			t.Fatalf("round %d: ok=%v err=%v (the code must work once, and never after a restart)", round, ok, err)
		}
	}
}

// recordingSMS is a stand-in for the HTTP gateway (tested against a real
// HTTP server in internal/mfa): it keeps what would have been sent.
type recordingSMS struct {
	mu    sync.Mutex
	codes []string
	phone string
}

func (r *recordingSMS) SendCode(_ context.Context, phone, code, _ string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes, r.phone = append(r.codes, code), phone
	return nil
}

func TestSMSCodesExpireAreLimitedAndWorkOnce(t *testing.T) {
	db := openStore(t)
	gw := &recordingSMS{}
	v, _ := NewVerifier(Options{Store: db, SMS: gw, PhoneFromDirectory: true, SMSMaxSends: 2, SMSMinInterval: 30 * time.Second, SMSTTL: 5 * time.Minute})
	ctx, now := context.Background(), time.Now()
	m := method(t, v, directorySMSID)
	if err := v.Prepare(ctx, alice, m, now); err != nil {
		t.Fatal(err)
	}
	if gw.phone != alice.Mobile || len(gw.codes) != 1 || len(gw.codes[0]) != 6 {
		t.Fatalf("sent %v to %s", gw.codes, gw.phone)
	}
	err := v.Prepare(ctx, alice, m, now.Add(10*time.Second))
	var we *login.WaitError
	if !errors.Is(err, ErrResendLimit) || !errors.As(err, &we) || we.Wait != 20*time.Second || we.Reason != "resend_interval" {
		t.Fatalf("resend within the interval: %v (wait %+v), want a 20 s resend_interval wait", err, we)
	}
	if err := v.Prepare(ctx, alice, m, now.Add(40*time.Second)); err != nil {
		t.Fatal(err)
	}
	err = v.Prepare(ctx, alice, m, now.Add(80*time.Second))
	if !errors.Is(err, ErrResendLimit) || !errors.As(err, &we) || we.Wait != 5*time.Minute-80*time.Second || we.Reason != "send_limit" {
		t.Fatalf("third send: %v (wait %+v), want the rest of the code's life", err, we)
	}
	first, second := gw.codes[0], gw.codes[1]
	if first != second {
		if ok, _ := v.Verify(ctx, alice, m, first, now.Add(90*time.Second)); ok {
			t.Fatal("a replaced code was accepted")
		}
	}
	if ok, _ := v.Verify(ctx, alice, m, second, now.Add(6*time.Minute)); ok {
		t.Fatal("expired code accepted")
	}
	// Start over after expiry: the new code works exactly once.
	if err := v.Prepare(ctx, alice, m, now.Add(7*time.Minute)); err != nil {
		t.Fatal(err)
	}
	c := gw.codes[len(gw.codes)-1]
	if ok, _ := v.Verify(ctx, alice, m, c, now.Add(7*time.Minute)); !ok {
		t.Fatal("fresh SMS code refused")
	}
	if ok, _ := v.Verify(ctx, alice, m, c, now.Add(7*time.Minute)); ok {
		t.Fatal("SMS code accepted twice")
	}
}

func TestAppPasswords(t *testing.T) {
	db := openStore(t)
	ctx, now := context.Background(), time.Now()
	pw, _ := mfa.NewAppPassword(rand.Reader)
	h, _ := mfa.HashPassword(mfa.NormalizeAppPassword(pw), rand.Reader)
	p, err := db.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "iPhone Lync", Hash: h})
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	a := &AppPasswords{Store: db, Used: func(_ context.Context, user, name string) { used = append(used, user+"/"+name) }}
	if ok, err := a.CheckAppPassword(ctx, "alice", pw, now); !ok || err != nil {
		t.Fatalf("app password refused: %v", err)
	}
	if ok, _ := a.CheckAppPassword(ctx, "alice", "wrong-pass-word-xxxx", now); ok {
		t.Fatal("wrong app password accepted")
	}
	if ok, _ := a.CheckAppPassword(ctx, "bob", pw, now); ok {
		t.Fatal("alice's app password accepted for bob")
	}
	if len(used) != 1 || used[0] != "alice/iPhone Lync" {
		t.Fatalf("used = %v", used)
	}
	list, _ := db.AppPasswords(ctx, "alice")
	if list[0].LastUsedAt.IsZero() {
		t.Fatal("last use not recorded")
	}
	db.RevokeAppPassword(ctx, p.ID)
	if ok, _ := a.CheckAppPassword(ctx, "alice", pw, now); ok {
		t.Fatal("revoked app password accepted")
	}
}

func TestEnrolment(t *testing.T) {
	db := openStore(t)
	ctx, now := context.Background(), time.Now()
	e := &Enroller{Store: db, Issuer: "claimgate", Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, RequireCode: true}
	if ok, need := e.Allowed(ctx, alice, "192.0.2.1"); ok || !need {
		t.Fatalf("outside the networks: ok=%v need=%v", ok, need)
	}
	if ok, _ := e.Allowed(ctx, alice, "10.1.2.3"); !ok {
		t.Fatal("inside the networks refused")
	}
	en, err := e.Begin(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(en.QRPNG) == 0 || en.URI == "" {
		t.Fatal("no QR or URI")
	}
	v, _ := NewVerifier(Options{Store: db})
	if ms, _ := v.Methods(ctx, alice); len(ms) != 0 {
		t.Fatalf("unconfirmed factor offered: %+v", ms)
	}
	code := mfa.TOTPAt(en.Secret, now, mfa.OATHParams{})
	db.IssueEnrolmentCode(ctx, "alice", store.HashID(mfa.NormalizeAppPassword("ENROL-1")), now.Add(time.Hour))
	if ok, _ := e.Finish(ctx, alice, en.ID, code, "WRONG", now); ok {
		t.Fatal("wrong enrolment code accepted")
	}
	if ok, _ := e.Finish(ctx, alice, en.ID, "000000", "ENROL-1", now); ok && code != "000000" {
		t.Fatal("wrong TOTP code accepted")
	}
	// Typed with other case and separators, as users do.
	if ok, err := e.Finish(ctx, alice, en.ID, code, " enrol 1 ", now); !ok || err != nil {
		t.Fatalf("enrolment refused: %v", err)
	}
	ms, _ := v.Methods(ctx, alice)
	if len(ms) != 1 || ms[0].Kind != store.KindTOTP {
		t.Fatalf("methods after enrolment: %+v", ms)
	}
	// The code that proved the enrolment cannot sign in again.
	if ok, _ := v.Verify(ctx, alice, ms[0], code, now); ok {
		t.Fatal("enrolment code reused for sign-in")
	}
}

func TestSMSRateLimitAcrossSignIns(t *testing.T) {
	db := openStore(t)
	gw := &recordingSMS{}
	v, _ := NewVerifier(Options{Store: db, SMS: gw, PhoneFromDirectory: true, SMSRate: db, SMSRateMax: 2, SMSRateWindow: time.Hour})
	ctx, now := context.Background(), time.Now()
	m := method(t, v, directorySMSID)
	for i := range 3 {
		// Each sign-in starts a fresh code; only the hourly cap can refuse.
		at := now.Add(time.Duration(i) * 10 * time.Minute)
		err := v.Prepare(ctx, alice, m, at)
		if want := i < 2; (err == nil) != want {
			t.Fatalf("text %d: err=%v", i+1, err)
		}
		var we *login.WaitError
		if err != nil && (!errors.As(err, &we) || we.Reason != "rate_limit" || we.Wait != time.Hour) {
			t.Fatalf("text %d: %v, want a rate_limit wait", i+1, err)
		}
	}
	if len(gw.codes) != 2 {
		t.Fatalf("%d texts sent, want 2", len(gw.codes))
	}
	if err := v.Prepare(ctx, alice, m, now.Add(2*time.Hour)); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestUsersFileSecretRefusesEarlierStep: after the code of one step was
// used, the code of the step before it (still inside the window) is refused.
func TestUsersFileSecretRefusesEarlierStep(t *testing.T) {
	db := openStore(t)
	secret, _ := mfa.NewSecret(rand.Reader, 20)
	v, _ := NewVerifier(Options{Store: db, File: fileSecrets{"alice": secret}, TOTPSkewSteps: 1})
	ctx, now := context.Background(), time.Now()
	m := method(t, v, fileFactorID)
	if ok, _ := v.Verify(ctx, alice, m, mfa.TOTPAt(secret, now, mfa.OATHParams{}), now); !ok {
		t.Fatal("current code refused")
	}
	if ok, _ := v.Verify(ctx, alice, m, mfa.TOTPAt(secret, now.Add(-30*time.Second), mfa.OATHParams{}), now); ok {
		t.Fatal("the previous step's code was accepted after the current one")
	}
	if ok, _ := v.Verify(ctx, alice, m, mfa.TOTPAt(secret, now.Add(30*time.Second), mfa.OATHParams{}), now.Add(30*time.Second)); !ok {
		t.Fatal("the next step's code was refused")
	}
}

// TestReadyOnlyForDeviceCodes: TOTP and HOTP methods are Ready (nothing
// to send before the code form), an SMS method never is: the flow may skip
// Prepare only for the former.
func TestReadyOnlyForDeviceCodes(t *testing.T) {
	db := openStore(t)
	totp := addFactor(t, db, store.Factor{Kind: store.KindTOTP, Name: "app", LastStep: -1})
	hotp := addFactor(t, db, store.Factor{Kind: store.KindHOTP, Name: "token"})
	sms := addFactor(t, db, store.Factor{Kind: store.KindSMS, Name: "mobile", Phone: "+15550100"})
	v, err := NewVerifier(Options{Store: db, SMS: &recordingSMS{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    string
		ready bool
	}{{totp.ID, true}, {hotp.ID, true}, {sms.ID, false}} {
		if m := method(t, v, c.id); m.Ready != c.ready {
			t.Errorf("%s method: Ready %v, want %v", m.Kind, m.Ready, c.ready)
		}
	}
}
