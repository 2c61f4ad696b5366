package main

import (
	"fmt"
	"time"

	"github.com/claimgate/claimgate/certs"
)

func runCerts(e *env, args []string) int {
	if len(args) == 0 || (args[0] != "new" && args[0] != "show" && args[0] != "status") {
		fmt.Fprint(helpOrErr(e, args), `Usage: claimgate certs new --cert FILE --key FILE [--cn NAME] [--bits N] [--days N]
       claimgate certs show --cert FILE
       claimgate certs status --config FILE

"certs new" makes a self-signed RSA token-signing certificate (SHA-256) and
prints its SHA-1 and SHA-256 thumbprints. "certs show" prints them for an
existing certificate. "certs status" says which configured certificate
signs, which are published, and when each expires (exit status 1 from 30
days before the signing one does).
`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	switch args[0] {
	case "show":
		return runCertsShow(e, args[1:])
	case "status":
		return runCertsStatus(e, args[1:], time.Now)
	}
	fs := newFlags(e, "certs new", "certs new --cert FILE --key FILE [--cn NAME] [--bits N] [--days N]", `
Makes a self-signed RSA token-signing certificate signed with SHA-256 and
writes it as PEM: the certificate readable by all, the private key readable
only by its owner (mode 0600). Existing files are never overwritten. The
thumbprints printed are the ones AD FS shows for the claims provider trust.`)
	certFile := fs.String("cert", "signing.crt", "certificate file to write")
	keyFile := fs.String("key", "signing.key", "private key file to write (mode 0600)")
	cn := fs.String("cn", "claimgate token signing", "certificate subject common name")
	bits := fs.Int("bits", certs.DefaultBits, "RSA key size (2048 or more)")
	days := fs.Int("days", int(certs.DefaultValidFor/(24*time.Hour)), "validity in days")
	if code, done := fs.parse(args[1:]); done {
		return code
	}
	if *days < 1 || *days > 100*365 {
		// 0 would mean the library's default, two years: not what was asked.
		return fail(e, "certs new: --days %d: give the validity in days, from 1 to %d", *days, 100*365)
	}
	kp, err := certs.Generate(certs.GenerateOptions{CommonName: *cn, Bits: *bits, ValidFor: time.Duration(*days) * 24 * time.Hour})
	if err != nil {
		return fail(e, "%v", err)
	}
	if err := certs.WritePEM(kp, *certFile, *keyFile, false); err != nil {
		return fail(e, "%v", err)
	}
	fmt.Fprintf(e.stdout, "certificate: %s\nprivate key: %s (mode 0600)\n", *certFile, *keyFile)
	printThumbprints(e, kp)
	return 0
}

func runCertsShow(e *env, args []string) int {
	fs := newFlags(e, "certs show", "certs show --cert FILE", "Prints a certificate's subject, validity and thumbprints.")
	certFile := fs.String("cert", "", "certificate file (PEM)")
	if code, done := fs.parse(args); done {
		return code
	}
	c, err := certs.LoadCertificate(*certFile)
	if err != nil {
		return fail(e, "%v", err)
	}
	printThumbprints(e, &certs.KeyPair{Certificate: c})
	return 0
}

func printThumbprints(e *env, kp *certs.KeyPair) {
	c := kp.Certificate
	fmt.Fprintf(e.stdout, "subject: %s\nvalid: %s to %s\nSHA-1 thumbprint: %s\nSHA-256 thumbprint: %s\n",
		c.Subject.String(), c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339),
		certs.ThumbprintSHA1(c), certs.ThumbprintSHA256(c))
}
