// Abanalysis is the analysis job of an A/B test: it joins the exposure log
// that a varroute router wrote (through exposure.Writer) with an outcomes
// table and decides whether the treatment won.
//
//	go run ./examples/abanalysis
//	go run ./examples/abanalysis -exposures exp.jsonl -outcomes out.csv -plan checkout-2026 -weights control=90,treatment=10
//
// Without flags it reads the sample data set in testdata/ (written by
// go run ./examples/abanalysis/gen: 15,000 users, treatment truly converts
// at 12% against 10%).
//
// How it counts:
//   - Intent to treat: a unit belongs to the variant of its first exposure
//     (earliest Time) under the plan, whatever happened later (a fallback
//     serving it, a later change of plan weights). Units exposed to more
//     than one variant are counted and reported.
//   - The outcomes CSV has a header and the columns unit, metric and value
//     (any order; other columns are ignored). Rows of the same unit and
//     metric add up. A unit converted if its "converted" values sum to more
//     than 0; its revenue is the sum of its "revenue" values.
//   - An exposed unit with no outcome row counts as not converted and as 0
//     revenue: outcome tables usually list only the units that did
//     something. Outcome rows of units never exposed are ignored (and
//     counted).
//   - Conversion: rate with a 95% Wilson interval, two-proportion z test
//     against the control. Revenue per unit: mean with a 95% t interval,
//     Welch t test. Each p-value is two-sided; Holm's method adjusts them
//     across every metric and variant compared.
//   - Sample-ratio mismatch: a chi-square goodness-of-fit test of the units
//     per variant against the expected shares (-weights, default equal); a
//     p-value under -srm-alpha (0.001) makes the results untrustworthy.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/varroute/varroute/exposure"
	"github.com/varroute/varroute/stats"
)

func main() {
	var (
		exposuresPath = flag.String("exposures", "", "exposure log, JSON lines (default: the sample testdata/exposures.jsonl)")
		outcomesPath  = flag.String("outcomes", "", "outcomes CSV with columns unit,metric,value (default: the sample testdata/outcomes.csv)")
		plan          = flag.String("plan", "", "analyse only this plan's exposures (required if the log holds several plans)")
		control       = flag.String("control", "", `the control variant (default: "control" if present, else the first in alphabetical order)`)
		weights       = flag.String("weights", "", "expected traffic shares, e.g. control=50,treatment=50 (default: equal shares)")
		alpha         = flag.Float64("alpha", 0.05, "significance level for the Holm-adjusted p-values")
		srmAlpha      = flag.Float64("srm-alpha", 0.001, "significance level of the sample-ratio-mismatch check")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("abanalysis: ")

	expPath, err := resolve(*exposuresPath, "exposures.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	outPath, err := resolve(*outcomesPath, "outcomes.csv")
	if err != nil {
		log.Fatal(err)
	}
	w, err := parseWeights(*weights)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	exps, err := readExposures(expPath, *plan)
	if err != nil {
		log.Fatal(err)
	}
	outs, err := readOutcomes(outPath)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := analyze(exps, outs, options{Control: *control, Weights: w, Alpha: *alpha, SRMAlpha: *srmAlpha})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("exposures: %s (%d lines, plan %s)\n", expPath, exps.Lines, exps.Plan)
	fmt.Printf("outcomes:  %s (%d rows)\n\n", outPath, outs.Rows)
	rep.print(os.Stdout)
	fmt.Printf("\n(analysed in %v)\n", time.Since(start).Round(time.Millisecond))
}

// resolve returns path if it is set; otherwise the sample file name, looked
// for beside this source file (go run from anywhere on the machine that
// built it), then under examples/abanalysis/testdata (the repository root)
// and testdata (this directory).
func resolve(path, name string) (string, error) {
	if path != "" {
		return path, nil
	}
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "testdata", name))
	}
	candidates = append(candidates, filepath.Join("examples", "abanalysis", "testdata", name), filepath.Join("testdata", name))
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			if wd, err := os.Getwd(); err == nil {
				if rel, err := filepath.Rel(wd, c); err == nil && !strings.HasPrefix(rel, "..") {
					return rel, nil // shorter to print
				}
			}
			return c, nil
		}
	}
	return "", fmt.Errorf("sample %s not found (looked in %s); pass its path with a flag", name, strings.Join(candidates, ", "))
}

// weight is one expected share.
type weight struct {
	Variant string
	Share   float64
}

// parseWeights parses "a=50,b=50". An empty string means equal shares.
func parseWeights(s string) ([]weight, error) {
	if s == "" {
		return nil, nil
	}
	var ws []weight
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		share, err := strconv.ParseFloat(val, 64)
		if !ok || name == "" || err != nil || !(share > 0) || math.IsInf(share, 0) {
			return nil, fmt.Errorf("-weights: %q is not variant=positive number", part)
		}
		if slices.ContainsFunc(ws, func(w weight) bool { return w.Variant == name }) {
			return nil, fmt.Errorf("-weights: variant %q twice", name)
		}
		ws = append(ws, weight{name, share})
	}
	return ws, nil
}

