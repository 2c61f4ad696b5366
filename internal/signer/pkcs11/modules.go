//go:build pkcs11 && cgo

package pkcs11

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	p11 "github.com/miekg/pkcs11"
)

// modules counts this process's users of each PKCS#11 library and token
// (see the package documentation for why it is shared).
var modules = registry{}

type registry struct {
	mu sync.Mutex
	// loaded is keyed by the library file, not by the path text: the
	// dynamic loader hands out one copy of a library however its path is
	// spelled (a symlink, its target, "..", a bind mount), so two entries
	// for one file would each think C_Finalize was theirs, and closing
	// one would finalise the library under the other.
	loaded []*module
	// pinKey is a random per-process key the remembered PINs are
	// HMAC'd with, so that a memory dump holds no unsalted hash of the
	// PIN to test guesses against offline. Made on first use.
	pinKey []byte
}

// module is one loaded, initialised PKCS#11 library.
type module struct {
	path  string      // the resolved path it was loaded from
	file  os.FileInfo // identifies the file (os.SameFile: device and inode)
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
	// own: this registry's C_Login made it, so C_Logout is ours. A token
	// that answered CKR_USER_ALREADY_LOGGED_IN was logged in by other code
	// in the process, which the logout would cut off.
	own bool
	pin []byte // HMAC-SHA256 under registry.pinKey of the PIN it was made with
}

// resolve returns the file path names, following symlinks, and its
// identity.
func resolve(path string) (string, os.FileInfo, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", nil, err
	}
	return real, fi, nil
}

