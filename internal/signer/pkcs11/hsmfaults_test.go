//go:build pkcs11 && cgo

package pkcs11_test

import (
	"crypto"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	p11 "github.com/miekg/pkcs11"

	"github.com/claimgate/claimgate/internal/signer"
	"github.com/claimgate/claimgate/internal/signer/pkcs11"
)

// other is "other code in the process" using the same PKCS#11 library
// through a handle of its own, as a second library or a test would: it
// can close sessions, change the PIN or log in behind the signer's back.
type other struct {
	t    *testing.T
	ctx  *p11.Ctx
	slot uint
}

func newOther(t *testing.T, h hsm, initFirst bool) *other {
	t.Helper()
	o := &other{t: t, ctx: p11.New(h.Module)}
	if o.ctx == nil {
		t.Fatal("cannot load the module")
	}
	err := o.ctx.Initialize()
	if initFirst && err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	slots, err := o.ctx.GetSlotList(true)
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots: %v %v", slots, err)
	}
	o.slot = slots[0]
	t.Cleanup(func() {
		if initFirst {
			_ = o.ctx.Finalize()
		}
		o.ctx.Destroy()
	})
	return o
}

func (o *other) session() p11.SessionHandle {
	o.t.Helper()
	sh, err := o.ctx.OpenSession(o.slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		o.t.Fatal(err)
	}
	return sh
}

