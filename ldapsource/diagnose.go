package ldapsource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/claimgate/claimgate/claims"
)

// serviceBindFinding explains a refused service account bind with AD's
// sub-code (the same table user binds use), or returns nil when err is
// not a refusal.
func serviceBindFinding(err error) *Finding {
	if ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired) {
		return &Finding{Fields: []string{"URLs", "StartTLS"},
			Text: "the domain controller refuses a simple bind on an unencrypted connection: use ldaps:// URLs or StartTLS"}
	}
	var rej *claims.RejectedError
	if !errors.As(bindError(err), &rej) {
		return nil
	}
	code := strings.TrimSuffix(strings.TrimPrefix(rej.Detail, "AD data "), " (unmapped)")
	if !strings.HasPrefix(rej.Detail, "AD data ") {
		code = "LDAP error 49, invalid credentials"
	} else {
		code = "AD code " + code
	}
	switch rej.Reason {
	case claims.ReasonDisabled:
		return &Finding{Fields: []string{"BindDN"}, Text: "the service account is disabled (" + code + "): enable it in Active Directory"}
	case claims.ReasonLockedOut:
		return &Finding{Fields: []string{"BindDN"}, Text: "the service account is locked out (" + code +
			"), probably by binds with an old password: unlock it, then correct the password claimgate uses"}
	case claims.ReasonAccountExpired:
		return &Finding{Fields: []string{"BindDN"}, Text: "the service account has expired (" + code + "): clear its expiry date"}
	case claims.ReasonPasswordExpired, claims.ReasonMustChange:
		return &Finding{Fields: []string{"BindPassword"}, Text: "the service account's password has expired or must be changed (" + code +
			"): set a new password that never expires and put it where bind_password points"}
	case claims.ReasonNotPermitted:
		return &Finding{Fields: []string{"BindDN"}, Text: "the service account may not log on now or from here (" + code +
			"): remove its logon-hours or workstation restriction"}
	}
	return &Finding{Fields: []string{"BindDN", "BindPassword"},
		Text: "the domain controller refused the service account's name or password (" + code + ")"}
}

// tlsFinding explains a failed certificate check on server i, naming the
// certificate the domain controller presented: its subject, its issuer
// and the root of the chain, so the administrator knows which CA
// certificate to export. Other connection failures give nil.
func (c *connector) tlsFinding(ctx context.Context, i int, s *server, err error) *Finding {
	var chain []*x509.Certificate
	var cve *tls.CertificateVerificationError
	switch {
	case errors.As(err, &cve):
		chain = cve.UnverifiedCertificates // LDAPS: the handshake kept them
	case strings.Contains(err.Error(), "failed to verify certificate") || strings.Contains(err.Error(), "x509:"):
		// go-ldap's StartTLS flattens the error to text: read the chain
		// with a probe that stops right after the certificates arrive.
		chain = c.presentedChain(ctx, s)
	}
	if len(chain) == 0 {
		return nil
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: c.roots, Intermediates: inter, DNSName: s.host, CurrentTime: c.cfg.Now()})
	cert := fmt.Sprintf("the domain controller presented a certificate for %s issued by %s", leaf.Subject, leaf.Issuer)
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(verr, &host):
		names := append(append([]string{}, leaf.DNSNames...), ipStrings(leaf.IPAddresses)...)
		return &Finding{Fields: []string{fmt.Sprintf("URLs[%d]", i)}, Text: fmt.Sprintf(
			"%s; it names %s, not %s: connect by a name the certificate carries, or issue the DC a certificate that names %s",
			cert, orNone(names), s.host, s.host)}
	case errors.As(verr, &invalid) && invalid.Reason == x509.Expired:
		return &Finding{Fields: []string{fmt.Sprintf("URLs[%d]", i)}, Text: fmt.Sprintf(
			"%s, valid %s to %s: it is expired or not yet valid; renew the domain controller's certificate (or check this machine's clock)",
			cert, leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))}
	case verr != nil:
		where := "the system's trusted CAs"
		if c.cfg.CAFile != "" {
			where = "the CAs in " + c.cfg.CAFile
		}
		export := "that CA's certificate"
		if root := chain[len(chain)-1].Issuer; root.String() != leaf.Issuer.String() {
			export = "the certificate of its root CA, " + root.String() + ","
		}
		into := "into the CA file"
		if c.cfg.CAFile == "" {
			into = "into a PEM file and configure it as the CA file"
		}
		return &Finding{Fields: []string{"CAFile"}, Text: fmt.Sprintf(
			"%s, which is not among %s: export %s (Base-64 .cer, i.e. PEM) %s", cert, where, export, into)}
	}
	return nil
}

// presentedChain connects to s once more only to read the certificates it
// presents. Verification is skipped for this probe so that the chain can
// be read at all, and VerifyConnection then always fails: the handshake
// never completes and nothing is ever sent over the connection.
func (c *connector) presentedChain(ctx context.Context, s *server) []*x509.Certificate {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(dctx, "tcp", s.hostPort)
	if err != nil {
		return nil
	}
	defer raw.Close()
	deadline, _ := dctx.Deadline()
	_ = raw.SetDeadline(deadline)
	var chain []*x509.Certificate
	probe := &tls.Config{
		MinVersion: tls.VersionTLS12, ServerName: s.host,
		InsecureSkipVerify: true, // read-only probe, see above
		VerifyConnection: func(cs tls.ConnectionState) error {
			chain = cs.PeerCertificates
			return errors.New("ldapsource: certificate read for the check report; connection abandoned")
		},
	}
	if s.scheme == "ldaps" {
		_ = tls.Client(raw, probe).HandshakeContext(dctx)
		return chain
	}
	lc := ldap.NewConn(raw, false)
	lc.Start()
	defer lc.Close()
	_ = run(dctx, lc, c.cfg.ConnectTimeout, func() error { return lc.StartTLS(probe) })
	return chain
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no host name (no Subject Alternative Name)"
	}
	return strings.Join(names, ", ")
}
