package sqlitestore

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/claimgate/claimgate/internal/audit"
	"github.com/claimgate/claimgate/internal/store"
)

// TestNoSecretsInDatabaseFile greps the raw database and WAL bytes for the
// secrets stored through the API. A control string stored in a plain column
// must be found, which proves the grep sees the data.
func TestNoSecretsInDatabaseFile(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openT(t, path, testKey)

	totpSecret := []byte("TOTP-seed-0123456789")
	hotpSecret := []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c}
	appPassword := "quartz-lantern-meadow-42"
	phone := "+15550123456"
	const control = "CONTROL-PLAIN-7f3a9c"

	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindTOTP, Name: control, Secret: totpSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindHOTP, Name: "token", Secret: hotpSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFactor(ctx, store.Factor{User: "alice", Kind: store.KindSMS, Name: "sms", Phone: phone}); err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(appPassword), salt, 1, 8*1024, 1, 32)
	hash := fmt.Sprintf("$argon2id$v=%d$m=8192,t=1,p=1$%s$%s", argon2.Version,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	if _, err := s.CreateAppPassword(ctx, store.AppPassword{User: "alice", Name: "iPhone", Hash: hash}); err != nil {
		t.Fatal(err)
	}
	// A pending enrolment secret in session data and a live session ID.
	sessionID := "session-cookie-value-9q8w7e"
	if err := s.CreateSession(ctx, sessionID, []byte(`{"pending_secret":"`+string(totpSecret)+`"}`), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.IssueEnrolmentCode(ctx, "alice", store.HashID("ENROL-CODE-5566"), t0.Add(time.Hour))
	s.AppendAudit(ctx, audit.Record{Time: t0, Event: audit.EventAppPasswordCreated, Outcome: audit.OutcomeSuccess,
		User: "alice", Detail: map[string]string{"password": appPassword}})

	secrets := map[string][]byte{
		"totp secret":          totpSecret,
		"totp secret base32":   []byte(base32.StdEncoding.EncodeToString(totpSecret)),
		"totp secret base32 n": []byte(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(totpSecret)),
		"hotp secret":          hotpSecret,
		"hotp secret hex":      []byte(hex.EncodeToString(hotpSecret)),
		"hotp secret base32":   []byte(base32.StdEncoding.EncodeToString(hotpSecret)),
		"app password":         []byte(appPassword),
		"phone":                []byte(phone),
		"session id":           []byte(sessionID),
		"enrolment code":       []byte("ENROL-CODE-5566"),
		"key":                  testKey,
	}
	check := func(when string, files ...string) {
		var all []byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if !bytes.Contains(all, []byte(control)) {
			t.Fatalf("%s: control string not found in %v: the grep does not see the data", when, files)
		}
		for name, v := range secrets {
			if bytes.Contains(all, v) {
				t.Errorf("%s: %s found in the clear in %v", when, name, files)
			}
		}
	}
	check("while open", path, path+"-wal")
	s.Close()
	check("after close", path, path+"-wal")
}
