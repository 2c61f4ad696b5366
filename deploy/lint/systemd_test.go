package lint

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const unitPath = "deploy/systemd/claimgate.service"

// maxExposure is the highest `systemd-analyze security` score accepted.
const maxExposure = 2.0

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: install the Debian package systemd (scripts/install-deps.sh does)")
	}
	return p
}

// unitRoot makes a scratch root for systemd-analyze --root: the
// distribution's units (for the targets the unit names), the unit under test
// in /etc/systemd/system, and the static claimgate binary at the ExecStart
// path, which verify requires to exist and be executable.
func unitRoot(t *testing.T, unit string) string {
	t.Helper()
	r := t.TempDir()
	sys := "/usr/lib/systemd/system"
	if _, err := os.Stat(sys); err != nil {
		sys = "/lib/systemd/system"
	}
	mustRun(t, "mkdir", "-p", filepath.Join(r, "usr/lib/systemd"), filepath.Join(r, "etc/systemd/system"), filepath.Join(r, "usr/local/bin"))
	mustRun(t, "cp", "-a", sys, filepath.Join(r, "usr/lib/systemd/"))
	if err := os.WriteFile(filepath.Join(r, "etc/systemd/system/claimgate.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "cp", staticBinary(t), filepath.Join(r, "usr/local/bin/claimgate"))
	// ExecReload=/bin/kill -HUP $MAINPID: verify wants it executable too.
	kill, err := exec.LookPath("kill")
	if err != nil {
		t.Fatal("kill not found: install the Debian package procps")
	}
	mustRun(t, "mkdir", "-p", filepath.Join(r, "bin"))
	mustRun(t, "cp", kill, filepath.Join(r, "bin/kill"))
	return r
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func verify(t *testing.T, unit string) (string, error) {
	r := unitRoot(t, unit)
	out, err := exec.Command(systemdAnalyze(t), "verify", "--man=no", "--root="+r, "claimgate.service").CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestUnitVerifies(t *testing.T) {
	unit := readFile(t, unitPath)
	out, err := verify(t, unit)
	// verify exits 0 on unknown keys and bad values, so any output fails too.
	if err != nil || out != "" {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
	}
	// The check bites: a misspelt key and a bad value are reported.
	bad := strings.Replace(unit, "ProtectSystem=strict", "ProtectSytem=strict", 1)
	bad = strings.Replace(bad, "Type=exec", "Type=sometimes", 1)
	out, _ = verify(t, bad)
	if !strings.Contains(out, "ProtectSytem") || !strings.Contains(out, "sometimes") {
		t.Errorf("systemd-analyze verify did not report a misspelt key and a bad Type; said %q", out)
	}
}

// serviceKeys reads the [Service] section: key → values in order.
func serviceKeys(t *testing.T, unit string) map[string][]string {
	keys := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(unit))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not key=value: %q", unitPath, line)
		}
		if section == "[Service]" {
			keys[strings.TrimSpace(k)] = append(keys[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return keys
}

func TestUnitHardening(t *testing.T) {
	keys := serviceKeys(t, readFile(t, unitPath))
	one := func(k string) string {
		v := keys[k]
		if len(v) != 1 {
			t.Errorf("%s: want one %s=, got %q", unitPath, k, v)
			return ""
		}
		return v[0]
	}
	for k, want := range map[string]string{
		// claimgate has no sd_notify, so not Type=notify.
		"Type": "exec", "User": "claimgate", "Group": "claimgate",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
		"PrivateTmp": "yes", "PrivateDevices": "yes", "PrivateUsers": "yes",
		"ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
		"ProtectControlGroups": "yes", "ProtectClock": "yes", "ProtectHostname": "yes",
		"RestrictNamespaces": "yes", "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes",
		"LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native",
		"CapabilityBoundingSet": "", "AmbientCapabilities": "", "UMask": "0077",
		"StateDirectory": "claimgate", "StateDirectoryMode": "0700", "ReadWritePaths": "/var/lib/claimgate",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	} {
		if got := one(k); got != want {
			t.Errorf("%s: %s=%q, want %q", unitPath, k, got, want)
		}
	}
	if !strings.HasPrefix(one("ExecStart"), "/usr/local/bin/claimgate serve --config ") {
		t.Errorf("%s: ExecStart=%q, want /usr/local/bin/claimgate serve --config FILE", unitPath, keys["ExecStart"])
	}
	if f := keys["SystemCallFilter"]; len(f) == 0 || f[0] != "@system-service" {
		t.Errorf("%s: SystemCallFilter=%q, want @system-service first", unitPath, f)
	}
}

func TestUnitSecurityScore(t *testing.T) {
	r := unitRoot(t, readFile(t, unitPath))
	out, err := exec.Command(systemdAnalyze(t), "security", "--offline=yes", "--no-pager", "--root="+r, "claimgate.service").CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for claimgate\.service: ([0-9.]+) (\S+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no overall exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security: %s %s", m[1], m[2])
	if score > maxExposure {
		t.Errorf("exposure %s %s, want at most %.1f:\n%s", m[1], m[2], maxExposure, out)
	}
	// docs/operations.md and the unit's header state the score; keep them true.
	claim := m[1] + " " + m[2]
	for _, f := range []string{"docs/operations.md", unitPath} {
		if !strings.Contains(readFile(t, f), "scores it "+claim) {
			t.Errorf("%s does not say the unit \"scores it %s\" (systemd-analyze security's current result)", f, claim)
		}
	}
}
