package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/claims"
	"github.com/claimgate/claimgate/internal/login"
)

// oddDirectory is Active Directory as the flow meets it when an attribute
// holds a value XML cannot carry: the users file refuses such values at
// load, AD does not.
type oddDirectory struct {
	login.Directory
	edit func(*claims.Identity)
}

func (d oddDirectory) Authenticate(ctx context.Context, user, pw string) (claims.Identity, error) {
	id, err := d.Directory.Authenticate(ctx, user, pw)
	if err == nil {
		d.edit(&id)
	}
	return id, err
}

func (d oddDirectory) Lookup(ctx context.Context, user string) (claims.Identity, error) {
	id, err := d.Directory.Lookup(ctx, user)
	if err == nil {
		d.edit(&id)
	}
	return id, err
}

// TestUnsendableDirectoryValue: a directory value with U+FFFE or a
// control character gives, after both factors, the fixed "contact your
// help desk" page (403, no token) and a log line naming the claim and the
// character but not the value. Before, the user got the 500 "something
// went wrong" page and the log said only "internal error".
func TestUnsendableDirectoryValue(t *testing.T) {
	for name, c := range map[string]struct {
		edit    func(*claims.Identity)
		secret  string // a part of the bad value that must not reach the log
		logWant []string
	}{
		"e-mail with U+FFFE": {
			edit:    func(id *claims.Identity) { id.Email = "sales\uFFFEdesk@example.test" },
			secret:  "desk@",
			logWant: []string{claims.EmailAddress, "U+FFFE"},
		},
		"UPN with ESC": {
			edit:    func(id *claims.Identity) { id.UPN = "alice.\x1bsmith@example.test" },
			secret:  "smith",
			logWant: []string{"subject name ID", "U+001B"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, setup{directory: func(d login.Directory) login.Directory { return oddDirectory{d, c.edit} }})
			b := e.browser()
			b.get(signInURL(realm, "odd")).wantRedirect(t, login.PathLogin)
			b.password("alice", alicePassword).wantRedirect(t, login.PathCode)
			p := b.enterCode(e.code())
			p.wantStatus(t, http.StatusForbidden)
			wantMessage(t, p, "error.unsendable_value")
			wantNoToken(t, p)
			for _, internal := range []string{"U+", "XML", "sts:", c.secret} {
				if strings.Contains(p.body, internal) {
					t.Errorf("the page shows %q:\n%s", internal, p.body)
				}
			}
			log := e.log.String()
			for _, want := range append(c.logWant, "user alice", "token not issued") {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if strings.Contains(log, c.secret) || strings.Contains(log, "internal error") {
				t.Errorf("log carries the value or an internal error:\n%s", log)
			}
			// Single sign-on meets the same value and the same page.
			again := b.get(signInURL(realm, "again"))
			again.wantStatus(t, http.StatusForbidden)
			wantNoToken(t, again)
		})
	}
}