// assignments are the units of one plan and the variant each was first
// exposed to.
type assignments struct {
	Plan    string
	Lines   int
	Variant map[string]string // unit -> variant of its first exposure
	first   map[string]time.Time
	Crossed int // units exposed to more than one variant
	NoKey   int // exposures without a unit key, which cannot be joined
}

// readExposures reads the exposure log at path.
func readExposures(path, plan string) (*assignments, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return collectExposures(f, plan)
}

// collectExposures keeps, for each unit of the plan, the variant of its
// earliest exposure. Without a plan, the log must hold exactly one.
func collectExposures(r io.Reader, plan string) (*assignments, error) {
	a := &assignments{Plan: plan, Variant: map[string]string{}, first: map[string]time.Time{}}
	crossed := map[string]bool{}
	plans := map[string]bool{}
	for e, err := range exposure.Read(r) {
		if err != nil {
			return nil, err
		}
		a.Lines++
		plans[e.Plan] = true
		if plan != "" && e.Plan != plan {
			continue
		}
		if e.Unit == "" {
			a.NoKey++
			continue
		}
		v, seen := a.Variant[e.Unit]
		switch {
		case !seen:
			a.Variant[e.Unit], a.first[e.Unit] = e.Variant, e.Time
		case v != e.Variant:
			crossed[e.Unit] = true
			if e.Time.Before(a.first[e.Unit]) {
				a.Variant[e.Unit], a.first[e.Unit] = e.Variant, e.Time
			}
		}
	}
	a.Crossed = len(crossed)
	if plan == "" {
		names := make([]string, 0, len(plans))
		for p := range plans {
			names = append(names, p)
		}
		sort.Strings(names)
		if len(names) > 1 {
			return nil, fmt.Errorf("the log holds several plans (%s): choose one with -plan", strings.Join(names, ", "))
		}
		if len(names) == 1 {
			a.Plan = names[0]
		}
	}
	if len(a.Variant) == 0 {
		return nil, fmt.Errorf("no exposure with a unit key for plan %q", a.Plan)
	}
	return a, nil
}

// outcome is what one unit did.
type outcome struct {
	Converted float64 // sum of its "converted" values
	Revenue   float64 // sum of its "revenue" values
}

// outcomes are the outcome rows, summed per unit.
type outcomes struct {
	Rows   int
	ByUnit map[string]outcome
	Other  map[string]int // rows of metrics other than converted and revenue
}

