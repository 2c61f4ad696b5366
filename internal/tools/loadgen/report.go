package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// phaseReport is one measured phase, in the units people read. Every
// per-sign-in figure divides what was spent over the phase's window by
// the sign-ins that completed in it (the same window: see usage).
type phaseReport struct {
	Offered        float64             `json:"offered_per_s,omitempty"` // open loop only
	SignIns        int                 `json:"sign_ins"`
	PerSec         float64             `json:"per_s"`
	P50MS          float64             `json:"p50_ms"`
	P95MS          float64             `json:"p95_ms"`
	P99MS          float64             `json:"p99_ms"`
	Errors         map[string]int      `json:"errors,omitempty"`
	FirstErrors    map[string][]string `json:"first_errors,omitempty"`
	ClaimgateCPUMS float64             `json:"claimgate_cpu_ms_per_sign_in"`
	DCCPUMS        float64             `json:"dc_cpu_ms_per_sign_in"`
	// LoadgenCPUMS is the generator's own CPU per sign-in: on a shared
	// 2-core machine it competes with what it measures.
	LoadgenCPUMS float64 `json:"loadgen_cpu_ms_per_sign_in"`
	// CPURatio is claimgate's CPU ÷ the DC's CPU over the phase (target
	// ≤ 0.25 for legitimate sign-ins alone); 0 for the directory phases.
	CPURatio  float64 `json:"cpu_ratio,omitempty"`
	PeakRSSMB float64 `json:"claimgate_peak_rss_mb"`
	// PeakSampled: the kernel's peak could not be reset for this phase;
	// PeakRSSMB is the highest VmRSS sampled every 5 ms.
	PeakSampled bool `json:"peak_rss_sampled,omitempty"`
	nerr        int  // errors that fail the run (all but tolerated kinds)
}

// tolerated are error kinds that are reported but do not fail a run: the
// server shedding a user's first sign-in while under attack is its
// design (a busy page, no work), not a failure.
var tolerated = map[string]bool{kindBusy: true}

func newPhaseReport(s sample, u usage) phaseReport {
	r := phaseReport{SignIns: s.ok(), PerSec: s.rate(), P50MS: ms(s.pct(.50)), P95MS: ms(s.pct(.95)),
		P99MS: ms(s.pct(.99)), Errors: s.errs, FirstErrors: s.why, PeakRSSMB: mb(u.peakKB), PeakSampled: u.peakSampled}
	for k, v := range s.errs {
		if !tolerated[k] {
			r.nerr += v
		}
	}
	if n := s.ok(); n > 0 {
		r.ClaimgateCPUMS = ms(u.cgCPU) / float64(n)
		r.DCCPUMS = ms(u.dcCPU) / float64(n)
		r.LoadgenCPUMS = ms(u.genCPU) / float64(n)
	}
	if u.dcCPU > 0 && u.cgCPU > 0 {
		r.CPURatio = float64(u.cgCPU) / float64(u.dcCPU)
	}
	return r
}

type closedReport struct {
	Users     int         `json:"users"`
	Claimgate phaseReport `json:"claimgate"`
	Directory phaseReport `json:"directory"`
	// RateRatio is claimgate's sign-ins/s ÷ the directory's own rate for
	// the same LDAP work at the same concurrency (target ≥ 0.8).
	RateRatio float64 `json:"rate_ratio"`
	// CPURatio is claimgate's CPU per sign-in ÷ the DC's CPU per sign-in
	// during the claimgate phase (target ≤ 0.25).
	CPURatio float64 `json:"cpu_ratio"`
}

func (c *closedReport) ratios() {
	if c.Directory.PerSec > 0 {
		c.RateRatio = c.Claimgate.PerSec / c.Directory.PerSec
	}
	c.CPURatio = c.Claimgate.CPURatio
}

type sprayReport struct {
	Attack         string         `json:"attack"`
	Legit          phaseReport    `json:"legitimate"`
	Attempts       int            `json:"attempts"`
	AttemptsPerSec float64        `json:"attempts_per_s"` // answered and shed
	AttackErrors   map[string]int `json:"attack_errors,omitempty"`
	// Shed is the attempts the server answered "busy" (no work, by
	// design); Attempts counts only those answered with the password page.
	Shed int `json:"attempts_shed"`
	// Bad binds (invalidCredentials) that reached the DC per attacked
	// user in this phase, counted by the LDAP proxy.
	BadBindsMax  int     `json:"bad_binds_max_per_victim"`
	BadBindsMean float64 `json:"bad_binds_mean_per_victim"`
	BindsAtDC    int     `json:"binds_at_dc"`
	// DBGrowthMB is how much the database file and its WAL grew during the
	// phase (MiB).
	DBGrowthMB float64 `json:"db_growth_mb"`
	// Flood marks the sign-in request flood (no passwords).
	Flood bool `json:"flood,omitempty"`
}

