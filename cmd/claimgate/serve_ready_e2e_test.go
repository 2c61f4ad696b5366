package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claimgate/claimgate/certs"
)

// TestServeWarnsAboutTheDirectoryAtStart: `serve` against the real Samba
// AD DC with a CA that did not issue the DC's certificate, a wrong service
// password, or a base DN that does not exist starts anyway, logs one
// warning per problem naming the key to fix (before any user signs in)
// and answers /readyz with 503 while /healthz is 200. With the right
// settings it logs that the directory is fine and is ready. Before, the
// first sign-in was the first to find out.
func TestServeWarnsAboutTheDirectoryAtStart(t *testing.T) {
	ad := samba(t)
	url := ad["CLAIMGATE_TEST_LDAP_URL"]
	otherCA := func(t *testing.T, dir string) string {
		kp, err := certs.Generate(certs.GenerateOptions{CommonName: "Some Other CA"})
		if err != nil {
			t.Fatal(err)
		}
		crt := filepath.Join(dir, "other-ca.pem")
		if err := certs.WritePEM(kp, crt, filepath.Join(dir, "other-ca.key"), false); err != nil {
			t.Fatal(err)
		}
		return crt
	}
	cases := []struct {
		name   string
		change func(t *testing.T, fx *fixture, yaml string) string
		want   []string // in one warning line of the log
	}{
		{"wrong CA", func(t *testing.T, fx *fixture, yaml string) string {
			return strings.Replace(yaml, ad["CLAIMGATE_TEST_LDAP_CA_FILE"], otherCA(t, fx.dir), 1)
		}, []string{`"msg":"domain controller not usable"`, `"server":"` + url + `"`, "certificate", "directory.ldap.ca_file"}},
		{"wrong bind password", func(t *testing.T, fx *fixture, yaml string) string {
			fx.env["CLAIMGATE_TEST_LDAP_BIND_PASSWORD"] = "Not-The-Password-1"
			return yaml
		}, []string{`"msg":"domain controller not usable"`, "52e", "directory.ldap.bind_dn", "directory.ldap.bind_password"}},
		{"base DN missing", func(t *testing.T, fx *fixture, yaml string) string {
			return strings.Replace(yaml, `base_dn: "`+ad["CLAIMGATE_TEST_LDAP_BASE_DN"]+`"`, `base_dn: "OU=Nowhere,`+ad["CLAIMGATE_TEST_LDAP_BASE_DN"]+`"`, 1)
		}, []string{`"msg":"directory configuration problem: sign-in fails"`, "OU=Nowhere", "directory.ldap.base_dn"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newFixture(t)
			for k, v := range ad {
				fx.env[k] = v
			}
			yaml := ad.ldapYAML(url)
			changed := c.change(t, fx, yaml)
			if changed == yaml && c.name != "wrong bind password" {
				t.Fatal("the directory section did not change; adapt the test to ldapYAML")
			}
			fx.writeConfig(t, serveConfig{directory: changed})
			s := startServe(t, fx)
			line := waitLogLine(t, s, c.want)
			t.Log(line)
			if !strings.Contains(line, `"level":"WARN"`) {
				t.Errorf("not a warning: %s", line)
			}
			if code := getStatus(t, fx.base+"/readyz"); code != http.StatusServiceUnavailable {
				t.Errorf("/readyz %d with a directory nobody can sign in with", code)
			}
			if !s.healthy() {
				t.Error("/healthz is not 200: liveness must not follow the directory")
			}
		})
	}
	t.Run("right settings", func(t *testing.T) {
		fx := newFixture(t)
		for k, v := range ad {
			fx.env[k] = v
		}
		// Below the test DC's own threshold (5), so serve has no lockout warning to give.
		fx.writeConfig(t, serveConfig{directory: ad.ldapYAML(url), extra: "lockout:\n  unfamiliar_max_passwords: 3\n"})
		s := startServe(t, fx)
		waitLogLine(t, s, []string{`"msg":"directory ok"`})
		deadline := time.Now().Add(30 * time.Second)
		for getStatus(t, fx.base+"/readyz") != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatalf("/readyz never 200:\n%s", s.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		if strings.Contains(s.stderr.String(), `"level":"WARN"`) {
			t.Errorf("warnings with a correct directory:\n%s", s.stderr.String())
		}
	})
}

// waitLogLine polls the service log for a line holding every string in
// want (a bounded loop; the deadline asserts no timing).
func waitLogLine(t *testing.T, s *server, want []string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, l := range strings.Split(s.stderr.String(), "\n") {
			all := true
			for _, w := range want {
				all = all && strings.Contains(l, w)
			}
			if all {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", want, s.stderr.String())
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
