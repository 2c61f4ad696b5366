package metricstest

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families is one parsed scrape, by metric name.
type Families map[string]*dto.MetricFamily

// Parse reads a text exposition. A line the text parser refuses fails it.
func Parse(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("metricstest: parse: %w", err)
	}
	return Families(fams), nil
}

// Scrape GETs url with client (nil: a plain client), checks that the
// answer is 200 in the text format, and parses it.
func Scrape(t testing.TB, client *http.Client, url string) Families {
	t.Helper()
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %d %s", url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("scrape %s: Content-Type %q, want the text format", url, ct)
	}
	f, err := Parse(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return f
}

// find returns the series of name whose labels include every pair of
// labels ("k1", "v1", "k2", "v2", ...) and have no other label than
// those; nil if there is none.
func (f Families) find(t testing.TB, name string, labels []string) *dto.Metric {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("%s: labels must be name, value pairs: %q", name, labels)
	}
	fam := f[name]
	if fam == nil {
		return nil
	}
	want := map[string]string{}
	for i := 0; i < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
				break
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// Value is the value of a counter or gauge series with exactly these
// labels, 0 when the series does not exist (a counter not yet touched).
func (f Families) Value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	m := f.find(t, name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	t.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

// Has reports whether a series with exactly these labels exists.
func (f Families) Has(t testing.TB, name string, labels ...string) bool {
	t.Helper()
	return f.find(t, name, labels) != nil
}

// Count is the observation count of a histogram series with exactly these
// labels, 0 when the series does not exist.
func (f Families) Count(t testing.TB, name string, labels ...string) uint64 {
	t.Helper()
	m := f.find(t, name, labels)
	if m == nil {
		return 0
	}
	if m.Histogram == nil {
		t.Fatalf("%s%v is not a histogram", name, labels)
	}
	return m.GetHistogram().GetSampleCount()
}

// LabelValues lists the values label takes in name's series, sorted.
func (f Families) LabelValues(name, label string) []string {
	seen := map[string]bool{}
	for _, m := range f[name].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				seen[lp.GetValue()] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