type report struct {
	OTP            string         `json:"otp"`
	Signer         string         `json:"signer"`
	Budgets        budgets        `json:"budgets"`
	Cores          int            `json:"cores"`
	Pool           int            `json:"enrolled_users"`
	StartToReadyMS float64        `json:"start_to_ready_ms"` // the median of StartsMS
	StartsMS       []float64      `json:"starts_ms"`
	IdleRSSMB      float64        `json:"idle_rss_mb"`
	Closed         []closedReport `json:"closed"`
	Open           *phaseReport   `json:"open,omitempty"`
	Spray          []sprayReport  `json:"spray,omitempty"`
	// Over the whole spray run, per attacked user: refused binds counted
	// at the proxy, and the DC's own badPwdCount change (which moves only
	// when the domain has a lockout threshold; the shared test DC has none).
	BadBindsTotalMax    int   `json:"bad_binds_total_max_per_victim"`
	BadPwdCountDeltaMax int   `json:"badpwdcount_delta_max"`
	UserWaits           int64 `json:"user_waits"` // TOTP: a worker found every free user used this step
	// LDAPPerSignIn is the LDAP requests claimgate sent per legitimate
	// sign-in with no attack, by operation, counted by the proxy: the
	// directory baseline does 2 searches and 1 bind.
	LDAPPerSignIn map[string]float64 `json:"ldap_requests_per_sign_in,omitempty"`
}

