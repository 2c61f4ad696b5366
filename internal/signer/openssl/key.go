//go:build openssl && cgo

package openssl

/*
#cgo pkg-config: libcrypto
#cgo CFLAGS: -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

// Each helper reads OpenSSL's error queue in the same C call as the
// failure: the queue is per thread, and a goroutine may be on another
// thread by the next cgo call. The queue is cleared so that an old error
// never explains a new failure.
static unsigned long cg_err(void) {
	unsigned long e = ERR_peek_last_error();
	ERR_clear_error();
	return e;
}

static EVP_PKEY *cg_key(const unsigned char *der, long len, unsigned long *err) {
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
	if (k == NULL) {
		*err = cg_err();
	}
	return k;
}

static EVP_PKEY_CTX *cg_ctx(EVP_PKEY *k, int sha256, unsigned long *err) {
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	if (c == NULL) {
		*err = cg_err();
		return NULL;
	}
	if (EVP_PKEY_sign_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(c, sha256 ? EVP_sha256() : EVP_sha1()) <= 0) {
		*err = cg_err();
		EVP_PKEY_CTX_free(c);
		return NULL;
	}
	return c;
}

static int cg_sign(EVP_PKEY_CTX *c, const unsigned char *d, size_t dlen,
                   unsigned char *sig, size_t *siglen, unsigned long *err) {
	if (EVP_PKEY_sign(c, sig, siglen, d, dlen) <= 0) {
		*err = cg_err();
		return 0;
	}
	return 1;
}
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"unsafe"

	"github.com/claimgate/claimgate/internal/signer/internal/pkcs1"
)

// maxIdle bounds the contexts a Key keeps per hash. More are made when
// more goroutines sign at once; those beyond maxIdle are freed on return.
const maxIdle = 64

// ErrClosed is returned by Sign after Close.
var ErrClosed = errors.New("openssl: the signer is closed")

// Key is an RSA private key held by libcrypto. It is safe for concurrent
// use.
type Key struct {
	// mu is held shared by Sign and exclusively by Close, so that no
	// context or key is freed while a signature is being made.
	mu     sync.RWMutex
	pkey   *C.EVP_PKEY
	pub    *rsa.PublicKey
	size   int
	sha256 ctxPool
	sha1   ctxPool
}

var _ crypto.Signer = (*Key)(nil)

// ctxPool is a free list of signing contexts for one hash. It is not a
// sync.Pool because that drops items without telling: a dropped context
// would be C memory never freed.
type ctxPool struct {
	mu   sync.Mutex
	free []*C.EVP_PKEY_CTX
	hash C.int // 1: SHA-256, 0: SHA-1 (cg_ctx's flag)
}

// New imports k into libcrypto. The caller may drop k afterwards; the
// DER copy made for the import is wiped.
func New(k *rsa.PrivateKey) (*Key, error) {
	if k == nil || len(k.Primes) != 2 {
		return nil, errors.New("openssl: needs a two-prime RSA private key")
	}
	der := x509.MarshalPKCS1PrivateKey(k)
	defer clear(der)
	var e C.ulong
	pkey := C.cg_key((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)), &e)
	if pkey == nil {
		return nil, sslError("importing the key", e)
	}
	key := &Key{
		pkey:   pkey,
		pub:    &rsa.PublicKey{N: new(big.Int).Set(k.N), E: k.E},
		size:   int(C.EVP_PKEY_get_size(pkey)),
		sha256: ctxPool{hash: 1},
		sha1:   ctxPool{hash: 0},
	}
	for _, p := range []*ctxPool{&key.sha256, &key.sha1} {
		c, err := p.get(pkey)
		if err != nil {
			_ = key.Close()
			return nil, err
		}
		p.put(c)
	}
	return key, nil
}

// Public returns the RSA public key.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign makes an RSASSA-PKCS1-v1_5 signature of digest, a SHA-256 or SHA-1
// digest as opts says. The random source is not used: the scheme is
// deterministic, and libcrypto blinds the private-key operation with its
// own generator.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h, err := pkcs1.Hash(digest, opts)
	if err != nil {
		return nil, fmt.Errorf("openssl: %w", err)
	}
	pool := &k.sha256
	if h == crypto.SHA1 {
		pool = &k.sha1
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.pkey == nil {
		return nil, ErrClosed
	}
	c, err := pool.get(k.pkey)
	if err != nil {
		return nil, err
	}
	sig := make([]byte, k.size)
	n := C.size_t(len(sig))
	var e C.ulong
	if C.cg_sign(c, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), &n, &e) == 0 {
		C.EVP_PKEY_CTX_free(c) // its state after a failure is not worth trusting
		return nil, sslError("signing", e)
	}
	pool.put(c)
	return sig[:n], nil
}

// Close frees the key and its contexts. Later calls do nothing.
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pkey == nil {
		return nil
	}
	k.sha256.drain()
	k.sha1.drain()
	C.EVP_PKEY_free(k.pkey)
	k.pkey = nil
	return nil
}

func (p *ctxPool) get(pkey *C.EVP_PKEY) (*C.EVP_PKEY_CTX, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	var e C.ulong
	c := C.cg_ctx(pkey, p.hash, &e)
	if c == nil {
		return nil, sslError("preparing a signing context", e)
	}
	return c, nil
}

func (p *ctxPool) put(c *C.EVP_PKEY_CTX) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) >= maxIdle {
		C.EVP_PKEY_CTX_free(c)
		return
	}
	p.free = append(p.free, c)
}

func (p *ctxPool) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.free {
		C.EVP_PKEY_CTX_free(c)
	}
	p.free = nil
}

// sslError words a libcrypto failure: what claimgate was doing, and
// OpenSSL's own reason string for the log.
func sslError(op string, e C.ulong) error {
	if e == 0 {
		return fmt.Errorf("openssl: %s failed", op)
	}
	var buf [256]C.char
	C.ERR_error_string_n(e, &buf[0], C.size_t(len(buf)))
	return fmt.Errorf("openssl: %s failed: %s", op, C.GoString(&buf[0]))
}