func sign(t *testing.T, s signer.Signer, what string) {
	t.Helper()
	if _, err := s.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestModuleAlias: a reload that names the same library by another path
// (a symlink and its target) shares the one loaded module. Before, the
// registry keyed modules by the path text: the second entry saw
// CKR_CRYPTOKI_ALREADY_INITIALIZED, closing the first finalised the
// library for the process, and the new generation's Sign failed with
// CKR_CRYPTOKI_NOT_INITIALIZED.
func TestModuleAlias(t *testing.T) {
	h := newHSM(t)
	target, err := filepath.EvalSymlinks(h.Module)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "libhsm.so")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][2]string{{h.Module, target}, {target, link}} {
		old, err := h.open(t, func(s *signer.Spec) { s.PKCS11.Module = paths[0] })
		if err != nil {
			t.Fatal(err)
		}
		next, err := h.open(t, func(s *signer.Spec) { s.PKCS11.Module = paths[1] })
		if err != nil {
			t.Fatal(err)
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}
		sign(t, next, paths[1]+" after "+paths[0]+" closed")
		if err := next.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOthersLoginAndInitialisation: when other code in the process
// initialised the library and logged the token in first, closing the
// signer neither logs it out (CKR_USER_ALREADY_LOGGED_IN is not claimgate's
// login) nor finalises the library.
func TestOthersLoginAndInitialisation(t *testing.T) {
	h := newHSM(t)
	o := newOther(t, h, true)
	sh := o.session()
	if err := o.ctx.Login(sh, p11.CKU_USER, h.PIN); err != nil {
		t.Fatal(err)
	}
	s, err := h.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	sign(t, s, "signer on a token logged in by others")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	si, err := o.ctx.GetSessionInfo(sh)
	if err != nil {
		t.Fatalf("the other code's session after the signer closed: %v", err)
	}
	if si.State != p11.CKS_RW_USER_FUNCTIONS {
		t.Errorf("the signer's Close logged the other code out: session state %d", si.State)
	}
}

// TestWrongPINTriedOnce: a wrong PIN is tried once; after it the token's
// CKF_USER_PIN_COUNT_LOW makes every Open refuse without calling C_Login,
// even with the right PIN, so a restart loop cannot lock the token. A
// person logging in by hand clears the flag.
func TestWrongPINTriedOnce(t *testing.T) {
	h := newHSM(t)
	if _, err := h.open(t, func(s *signer.Spec) { s.PKCS11.PIN = "000000" }); err == nil ||
		!strings.Contains(err.Error(), `token "claimgate" refused the PIN: it is wrong (CKR_PIN_INCORRECT)`) {
		t.Fatalf("wrong PIN: %v", err)
	}
	for _, pin := range []string{"000000", h.PIN} {
		_, err := h.open(t, func(s *signer.Spec) { s.PKCS11.PIN = pin })
		if err == nil || !strings.Contains(err.Error(), "CKF_USER_PIN_COUNT_LOW") || !strings.Contains(err.Error(), "does not try its PIN") {
			t.Errorf("Open after a wrong PIN: %v; want a refusal without trying", err)
		}
	}
	o := newOther(t, h, false)
	sh := o.session()
	if err := o.ctx.Login(sh, p11.CKU_USER, h.PIN); err != nil {
		t.Fatal(err)
	}
	_ = o.ctx.Logout(sh)
	_ = o.ctx.CloseSession(sh)
	s, err := h.open(t, nil)
	if err != nil {
		t.Fatalf("after a login by hand: %v", err)
	}
	sign(t, s, "after a login by hand")
}

// TestSessionsLostRecovered: the HSM drops every session (a network HSM
// failing over, a restart; here C_CloseAllSessions from other code).
// Both generations of a reload sign again on their next call: the first
// signature that finds its session gone reopens the pool and logs in
// again. Before, Sign failed until a reload.
func TestSessionsLostRecovered(t *testing.T) {
	h := newHSM(t)
	old, err := h.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := h.open(t, func(s *signer.Spec) { s.PKCS11.Sessions = 2 })
	if err != nil {
		t.Fatal(err)
	}
	o := newOther(t, h, false)
	for round := range 2 {
		if err := o.ctx.CloseAllSessions(o.slot); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			sign(t, next, "new generation after the sessions were lost")
			sign(t, old, "old generation after the sessions were lost")
		}
		if p, ok := next.(interface{ Probe() error }); !ok {
			t.Fatal("the pkcs11 signer has no Probe")
		} else if err := p.Probe(); err != nil {
			t.Errorf("round %d: Probe: %v", round, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	sign(t, next, "new generation after the old one closed")
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if err := next.(interface{ Probe() error }).Probe(); !errors.Is(err, pkcs11.ErrClosed) {
		t.Errorf("Probe after Close: %v", err)
	}
}

// TestPINChangeKeepsSessions pins what docs/security.md says: changing
// the PIN does not end sessions already logged in (the signer keeps
// signing), and a reload with the old PIN is accepted without asking the
// token. When the sessions are then lost, the login again is refused
// once and never retried, so a stale PIN cannot lock the token.
func TestPINChangeKeepsSessions(t *testing.T) {
	h := newHSM(t)
	s, err := h.open(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := newOther(t, h, false)
	sh := o.session()
	if err := o.ctx.SetPIN(sh, h.PIN, "111111"); err != nil {
		t.Fatal(err)
	}
	sign(t, s, "after the PIN changed")
	again, err := h.open(t, nil)
	if err != nil {
		t.Fatalf("reload with the old PIN while logged in: %v", err)
	}
	_ = again.Close()
	if err := o.ctx.CloseAllSessions(o.slot); err != nil {
		t.Fatal(err)
	}
	_, err = s.Sign(nil, make([]byte, 32), crypto.SHA256)
	if err == nil || !strings.Contains(err.Error(), "CKR_PIN_INCORRECT") {
		t.Fatalf("sessions lost, PIN changed: %v", err)
	}
	for range 3 {
		_, err = s.Sign(nil, make([]byte, 32), crypto.SHA256)
		if err == nil || !strings.Contains(err.Error(), "restart claimgate once the PIN is right") {
			t.Fatalf("later signatures: %v; want the refusal kept, not a new login", err)
		}
	}
}

// TestDuplicateTokenLabels: two tokens with the configured label are
// refused, naming their slots, instead of signing with whichever the
// module lists first.
func TestDuplicateTokenLabels(t *testing.T) {
	h := newHSM(t)
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", h.TokenLabel, "--pin", "123456", "--so-pin", "12345678").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	_, err = h.open(t, nil)
	if err == nil || !strings.Contains(err.Error(), `2 tokens are labelled "claimgate" (slots `) {
		t.Errorf("Open with two tokens of the label: %v", err)
	}
}
