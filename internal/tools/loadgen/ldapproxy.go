package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
)

// ldapProxy stands between claimgate and the DC and counts the binds that
// reach the DC, and those the DC refused with invalidCredentials (49), per
// bind name. The test domain has no lockout threshold (it is shared with
// other tests), so badPwdCount does not move there: counting on the wire
// is the one exact measure of "bad binds that reached the DC".
type ldapProxy struct {
	ln       net.Listener
	upstream string
	upTLS    *tls.Config
	caFile   string // the proxy's certificate, for claimgate's ca_file

	mu    sync.Mutex
	binds map[string]int // bind name (lower case) → binds sent
	bad   map[string]int // bind name → binds refused with 49
	ops   map[string]int // requests sent, by operation (opName)
}

// opName names an LDAP request's protocol operation (RFC 4511 tags).
func opName(tag ber.Tag) string {
	switch tag {
	case 0:
		return "bind"
	case 3:
		return "search"
	case 2:
		return "unbind"
	case 23:
		return "extended"
	default:
		return fmt.Sprintf("op %d", tag)
	}
}

const ldapInvalidCredentials = 49

func newLDAPProxy(dir string, ad sambaEnv) (*ldapProxy, error) {
	cert, pemBytes, err := selfSigned()
	if err != nil {
		return nil, err
	}
	caFile := dir + "/ldapproxy.pem"
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	upTLS, err := ad.tlsConfig()
	if err != nil {
		ln.Close()
		return nil, err
	}
	up := strings.TrimPrefix(ad["CLAIMGATE_TEST_LDAP_URL"], "ldaps://")
	p := &ldapProxy{ln: ln, upstream: up, upTLS: upTLS, caFile: caFile, binds: map[string]int{}, bad: map[string]int{},
		ops: map[string]int{}}
	go p.serve()
	return p, nil
}

func (p *ldapProxy) url() string { return "ldaps://" + p.ln.Addr().String() }
func (p *ldapProxy) close()      { p.ln.Close() }

func (p *ldapProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

func (p *ldapProxy) relay(client net.Conn) {
	defer client.Close()
	server, err := tls.Dial("tcp", p.upstream, p.upTLS)
	if err != nil {
		return
	}
	defer server.Close()
	var pending sync.Map // message id → bind name
	done := make(chan struct{}, 2)
	go func() {
		p.copy(server, client, func(id int64, op *ber.Packet) {
			p.count(p.ops, opName(op.Tag))
			if op.Tag == ber.Tag(0) && len(op.Children) >= 2 { // BindRequest
				name := strings.ToLower(fmt.Sprint(op.Children[1].Value))
				pending.Store(id, name)
				p.count(p.binds, name)
			}
		})
		done <- struct{}{}
	}()
	go func() {
		p.copy(client, server, func(id int64, op *ber.Packet) {
			if op.Tag == ber.Tag(1) && len(op.Children) >= 1 { // BindResponse
				if name, ok := pending.LoadAndDelete(id); ok {
					if code, _ := op.Children[0].Value.(int64); code == ldapInvalidCredentials {
						p.count(p.bad, name.(string))
					}
				}
			}
		})
		done <- struct{}{}
	}()
	<-done // one side closed: close both
}

func (p *ldapProxy) count(m map[string]int, name string) {
	p.mu.Lock()
	m[name]++
	p.mu.Unlock()
}

// copy forwards whole LDAP messages unchanged and shows each to see.
func (p *ldapProxy) copy(dst io.Writer, src io.Reader, see func(id int64, op *ber.Packet)) {
	r := bufio.NewReader(src)
	for {
		raw, err := readTLV(r)
		if err != nil {
			return
		}
		if msg, err := ber.DecodePacketErr(raw); err == nil && len(msg.Children) >= 2 {
			if id, ok := msg.Children[0].Value.(int64); ok {
				see(id, msg.Children[1])
			}
		}
		if _, err := dst.Write(raw); err != nil {
			return
		}
	}
}

// readTLV reads one BER element (tag, definite length, value) as bytes.
func readTLV(r *bufio.Reader) ([]byte, error) {
	hdr := make([]byte, 2, 8)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n := int(hdr[1])
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 {
			return nil, fmt.Errorf("ldap proxy: length of %d bytes", k)
		}
		lb := make([]byte, k)
		if _, err := io.ReadFull(r, lb); err != nil {
			return nil, err
		}
		hdr = append(hdr, lb...)
		n = 0
		for _, b := range lb {
			n = n<<8 | int(b)
		}
	}
	buf := make([]byte, len(hdr)+n)
	copy(buf, hdr)
	_, err := io.ReadFull(r, buf[len(hdr):])
	return buf, err
}

// snapshot returns binds and refused binds for the names given (bind
// names are DNs: the CN is matched).
func (p *ldapProxy) snapshot() (binds, bad map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	binds, bad = map[string]int{}, map[string]int{}
	for k, v := range p.binds {
		binds[cnOf(k)] += v
	}
	for k, v := range p.bad {
		bad[cnOf(k)] += v
	}
	return binds, bad
}

// opCounts returns the requests forwarded so far, by operation.
func (p *ldapProxy) opCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.ops {
		out[k] = v
	}
	return out
}

func cnOf(dn string) string {
	first, _, _ := strings.Cut(dn, ",")
	return strings.TrimPrefix(first, "cn=")
}

func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loadgen ldap proxy"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}