// readOutcomes reads the outcomes CSV at path.
func readOutcomes(path string) (*outcomes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o, err := collectOutcomes(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

// collectOutcomes parses a CSV with a header naming the columns unit,
// metric and value.
func collectOutcomes(r io.Reader) (*outcomes, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	iu, ok1 := col["unit"]
	im, ok2 := col["metric"]
	iv, ok3 := col["value"]
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("header %q: want columns unit, metric and value", header)
	}
	need := max(iu, im, iv) + 1
	o := &outcomes{ByUnit: map[string]outcome{}, Other: map[string]int{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return o, nil
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) < need {
			return nil, fmt.Errorf("line %d: %d fields, want at least %d", line, len(rec), need)
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(rec[iv]), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("line %d: value %q is not a finite number", line, rec[iv])
		}
		o.Rows++
		u := o.ByUnit[rec[iu]]
		switch m := rec[im]; m {
		case "converted":
			u.Converted += x
		case "revenue":
			u.Revenue += x
		default:
			o.Other[m]++
			continue
		}
		o.ByUnit[strings.Clone(rec[iu])] = u
	}
}

// options are the analysis settings.
type options struct {
	Control  string   // "" means "control" if present, else the first name
	Weights  []weight // nil means equal shares of the variants seen
	Alpha    float64
	SRMAlpha float64
}

// arm is one variant's data.
type arm struct {
	Variant     string
	Units       int64
	Conversions int64
	Revenue     stats.Summary // revenue per unit, zeros included
}

// comparison is one metric of one variant against the control.
type comparison struct {
	Metric  string // "conversion" or "revenue"
	Variant string
	Base    float64 // the control's rate or mean
	Result  stats.Result
	Err     error
	AdjP    float64 // Holm-adjusted across all comparisons
}

// report is the analysis.
type report struct {
	Plan        string
	Arms        []arm // the control first
	Shares      []float64
	SRM         stats.Result
	SRMErr      error
	Comparisons []comparison
	Unmatched   int // outcome units never exposed
	Crossed     int
	NoKey       int
	Other       map[string]int
	opts        options
}

// analyze joins assignments with outcomes and runs the tests.
func analyze(a *assignments, o *outcomes, opts options) (*report, error) {
	if opts.Alpha <= 0 || opts.Alpha >= 1 || opts.SRMAlpha <= 0 || opts.SRMAlpha >= 1 {
		return nil, errors.New("-alpha and -srm-alpha must be in (0, 1)")
	}
	byName := map[string]*arm{}
	for _, w := range opts.Weights {
		byName[w.Variant] = &arm{Variant: w.Variant}
	}
	for unit, v := range a.Variant {
		ar := byName[v]
		if ar == nil {
			if opts.Weights != nil {
				return nil, fmt.Errorf("variant %q is in the log but not in -weights", v)
			}
			ar = &arm{Variant: v}
			byName[v] = ar
		}
		out := o.ByUnit[unit] // absent: not converted, no revenue
		ar.Units++
		if out.Converted > 0 {
			ar.Conversions++
		}
		ar.Revenue.Add(out.Revenue)
	}
	unmatched := 0
	for unit := range o.ByUnit {
		if _, ok := a.Variant[unit]; !ok {
			unmatched++
		}
	}

	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	control := opts.Control
	switch {
	case control == "" && byName["control"] != nil:
		control = "control"
	case control == "":
		control = names[0]
	case byName[control] == nil:
		return nil, fmt.Errorf("control variant %q has no exposure (variants: %s)", control, strings.Join(names, ", "))
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("only one variant (%s): nothing to compare", control)
	}
	r := &report{Plan: a.Plan, Unmatched: unmatched, Crossed: a.Crossed, NoKey: a.NoKey, Other: o.Other, opts: opts}
	r.Arms = append(r.Arms, *byName[control])
	for _, n := range names {
		if n != control {
			r.Arms = append(r.Arms, *byName[n])
		}
	}

	observed := make([]int64, len(r.Arms))
	r.Shares = make([]float64, len(r.Arms))
	for i, ar := range r.Arms {
		observed[i] = ar.Units
		r.Shares[i] = 1
		for _, w := range opts.Weights {
			if w.Variant == ar.Variant {
				r.Shares[i] = w.Share
			}
		}
	}
	r.SRM, r.SRMErr = stats.ChiSquareGoodnessOfFit(observed, r.Shares)

	c := r.Arms[0]
	cp := stats.Proportion{Successes: c.Conversions, Trials: c.Units}
	for _, t := range r.Arms[1:] {
		tp := stats.Proportion{Successes: t.Conversions, Trials: t.Units}
		res, err := stats.TwoProportionZTest(cp, tp, stats.TwoSided, 0.95)
		r.Comparisons = append(r.Comparisons, comparison{Metric: "conversion", Variant: t.Variant, Base: cp.Rate(), Result: res, Err: err})
		res, err = stats.WelchTTest(c.Revenue, t.Revenue, stats.TwoSided, 0.95)
		r.Comparisons = append(r.Comparisons, comparison{Metric: "revenue", Variant: t.Variant, Base: c.Revenue.Mean(), Result: res, Err: err})
	}
	ps := make([]float64, len(r.Comparisons))
	for i, cm := range r.Comparisons {
		ps[i] = math.NaN() // a failed test counts as p = 1 in Holm
		if cm.Err == nil {
			ps[i] = cm.Result.PValue
		}
	}
	for i, p := range stats.HolmBonferroni(ps) {
		r.Comparisons[i].AdjP = p
	}
	return r, nil
}

// srmFailed reports a sample-ratio mismatch.
func (r *report) srmFailed() bool { return r.SRMErr == nil && r.SRM.PValue < r.opts.SRMAlpha }

// verdict is the one-line conclusion.
func (r *report) verdict() string {
	if r.srmFailed() {
		return fmt.Sprintf("SRM detected (p=%s): results untrustworthy; fix assignment or logging before reading them", fmtP(r.SRM.PValue))
	}
	var parts []string
	minP := 1.0
	for _, c := range r.Comparisons {
		if c.Err != nil {
			continue
		}
		minP = min(minP, c.AdjP)
		if c.AdjP >= r.opts.Alpha {
			continue
		}
		word := "wins"
		if c.Result.Effect < 0 {
			word = "loses"
		}
		parts = append(parts, fmt.Sprintf("%s %s on %s (%s, adjusted p=%s)", c.Variant, word, c.Metric, fmtLift(c.Result.Effect, c.Base), fmtP(c.AdjP)))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no significant difference (smallest adjusted p=%s, alpha %g)", fmtP(minP), r.opts.Alpha)
	}
	return strings.Join(parts, "; ")
}

// print writes the report as tables.
func (r *report) print(out io.Writer) {
	var total int64
	for _, a := range r.Arms {
		total += a.Units
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variant\tunits\tshare\tconversion\t95%% CI\trevenue/unit\t95%% CI\n")
	for _, a := range r.Arms {
		p := stats.Proportion{Successes: a.Conversions, Trials: a.Units}
		lo, hi := wilson(p, 0.95)
		mlo, mhi := meanCI(a.Revenue, 0.95)
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%.2f%%\t[%.2f%%, %.2f%%]\t%.2f\t[%.2f, %.2f]\n",
			a.Variant, a.Units, 100*float64(a.Units)/float64(total), 100*p.Rate(), 100*lo, 100*hi, a.Revenue.Mean(), mlo, mhi)
	}
	tw.Flush()

	fmt.Fprintln(out)
	var want []string
	var sum float64
	for _, s := range r.Shares {
		sum += s
	}
	for i, a := range r.Arms {
		want = append(want, fmt.Sprintf("%s %.1f%%", a.Variant, 100*r.Shares[i]/sum))
	}
	switch {
	case r.SRMErr != nil:
		fmt.Fprintf(out, "sample ratio: expected %s; test failed: %v\n", strings.Join(want, ", "), r.SRMErr)
	default:
		status := "ok"
		if r.srmFailed() {
			status = "MISMATCH"
		}
		fmt.Fprintf(out, "sample ratio: expected %s; chi2=%.2f, df=%g, p=%s: %s\n", strings.Join(want, ", "), r.SRM.Statistic, r.SRM.DF, fmtP(r.SRM.PValue), status)
	}

	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "metric\tvariant\tvs %s\teffect\t95%% CI\tlift\tp\tHolm p\n", r.Arms[0].Variant)
	for _, c := range r.Comparisons {
		if c.Err != nil {
			fmt.Fprintf(tw, "%s\t%s\t\t%v\t\t\t\t\n", c.Metric, c.Variant, c.Err)
			continue
		}
		e, ci := c.Result.Effect, c.Result.CI
		if c.Metric == "conversion" {
			fmt.Fprintf(tw, "%s\t%s\t%.2f%%\t%+.2f pp\t[%+.2f, %+.2f] pp\t%s\t%s\t%s\n",
				c.Metric, c.Variant, 100*c.Base, 100*e, 100*ci.Lo, 100*ci.Hi, fmtLift(e, c.Base), fmtP(c.Result.PValue), fmtP(c.AdjP))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%+.2f\t[%+.2f, %+.2f]\t%s\t%s\t%s\n",
				c.Metric, c.Variant, c.Base, e, ci.Lo, ci.Hi, fmtLift(e, c.Base), fmtP(c.Result.PValue), fmtP(c.AdjP))
		}
	}
	tw.Flush()

	var notes []string
	if r.Crossed > 0 {
		notes = append(notes, fmt.Sprintf("%d units were exposed to more than one variant (counted in their first)", r.Crossed))
	}
	if r.NoKey > 0 {
		notes = append(notes, fmt.Sprintf("%d exposures had no unit key (ignored)", r.NoKey))
	}
	if r.Unmatched > 0 {
		notes = append(notes, fmt.Sprintf("%d outcome units were never exposed (ignored)", r.Unmatched))
	}
	for _, m := range slices.Sorted(mapKeys(r.Other)) {
		notes = append(notes, fmt.Sprintf("%d rows of metric %q ignored", r.Other[m], m))
	}
	if len(notes) > 0 {
		fmt.Fprintln(out)
		for _, n := range notes {
			fmt.Fprintln(out, "note:", n)
		}
	}
	fmt.Fprintf(out, "\nverdict: %s\n", r.verdict())
}

func mapKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// wilson returns the Wilson score interval of a proportion.
func wilson(p stats.Proportion, confidence float64) (lo, hi float64) {
	if p.Trials == 0 {
		return 0, 1
	}
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	n := float64(p.Trials)
	ph := p.Rate()
	den := 1 + z*z/n
	mid := (ph + z*z/(2*n)) / den
	half := z * math.Sqrt(ph*(1-ph)/n+z*z/(4*n*n)) / den
	return max(0, mid-half), min(1, mid+half)
}

// meanCI returns the t interval of a mean.
func meanCI(s stats.Summary, confidence float64) (lo, hi float64) {
	if s.N() < 2 {
		return math.NaN(), math.NaN()
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(s.N() - 1)}.Quantile(1 - (1-confidence)/2)
	half := t * math.Sqrt(s.Variance()/float64(s.N()))
	return s.Mean() - half, s.Mean() + half
}

// fmtLift formats effect relative to base as a signed percentage.
func fmtLift(effect, base float64) string {
	if base == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", 100*effect/base)
}

// fmtP formats a p-value.
func fmtP(p float64) string {
	if p < 1e-4 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}
