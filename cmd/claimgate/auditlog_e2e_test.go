package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/claimgate/claimgate/internal/audit"
)

// auditLine is one line of the audit log, decoded, with the line itself.
type auditLine struct {
	audit.Record
	raw    string
	fields map[string]any
}

// readAudit decodes every line of the fixture's audit log; a line that is
// not one JSON object fails the test.
func readAudit(t *testing.T, fx *fixture) []auditLine {
	t.Helper()
	b, err := os.ReadFile(fx.auditPath)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	var out []auditLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		var l auditLine
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l.Record); err != nil {
			t.Fatalf("audit line is not a record: %v\n%s", err, line)
		}
		if err := json.Unmarshal([]byte(line), &l.fields); err != nil {
			t.Fatal(err)
		}
		l.raw = line
		out = append(out, l)
	}
	return out
}

// findAudit returns the newest record of event for user, or nil.
func findAudit(recs []auditLine, event, user string) *auditLine {
	for i := len(recs) - 1; i >= 0; i-- {
		if string(recs[i].Event) == event && recs[i].User == user {
			return &recs[i]
		}
	}
	return nil
}

// assertAbsent fails if any secret appears in text (named where). Digit
// codes are matched as whole numbers: a 6-digit code inside a nanosecond
// timestamp is not a leak.
func assertAbsent(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if regexp.MustCompile(`^[0-9]+$`).MatchString(s) {
			if regexp.MustCompile(`(^|[^0-9])` + s + `([^0-9]|$)`).MatchString(text) {
				t.Errorf("%s contains the code %s", where, s)
			}
			continue
		}
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", where, s)
		}
	}
}

// auditText is the audit log as written, one record a line.
func auditText(recs []auditLine) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(r.raw + "\n")
	}
	return b.String()
}