// acquire loads and initialises the library at path, or counts one more
// user of it.
func (r *registry) acquire(path string) (*module, error) {
	real, fi, err := resolve(path)
	if err != nil {
		return nil, fmt.Errorf("cannot load the PKCS#11 module %s: the file is missing or is not a PKCS#11 library for this system", path)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.loaded {
		if os.SameFile(m.file, fi) {
			m.users++
			return m, nil
		}
	}
	ctx := p11.New(real)
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
	m := &module{path: real, file: fi, ctx: ctx, users: 1, ownInit: own, logins: map[uint]*login{}}
	r.loaded = append(r.loaded, m)
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
	for i, o := range r.loaded {
		if o == m {
			r.loaded = append(r.loaded[:i], r.loaded[i+1:]...)
			break
		}
	}
	if m.ownInit {
		_ = m.ctx.Finalize()
	}
	m.ctx.Destroy()
}

// pinMAC is the PIN as the registry remembers it. r.mu is held.
func (r *registry) pinMAC(pin string) []byte {
	if r.pinKey == nil {
		r.pinKey = make([]byte, sha256.Size)
		_, _ = rand.Read(r.pinKey) // crypto/rand.Read does not fail on Linux
	}
	h := hmac.New(sha256.New, r.pinKey)
	h.Write([]byte(pin))
	return h.Sum(nil)
}

// login logs the user in to the token in slot through session sh, or,
// when another signer already has, checks that pin is the PIN it used;
// either way the login counts one more user.
func (r *registry) login(m *module, slot uint, sh p11.SessionHandle, token, pin string) error {
	return r.ensureLogin(m, slot, sh, token, pin, true)
}

// relogin logs in again after the token forgot the login (sessions
// lost, HSM restarted), without counting a user: the signer calling it
// already counts.
func (r *registry) relogin(m *module, slot uint, sh p11.SessionHandle, token, pin string) error {
	return r.ensureLogin(m, slot, sh, token, pin, false)
}

func (r *registry) ensureLogin(m *module, slot uint, sh p11.SessionHandle, token, pin string, count bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := r.pinMAC(pin)
	l := m.logins[slot]
	if l != nil {
		if !hmac.Equal(l.pin, sum) {
			return fmt.Errorf("token %q is already logged in with a different PIN by the running signer; a changed PIN takes effect on restart", token)
		}
		if loggedIn(m.ctx, sh) {
			if count {
				l.users++
			}
			return nil
		}
		// The token forgot the login (the HSM restarted): log in again,
		// for the running signer too.
	}
	own, err := tryLogin(m.ctx, slot, sh, token, pin)
	if err != nil {
		return err
	}
	if l == nil {
		l = &login{pin: sum}
		m.logins[slot] = l
	}
	l.own = l.own || own
	if count {
		l.users++
	}
	return nil
}

// pinTrouble is the token flags that mean a wrong PIN was tried since
// the last good login, or that the next wrong one locks the token.
const pinTrouble = p11.CKF_USER_PIN_COUNT_LOW | p11.CKF_USER_PIN_FINAL_TRY | p11.CKF_USER_PIN_LOCKED

// tryLogin calls C_Login, unless the token says a wrong PIN has already
// been tried: a wrong signing.pkcs11.pin under a restarting service
// (systemd's Restart=on-failure) would otherwise try it again every few
// seconds until the token locks, and unlocking it takes the security
// officer. So claimgate makes at most one wrong attempt; a person who
// knows the right PIN clears the flag by logging in once by hand. own
// reports whether the login is this call's.
func tryLogin(ctx *p11.Ctx, slot uint, sh p11.SessionHandle, token, pin string) (own bool, err error) {
	ti, err := ctx.GetTokenInfo(slot)
	if err != nil {
		return false, fmt.Errorf("reading the state of token %q: %w", token, err)
	}
	switch f := ti.Flags & pinTrouble; {
	case f&p11.CKF_USER_PIN_LOCKED != 0:
		return false, refused("token %q has locked its user PIN after too many wrong ones (CKF_USER_PIN_LOCKED); the security officer must reset it", token)
	case f != 0:
		return false, refused("token %q reports that a wrong user PIN was tried since the last good login (%s), so claimgate does not try its PIN, "+
			"lest a wrong signing.pkcs11.pin lock the token; check the PIN, then log in once by hand with it to clear the flag "+
			"(e.g. pkcs11-tool --module MODULE --token-label %q --login --test)", token, pinFlagNames(f), token)
	}
	err = ctx.Login(sh, p11.CKU_USER, pin)
	switch {
	case err == nil:
		return true, nil
	case is(err, p11.CKR_USER_ALREADY_LOGGED_IN):
		return false, nil // someone else's login: not ours to log out
	case is(err, p11.CKR_PIN_INCORRECT):
		return false, refused("token %q refused the PIN: it is wrong (CKR_PIN_INCORRECT); claimgate will not try a PIN on it again until someone logs in by hand, and too many wrong PINs lock the token", token)
	case is(err, p11.CKR_PIN_LOCKED):
		return false, refused("token %q has locked its user PIN after too many wrong ones (CKR_PIN_LOCKED); the security officer must reset it", token)
	default:
		return false, fmt.Errorf("logging in to token %q: %w", token, err)
	}
}

// refused is a refusal with a formatted message.
func refused(format string, args ...any) refusal { return refusal{fmt.Sprintf(format, args...)} }

func pinFlagNames(f uint) string {
	switch {
	case f&p11.CKF_USER_PIN_FINAL_TRY != 0:
		return "CKF_USER_PIN_FINAL_TRY: one more wrong PIN locks it"
	default:
		return "CKF_USER_PIN_COUNT_LOW"
	}
}

// loggedIn reports whether session sh sees the user logged in.
func loggedIn(ctx *p11.Ctx, sh p11.SessionHandle) bool {
	si, err := ctx.GetSessionInfo(sh)
	return err == nil && (si.State == p11.CKS_RO_USER_FUNCTIONS || si.State == p11.CKS_RW_USER_FUNCTIONS)
}

// logout counts one login user fewer on slot and, after the last, logs
// out through sh if the login was this registry's.
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
	if l.own {
		_ = m.ctx.Logout(sh)
	}
}

func is(err error, code uint) bool {
	var e p11.Error
	return errors.As(err, &e) && uint(e) == code
}

// lost reports whether err means the token no longer has this signer's
// sessions or login: closed from elsewhere, the HSM restarted or failed
// over, the device went away. Reopening the sessions may cure it.
func lost(err error) bool {
	for _, c := range []uint{p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED, p11.CKR_DEVICE_ERROR,
		p11.CKR_DEVICE_MEMORY, p11.CKR_DEVICE_REMOVED, p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_USER_NOT_LOGGED_IN} {
		if is(err, c) {
			return true
		}
	}
	return false
}
