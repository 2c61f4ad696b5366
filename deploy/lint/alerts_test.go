package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertRules checks the shape of deploy/prometheus/alerts.yml (strictly:
// unknown keys are errors) and that each claimgate_* metric it uses exists in
// internal/metrics once that package exists. PromQL is not parsed here.
func TestAlertRules(t *testing.T) {
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, "deploy/prometheus/alerts.yml")))
	dec.KnownFields(true)
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	metrics := map[string]bool{}
	seen := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("group %s: alert name %q empty or repeated", g.Name, r.Alert)
			}
			seen[r.Alert] = true
			if strings.TrimSpace(r.Expr) == "" || r.For == "" {
				t.Errorf("%s: needs expr and for", r.Alert)
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			for _, m := range regexp.MustCompile(`\bclaimgate_[a-z0-9_]+`).FindAllString(r.Expr, -1) {
				metrics[m] = true
			}
		}
	}
	for _, want := range []string{"ClaimgateSignInFailureRatioHigh", "ClaimgateDirectoryDown", "ClaimgateSigningCertificateExpiresSoon"} {
		if !seen[want] {
			t.Errorf("no alert %s", want)
		}
	}

	var names []string
	for m := range metrics {
		names = append(names, m)
	}
	sort.Strings(names)
	src := metricsSource(t)
	if src == "" {
		t.Logf("internal/metrics does not exist yet: the metric names are provisional: %s", strings.Join(names, ", "))
		return
	}
	for _, m := range names {
		base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(m, "")
		short := strings.TrimPrefix(base, "claimgate_")
		if !strings.Contains(src, `"`+base+`"`) && !strings.Contains(src, `"`+short+`"`) {
			t.Errorf("alerts.yml uses %s, which internal/metrics does not define (looked for %q or %q)", m, base, short)
		}
	}
}

// metricsSource is the Go source of internal/metrics, or "" if there is none.
func metricsSource(t *testing.T) string {
	files, _ := filepath.Glob(filepath.Join(root(t), "internal", "metrics", "*.go"))
	var b strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// TestAlertRulesPromtool: Prometheus's own checker accepts alerts.yml
// (PromQL, templates) and its unit tests (alerts.test.yml) pass.
func TestAlertRulesPromtool(t *testing.T) {
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install the Debian package prometheus (scripts/install-deps.sh does)")
	}
	dir := filepath.Join(root(t), "deploy", "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts.test.yml"}} {
		cmd := exec.Command(p, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
