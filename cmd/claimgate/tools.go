package main

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/claimgate/claimgate/internal/mfa"
)

func runHashPassword(e *env, args []string) int {
	fs := newFlags(e, "hash-password", "hash-password < password.txt", `
Reads one password from standard input (the first line) and prints its
argon2id hash for the password_hash field of the users file. The password
is never echoed or logged. Example:
  read -rs PW && printf '%s\n' "$PW" | claimgate hash-password`)
	if code, done := fs.parse(args); done {
		return code
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		if err != nil {
			return fail(e, "hash-password: no password on standard input")
		}
		return fail(e, "hash-password: the password is empty")
	}
	h, err := mfa.HashPassword(pw, rand.Reader)
	if err != nil {
		return fail(e, "hash-password: %v", err)
	}
	fmt.Fprintln(e.stdout, h)
	return 0
}

func runTOTP(e *env, args []string) int {
	if len(args) == 0 || args[0] != "new" {
		fmt.Fprint(helpOrErr(e, args), "Usage: claimgate totp new --account NAME [--issuer NAME]\n")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := newFlags(e, "totp new", "totp new --account NAME [--issuer NAME]", `
Makes a random TOTP secret (160 bits, SHA-1, 6 digits, 30 seconds: what
every authenticator app supports) and prints it in Base32 for the
totp_secret field of the users file, with its otpauth:// URI for an
authenticator app. Check a code with: oathtool --totp -b SECRET`)
	account := fs.String("account", "", "the account name the app shows, e.g. alice@example.com (required)")
	issuer := fs.String("issuer", "claimgate", "the issuer name the app shows")
	if code, done := fs.parse(args[1:]); done {
		return code
	}
	if *account == "" {
		return fail(e, "totp new: --account is required")
	}
	secret, err := mfa.NewSecret(rand.Reader, 20)
	if err != nil {
		return fail(e, "totp new: %v", err)
	}
	fmt.Fprintf(e.stdout, "secret: %s\nuri: %s\n", mfa.EncodeBase32(secret), mfa.KeyURI(*issuer, *account, secret, mfa.OATHParams{}))
	return 0
}