// budgets are the limits a run asserts (issue 12 point 7): exceeding one
// fails the run.
type budgets struct {
	IdleRSSMB  float64 `json:"idle_rss_mb"`
	LoadRSSMB  float64 `json:"load_rss_mb"`
	SprayRSSMB float64 `json:"spray_rss_mb"`
	FloodDBMB  float64 `json:"flood_db_mb"`
	ReadyMS    float64 `json:"start_to_ready_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(kb int64) float64        { return float64(kb) / 1024 }

// unfamiliarMaxPasswords is lockout.unfamiliar_max_passwords at its
// default, which the deployment keeps: the target for bad binds per user.
const unfamiliarMaxPasswords = 20

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nclaimgate load report (%d cores, second factor %s, %d enrolled users, signer %s)\n", r.Cores, r.OTP, r.Pool, r.Signer)
	fmt.Fprintf(w, "start to ready %.0f ms (median of %v), idle RSS %.1f MB\n\n", r.StartToReadyMS, r.StartsMS, r.IdleRSSMB)
	fmt.Fprintf(w, "%-24s %6s %7s %7s %7s %7s %9s %8s %8s %8s %6s %7s  %s\n", "phase", "n", "per s", "p50 ms", "p95 ms", "p99 ms",
		"cg cpu ms", "dc cpu", "gen cpu", "cg÷dc", "ratio", "peak MB", "errors")
	line := func(name string, p phaseReport, ratio float64) {
		rs, peak := "", fmt.Sprintf("%.1f", p.PeakRSSMB)
		if ratio > 0 {
			rs = fmt.Sprintf("%.2f", ratio)
		}
		if p.PeakSampled {
			peak += "~"
		}
		cg := ""
		if p.CPURatio > 0 {
			cg = fmt.Sprintf("%.2f", p.CPURatio)
		}
		fmt.Fprintf(w, "%-24s %6d %7.1f %7.1f %7.1f %7.1f %9.2f %8.2f %8.2f %8s %6s %7s  %s\n", name, p.SignIns, p.PerSec,
			p.P50MS, p.P95MS, p.P99MS, p.ClaimgateCPUMS, p.DCCPUMS, p.LoadgenCPUMS, cg, rs, peak, errString(p.Errors))
	}
	for _, c := range r.Closed {
		line(fmt.Sprintf("claimgate %d users", c.Users), c.Claimgate, c.RateRatio)
		line(fmt.Sprintf("directory %d users", c.Users), c.Directory, 0)
	}
	if r.Open != nil {
		line(fmt.Sprintf("open loop %.1f/s", r.Open.Offered), *r.Open, 0)
	}
	for _, s := range r.Spray {
		line("legit, spray: "+short(s.Attack), s.Legit, 0)
	}
	fmt.Fprintln(w, "(ratio: claimgate sign-ins/s ÷ the directory's own rate for the same LDAP work, same concurrency;"+
		" cg÷dc: claimgate CPU ÷ DC CPU; gen: this generator; ~: peak sampled)")
	for _, s := range r.Spray {
		if s.Attempts+s.Shed == 0 {
			continue
		}
		fmt.Fprintf(w, "spray %-34s %6d attempts answered, %d shed as busy (%.0f/s in all), attack errors %s; bad binds at the DC per victim: max %d, mean %.1f; database grew %.1f MiB\n",
			s.Attack+":", s.Attempts, s.Shed, s.AttemptsPerSec, errString(s.AttackErrors), s.BadBindsMax, s.BadBindsMean, s.DBGrowthMB)
	}
	if len(r.Spray) > 0 {
		fmt.Fprintf(w, "bad binds per victim over the whole spray: max %d (claimgate threshold %d); badPwdCount change max %d\n",
			r.BadBindsTotalMax, unfamiliarMaxPasswords, r.BadPwdCountDeltaMax)
	}
	if len(r.LDAPPerSignIn) > 0 {
		fmt.Fprintf(w, "LDAP requests per sign-in, no attack (proxy): %s; the directory baseline sends 2 searches, 1 bind\n",
			perString(r.LDAPPerSignIn))
	}
	if r.UserWaits > 0 {
		fmt.Fprintf(w, "TOTP: %d waits for a user not yet used in this step (the generator limited itself; raise -pool)\n", r.UserWaits)
	}
	r.printErrors(w)
	r.printSummary(w)
}

// printErrors lists the first messages of every error kind of every
// phase: a count alone does not say what went wrong.
func (r *report) printErrors(w io.Writer) {
	each := func(name string, p phaseReport) {
		keys := make([]string, 0, len(p.FirstErrors))
		for k := range p.FirstErrors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, m := range p.FirstErrors[k] {
				fmt.Fprintf(w, "  %s, %s (%d in all): %s\n", name, k, p.Errors[k], m)
			}
		}
	}
	if r.errorCount() == 0 {
		return
	}
	fmt.Fprintln(w, "errors, the first of each kind:")
	r.phases(each)
}

func (r *report) errorCount() int {
	n := 0
	r.phases(func(_ string, p phaseReport) {
		for _, v := range p.Errors {
			n += v
		}
	})
	return n
}

// phases calls f for every measured phase, in the order run.
func (r *report) phases(f func(name string, p phaseReport)) {
	for _, c := range r.Closed {
		f(fmt.Sprintf("claimgate %d users", c.Users), c.Claimgate)
		f(fmt.Sprintf("directory %d users", c.Users), c.Directory)
	}
	if r.Open != nil {
		f("open loop", *r.Open)
	}
	for _, s := range r.Spray {
		f("legitimate users, spray: "+s.Attack, s.Legit)
	}
}

// printSummary is the rows of issue 12's table this run measures, with
// their targets (the budgets, asserted; the rest reported).
func (r *report) printSummary(w io.Writer) {
	fmt.Fprintln(w, "\nissue 12 table, this run:")
	row := func(what, now, target string) { fmt.Fprintf(w, "  %-58s %-22s %s\n", what, now, target) }
	var users, rate, cpu []string
	for _, c := range r.Closed {
		users = append(users, fmt.Sprint(c.Users))
		rate = append(rate, fmt.Sprintf("%.2f", c.RateRatio))
		cpu = append(cpu, fmt.Sprintf("%.2f", c.CPURatio))
	}
	if len(r.Closed) > 0 {
		u := strings.Join(users, "/")
		row("sign-in rate ÷ directory's own rate, "+u+" users", strings.Join(rate, " / "), "≥ 0.8")
		row("claimgate CPU ÷ DC CPU per sign-in, "+u+" users", strings.Join(cpu, " / "), "≤ 0.25")
	}
	if r.Open != nil {
		row(fmt.Sprintf("p99 at %.1f/s open loop (half the capacity)", r.Open.Offered), fmt.Sprintf("%.0f ms", r.Open.P99MS), "< 100 ms")
	}
	var p99 []string
	var attacks []string
	for _, s := range r.Spray {
		attacks = append(attacks, short(s.Attack))
		p99 = append(p99, fmt.Sprintf("%.0f", s.Legit.P99MS))
	}
	if len(r.Spray) > 0 {
		row("legitimate p99 ms: "+strings.Join(attacks, " / "), strings.Join(p99, " / "), "< 250 ms during a spray")
		row("bad binds at the DC per attacked user (whole spray, max)", fmt.Sprint(r.BadBindsTotalMax),
			fmt.Sprintf("≤ %d (claimgate's threshold)", unfamiliarMaxPasswords))
	}
	var load, spray float64
	for _, c := range r.Closed {
		load = max(load, c.Claimgate.PeakRSSMB)
	}
	if r.Open != nil {
		load = max(load, r.Open.PeakRSSMB)
	}
	for _, s := range r.Spray {
		spray = max(spray, s.Legit.PeakRSSMB)
	}
	b := r.Budgets
	row("peak RSS MB: idle / under load / during the spray", fmt.Sprintf("%.0f / %.0f / %.0f", r.IdleRSSMB, load, spray),
		fmt.Sprintf("< %.0f / %.0f / %.0f (asserted)", b.IdleRSSMB, b.LoadRSSMB, b.SprayRSSMB))
	row("start to ready", fmt.Sprintf("%.0f ms", r.StartToReadyMS), fmt.Sprintf("< %.0f ms (asserted)", b.ReadyMS))
}

func perString(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%.2f %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func short(attack string) string {
	s, _, _ := strings.Cut(attack, " (")
	return s
}

func errString(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	return b.String()
}

// failures are the reasons to exit non-zero: a functional failure (an
// error in the legitimate flow, but for the server shedding a user's
// first sign-in as busy, which is its design; a directory baseline
// error; a phase without a sign-in; a wrong password accepted) or a
// budget broken (RSS, start to ready). Never latency or rate.
func (r *report) failures() []string {
	var f []string
	b := r.Budgets
	check := func(name string, p phaseReport, budgetMB float64) {
		if p.nerr > 0 {
			var kinds []string
			for k := range p.Errors {
				if !tolerated[k] {
					kinds = append(kinds, k)
				}
			}
			sort.Strings(kinds)
			first := ""
			if len(kinds) > 0 && len(p.FirstErrors[kinds[0]]) > 0 {
				first = p.FirstErrors[kinds[0]][0]
			}
			f = append(f, fmt.Sprintf("%s: %d errors (%s); first: %s", name, p.nerr, errString(p.Errors), first))
		}
		if p.SignIns == 0 {
			f = append(f, name+": no sign-in completed")
		}
		if p.PeakRSSMB > budgetMB {
			f = append(f, fmt.Sprintf("%s: claimgate peak RSS %.1f MB over the budget %.0f MB", name, p.PeakRSSMB, budgetMB))
		}
	}
	if r.IdleRSSMB > b.IdleRSSMB {
		f = append(f, fmt.Sprintf("idle RSS %.1f MB over the budget %.0f MB", r.IdleRSSMB, b.IdleRSSMB))
	}
	if r.StartToReadyMS > b.ReadyMS {
		f = append(f, fmt.Sprintf("start to ready %.0f ms over the budget %.0f ms", r.StartToReadyMS, b.ReadyMS))
	}
	for _, c := range r.Closed {
		check(fmt.Sprintf("claimgate %d users", c.Users), c.Claimgate, b.LoadRSSMB)
		check(fmt.Sprintf("directory %d users", c.Users), c.Directory, b.LoadRSSMB)
	}
	if r.Open != nil {
		check("open loop", *r.Open, b.LoadRSSMB)
	}
	for _, s := range r.Spray {
		check("legitimate users, spray: "+s.Attack, s.Legit, b.SprayRSSMB)
		if n := s.AttackErrors[kindAccepted]; n > 0 {
			f = append(f, fmt.Sprintf("spray %s: %d wrong passwords accepted", s.Attack, n))
		}
		if s.Flood && s.DBGrowthMB > b.FloodDBMB {
			f = append(f, fmt.Sprintf("spray %s: the database grew %.1f MiB, over the budget %.0f MiB", s.Attack, s.DBGrowthMB, b.FloodDBMB))
		}
	}
	return f
}
