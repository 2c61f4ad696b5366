//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	p11 "github.com/miekg/pkcs11"
)

// modules counts this process's users of each PKCS#11 library and token
// (see the package documentation for why it is shared).
var modules = registry{loaded: map[string]*module{}}

type registry struct {
	mu     sync.Mutex
	loaded map[string]*module // by the module's path
}

// module is one loaded, initialised PKCS#11 library.
type module struct {
	path  string
	ctx   *p11.Ctx
	users int
	// ownInit: this process's C_Initialize is ours, so C_Finalize is too.
	// When some other code in the process initialised the library first,
	// it is theirs to finalise.
	ownInit bool
	logins  map[uint]*login // by slot
}

// login is the user login of one token, shared by its signers.
type login struct {
	users int
	pin   [sha256.Size]byte // the PIN it was made with, to compare a later Open's PIN
}

// acquire loads and initialises the library at path, or counts one more
// user of it.
func (r *registry) acquire(path string) (*module, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.loaded[path]; m != nil {
		m.users++
		return m, nil
	}
	ctx := p11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("cannot load the PKCS#11 module %s: the file is missing or is not a PKCS#11 library for this system", path)
	}
	own := true
	if err := ctx.Initialize(); err != nil {
		if !is(err, p11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			ctx.Destroy()
			return nil, fmt.Errorf("initialising the PKCS#11 module %s: %w", path, err)
		}
		own = false
	}
	m := &module{path: path, ctx: ctx, users: 1, ownInit: own, logins: map[uint]*login{}}
	r.loaded[path] = m
	return m, nil
}

// release counts one user fewer and finalises and unloads the library
// after the last.
func (r *registry) release(m *module) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.users--; m.users > 0 {
		return
	}
	delete(r.loaded, m.path)
	if m.ownInit {
		_ = m.ctx.Finalize()
	}
	m.ctx.Destroy()
}

// login logs the user in to the token in slot through session sh, or,
// when another signer already has, checks that pin is the PIN it used.
func (r *registry) login(m *module, slot uint, sh p11.SessionHandle, token, pin string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := sha256.Sum256([]byte(pin))
	l := m.logins[slot]
	if l != nil {
		if subtle.ConstantTimeCompare(l.pin[:], sum[:]) != 1 {
			return fmt.Errorf("token %q is already logged in with a different PIN by the running signer; a changed PIN takes effect on restart", token)
		}
		if loggedIn(m.ctx, sh) {
			l.users++
			return nil
		}
		// The token forgot the login (the HSM restarted): log in again,
		// for the running signer too.
	}
	err := m.ctx.Login(sh, p11.CKU_USER, pin)
	switch {
	case err == nil, is(err, p11.CKR_USER_ALREADY_LOGGED_IN):
	case is(err, p11.CKR_PIN_INCORRECT):
		return fmt.Errorf("token %q refused the PIN: it is wrong (CKR_PIN_INCORRECT); too many wrong PINs lock the token", token)
	case is(err, p11.CKR_PIN_LOCKED):
		return fmt.Errorf("token %q has locked its user PIN after too many wrong ones (CKR_PIN_LOCKED); the security officer must reset it", token)
	default:
		return fmt.Errorf("logging in to token %q: %w", token, err)
	}
	if l == nil {
		l = &login{pin: sum}
		m.logins[slot] = l
	}
	l.users++
	return nil
}

// loggedIn reports whether session sh sees the user logged in.
func loggedIn(ctx *p11.Ctx, sh p11.SessionHandle) bool {
	si, err := ctx.GetSessionInfo(sh)
	return err == nil && (si.State == p11.CKS_RO_USER_FUNCTIONS || si.State == p11.CKS_RW_USER_FUNCTIONS)
}

// logout counts one login user fewer on slot and logs out, through sh,
// after the last.
func (r *registry) logout(m *module, slot uint, sh p11.SessionHandle) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := m.logins[slot]
	if l == nil {
		return
	}
	if l.users--; l.users > 0 {
		return
	}
	delete(m.logins, slot)
	_ = m.ctx.Logout(sh)
}

func is(err error, code uint) bool {
	var e p11.Error
	return errors.As(err, &e) && uint(e) == code
}
