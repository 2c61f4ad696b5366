package templates_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/templates"
)

var hintPara = regexp.MustCompile(`(?s)<p class="hint">(.*?)</p>`)

// hintOf returns the text of the login page's hint paragraph.
func hintOf(t *testing.T, page string) string {
	t.Helper()
	m := hintPara.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no hint paragraph in:\n%s", page)
	}
	return m[1]
}

// TestLoginHintVariants: the hint is assembled from the data the flow
// derives from the directory (examples, app passwords) and from catalogue
// messages, each variant exactly; an app-password-only policy has its own
// text.
func TestLoginHintVariants(t *testing.T) {
	s := embedded(t)
	for _, c := range []struct {
		name string
		data templates.LoginData
		want string
	}{
		{"examples and app passwords", templates.LoginData{HintExamples: `alice@example.com, EXAMPLE\alice or alice`, HintAppPasswords: true},
			`Use your organisation account. For example: alice@example.com, EXAMPLE\alice or alice. On a phone or tablet app you can use an app password instead of your domain password.`},
		{"UPN only, no app passwords", templates.LoginData{HintExamples: "alice@example.com"},
			"Use your organisation account. For example: alice@example.com."},
		{"no examples", templates.LoginData{HintAppPasswords: true},
			"Use your organisation account. On a phone or tablet app you can use an app password instead of your domain password."},
		{"app passwords only", templates.LoginData{AppPasswordsOnly: true, HintExamples: "alice", HintAppPasswords: true},
			"Use an app password created for this device, not your domain password."},
	} {
		if got := hintOf(t, render(t, s, templates.PageLogin, c.data)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestLoginHintMessageOverrides: a non-empty login.hint (a documented
// message key) replaces the derived hint; the parts of the derived one are
// messages too.
func TestLoginHintMessageOverrides(t *testing.T) {
	fixed, err := templates.New(templates.Options{Dir: writeFiles(t, map[string]string{
		"messages/en.json": `{"login.hint": "Sign in as firstname.lastname@beispiel.de."}`})})
	if err != nil {
		t.Fatal(err)
	}
	data := templates.LoginData{HintExamples: "alice@example.com", HintAppPasswords: true}
	if got := hintOf(t, render(t, fixed, templates.PageLogin, data)); got != "Sign in as firstname.lastname@beispiel.de." {
		t.Errorf("login.hint override: %q", got)
	}
	parts, err := templates.New(templates.Options{Dir: writeFiles(t, map[string]string{
		"messages/en.json": `{"login.hint_account": "Konto der Beispiel AG.", "login.hint_examples": "Zum Beispiel", "login.hint_app_passwords": "Oder ein App-Passwort."}`})})
	if err != nil {
		t.Fatal(err)
	}
	if got := hintOf(t, render(t, parts, templates.PageLogin, data)); got != "Konto der Beispiel AG. Zum Beispiel alice@example.com. Oder ein App-Passwort." {
		t.Errorf("part overrides: %q", got)
	}
}

// TestPasswordChangeMessages: after a must-change or expired password the
// page says so and links the configured page; without one it says where
// else to go; under the generic message the link never appears.
func TestPasswordChangeMessages(t *testing.T) {
	s := embedded(t)
	const link = "https://adfs.example.com/adfs/portal/updatepassword/?a=1&b=2"
	for _, c := range []struct {
		key, url string
		want     []string
		not      []string
	}{
		{"error.password_must_change", link,
			[]string{"Your password must be changed before you can sign in.", `<a href="https://adfs.example.com/adfs/portal/updatepassword/?a=1&amp;b=2">Change your password</a>`},
			[]string{"incorrect", "ask your help desk"}},
		{"error.password_expired", link,
			[]string{"Your password has expired.", `>Change your password</a>`}, []string{"incorrect"}},
		{"error.password_must_change", "",
			[]string{"Your password must be changed", "ask your help desk"}, []string{"<a "}},
		{"error.credentials", link,
			[]string{"The user name or password is incorrect."}, []string{"<a ", "updatepassword", "changed", "help desk"}},
	} {
		page := render(t, s, templates.PageLogin, templates.LoginData{ErrorKey: c.key, PasswordChangeURL: c.url})
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s (url %q): page lacks %q:\n%s", c.key, c.url, w, page)
			}
		}
		for _, n := range c.not {
			if strings.Contains(page, n) {
				t.Errorf("%s (url %q): page has %q", c.key, c.url, n)
			}
		}
	}
}
