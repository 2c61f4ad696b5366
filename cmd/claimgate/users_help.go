package main

import (
	"flag"
	"fmt"
	"strings"
)

// usersAction is how one `users` action is called: its usage line (after
// "claimgate users "), what it does, and the options it takes besides
// --config. Its -h lists exactly these, and it refuses the others.
type usersAction struct {
	synopsis, about string
	flags           []string
}

const usersAbout = "It is safe to run while the service runs; every change is written to the audit trail."

var usersActions = map[string]usersAction{
	"list":                {"list USER --config FILE", "Lists USER's second factors, app passwords and locks.", nil},
	"totp-add":            {"totp-add USER --config FILE [--name N]", "Gives USER a new authenticator-app secret (TOTP) and prints it once, with its otpauth:// URI.", []string{"name"}},
	"sms-add":             {"sms-add USER --config FILE --phone NUMBER [--name N]", "Lets USER receive codes by SMS at NUMBER.", []string{"phone", "name"}},
	"token-import":        {"token-import --config FILE --pskc FILE --assign SERIAL=USER [--assign ...] [--psk HEX | --passphrase-file F]", "Imports hardware OATH tokens (RFC 6030 PSKC) and assigns them to users; tokens not assigned are skipped.", []string{"pskc", "assign", "psk", "passphrase-file"}},
	"token-resync":        {"token-resync USER --config FILE --id ID CODE1 CODE2", "Resynchronises USER's drifted HOTP token with two consecutive codes.", []string{"id"}},
	"factor-remove":       {"factor-remove USER --config FILE --id ID", "Removes one of USER's second factors (ids: users list).", []string{"id"}},
	"reset":               {"reset USER --config FILE", "Removes all of USER's second factors.", nil},
	"enrolment-code":      {"enrolment-code USER --config FILE [--ttl D]", "Issues a one-time code that lets USER enrol an authenticator app, printed once.", []string{"ttl"}},
	"app-password-create": {"app-password-create USER --config FILE --name N", "Creates an app password for USER (printed once, stored as a hash).", []string{"name"}},
	"app-password-revoke": {"app-password-revoke USER --config FILE --id ID", "Revokes one of USER's app passwords (ids: users list).", []string{"id"}},
	"unlock":              {"unlock USER --config FILE", "Lifts every lockout of USER.", nil},
	"unlock-address":      {"unlock-address ADDR --config FILE", "Lifts the lock on a client address (password spraying).", nil},
	"locks":               {"locks --config FILE", "Lists the lockouts in force.", nil},
	"audit":               {"audit --config FILE [--user USER] [--limit N]", "Prints audit records as JSON lines, newest first.", []string{"user", "limit"}},
}

// usersFlags is the FlagSet of one `users` action. runUsers registers every
// option of every action on it; the action's -h shows only its own and
// parse refuses the others, so the help and what is accepted agree.
type usersFlags struct {
	*flags
	action string
	known  bool
	allow  map[string]bool
}

func newUsersFlags(e *env, action string) *usersFlags {
	a, known := usersActions[action]
	if !known {
		return &usersFlags{flags: newFlags(e, "users "+action, "users "+action+" --config FILE ...", usersUsage), action: action}
	}
	f := &usersFlags{flags: newFlags(e, "users "+action, a.synopsis, a.about+"\n"+usersAbout), action: action, known: true,
		allow: map[string]bool{"config": true}}
	for _, n := range a.flags {
		f.allow[n] = true
	}
	fs := f.FlagSet
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: claimgate users %s\n\n%s\n%s\n\nOptions:\n", a.synopsis, a.about, usersAbout)
		// Spelt --name as in the usage lines and the docs (the flag
		// package takes both forms).
		fs.VisitAll(func(fl *flag.Flag) {
			if !f.allow[fl.Name] {
				return
			}
			kind, usage := flag.UnquoteUsage(fl)
			fmt.Fprintf(w, "  --%s %s\n    \t%s", fl.Name, kind, usage)
			if fl.DefValue != "" && fl.DefValue != "0" && fl.DefValue != "0s" && fl.DefValue != "[]" {
				fmt.Fprintf(w, " (default %s)", fl.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
	return f
}

// parse is flags.parse, then refuses an option this action does not take.
func (f *usersFlags) parse(args []string) (int, bool) {
	if code, done := f.flags.parse(args); done {
		return code, done
	}
	if !f.known {
		return 0, false
	}
	var foreign []string
	f.Visit(func(fl *flag.Flag) {
		if !f.allow[fl.Name] {
			foreign = append(foreign, "--"+fl.Name)
		}
	})
	if len(foreign) > 0 {
		fmt.Fprintf(f.Output(), "claimgate: users %s does not take %s\n", f.action, strings.Join(foreign, ", "))
		f.Usage()
		return 2, true
	}
	return 0, false
}
