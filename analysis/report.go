package analysis

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/varroute/varroute/stats"
)

// A Kind says how a metric is compared.
type Kind int

const (
	// Auto makes a metric a Rate when every unit's value is 0 or 1 (in
	// summaries: Sum and SumSq equal Positive in every row), a Mean
	// otherwise.
	Auto Kind = iota
	// Rate compares the share of units whose value is above 0:
	// two-proportion z test.
	Rate
	// Mean compares the mean value per unit: Welch t test.
	Mean
	// Rank compares the distributions of per-unit values with the
	// Mann-Whitney U test, for skewed metrics; it needs Units, not
	// summaries read from a file.
	Rank
)

var kindNames = [...]string{"auto", "rate", "mean", "rank"}

// String returns "auto", "rate", "mean" or "rank".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// ParseKind returns the Kind that String names.
func ParseKind(s string) (Kind, error) {
	if i := slices.Index(kindNames[:], s); i >= 0 {
		return Kind(i), nil
	}
	return 0, fmt.Errorf("analysis: unknown metric kind %q (want auto, rate, mean or rank)", s)
}

// A Metric names a metric of the outcomes and how to compare it.
type Metric struct {
	Name string
	Kind Kind
}

// A Correction is a method to adjust p-values for multiple comparisons.
type Correction int

const (
	// Holm controls the family-wise error rate (stats.HolmBonferroni).
	Holm Correction = iota
	// BenjaminiHochberg controls the false discovery rate
	// (stats.BenjaminiHochberg).
	BenjaminiHochberg
)

// String returns "Holm" or "Benjamini-Hochberg".
func (c Correction) String() string {
	if c == BenjaminiHochberg {
		return "Benjamini-Hochberg"
	}
	return "Holm"
}

// Options configure Analyze. The zero value analyses every metric against
// the variant named "control" (or the first in byte order), expecting equal
// shares, at alpha 0.05 with Holm's correction.
type Options struct {
	// Control is the variant the others are compared with. Empty means
	// "control" if there is one, else the first variant in byte order.
	Control string
	// Weights are the expected shares of units per variant, in any unit
	// (percent, say). Nil means equal shares of the variants seen; a
	// variant seen but not named is an error, a variant named but not seen
	// counts with 0 units.
	Weights map[string]float64
	// Metrics are the metrics to compare, in report order. Nil means every
	// metric of the summaries but the covariate, in byte order, of Kind
	// Auto.
	Metrics []Metric
	// Alpha is the significance level of the adjusted p-values; the
	// intervals have confidence 1-Alpha. Zero means 0.05.
	Alpha float64
	// SRMAlpha is the significance level of the sample-ratio-mismatch
	// check. Zero means 0.001.
	SRMAlpha float64
	// Correction adjusts the p-values of every comparison together. The
	// zero value is Holm.
	Correction Correction
	// MDE is the relative effect the sequential test is tuned for: its
	// mixing variance is (MDE × the control's mean)^2. Zero means 0.1.
	MDE float64
}

// A Report is the analysis of an experiment. It is immutable.
type Report struct {
	// Plan names the plan, when known.
	Plan string
	// Control is the variant the others are compared with.
	Control string
	// Variants are the variants, the control first, then in byte order.
	Variants []VariantUnits
	// Units is the number of units of every variant.
	Units int64
	// SRM is the sample-ratio-mismatch test; SRMErr is set if it could not
	// run.
	SRM    stats.Result
	SRMErr error
	// Metrics are the comparisons, one entry per metric.
	Metrics []MetricResult
	// Periods are the ends of the periods the series are cumulated over;
	// empty when the summaries have one period.
	Periods []time.Time
	// Alpha, SRMAlpha and Correction are the options used.
	Alpha, SRMAlpha float64
	Correction      Correction
}

// VariantUnits counts the units of one variant.
type VariantUnits struct {
	Name string
	// Units is the number of units; Share their share of all units.
	Units int64
	Share float64
	// Expected is the share that the weights expect.
	Expected float64
	// Cumulative is the number of units first exposed up to the end of
	// each period of Report.Periods.
	Cumulative []int64
}

// MetricResult is the analysis of one metric.
type MetricResult struct {
	Name string
	// Kind is Rate, Mean or Rank (never Auto).
	Kind Kind
	// Test names the test: "two-proportion z", "Welch t" or
	// "Mann-Whitney U".
	Test string
	// Covariate names the CUPED covariate, or is "" when the metric is not
	// adjusted; Theta is its coefficient and VarianceReduction the share
	// of the variance it removed (the squared pooled correlation).
	Covariate         string
	Theta             float64
	VarianceReduction float64
	// Arms are the variants' values, the control first.
	Arms []Arm
	// Comparisons compare each other variant with the control.
	Comparisons []Comparison
}

// An Arm is one variant's value of a metric.
type Arm struct {
	Variant string
	Units   int64
	// Value is the rate (Rate) or the mean per unit (Mean and Rank), CUPED
	// adjusted if the metric is; CI its interval (Wilson or t).
	Value float64
	CI    stats.Interval
}

// A Comparison is one variant against the control on one metric.
type Comparison struct {
	Variant string
	// Result is the test's: Effect is treatment − control (for Rank, the
	// probability that a treatment value beats a control value); Err is
	// set when the test could not run, and the other fields are then NaN.
	Result stats.Result
	Err    error
	// Lift is Effect relative to the control's value; NaN for Rank or a
	// control value of 0.
	Lift float64
	// AdjustedP is the p-value adjusted across every comparison of the
	// report.
	AdjustedP float64
	// ProbabilityToBeat is the Bayesian probability that the variant's
	// true value exceeds the control's; NaN for Rank.
	ProbabilityToBeat float64
	// SequentialP is the always-valid p-value of the mixture SPRT at the
	// end, the minimum over every period; NaN for Rank.
	SequentialP float64
	// Series are the cumulative results at the end of each period of
	// Report.Periods; nil for Rank.
	Series []Point
}

// A Point is a cumulative result at the end of a period.
type Point struct {
	// OK is false when the data up to then did not allow the test (too
	// few units); the other fields are then NaN.
	OK          bool
	Effect      float64
	CI          stats.Interval
	SequentialP float64 // running minimum
}

// Analyze compares the variants of the summaries on each metric. It
// returns an error for summaries that disagree with themselves (metrics
// with different units in a period), an unknown control or metric, a
// variant missing from Options.Weights, fewer than two variants, a Rank
// metric on summaries without per-unit values, or bad options. A test that
// cannot run (too few units, no variation) is not an error: its
// Comparison.Err says why.
func Analyze(s *Summaries, opts Options) (*Report, error) {
	if opts.Alpha == 0 {
		opts.Alpha = 0.05
	}
	if opts.SRMAlpha == 0 {
		opts.SRMAlpha = 0.001
	}
	if opts.MDE == 0 {
		opts.MDE = 0.1
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) || !(opts.SRMAlpha > 0 && opts.SRMAlpha < 1) {
		return nil, fmt.Errorf("analysis: alpha %v and SRM alpha %v must be in (0, 1)", opts.Alpha, opts.SRMAlpha)
	}
	if !(opts.MDE > 0) || math.IsInf(opts.MDE, 0) {
		return nil, fmt.Errorf("analysis: MDE %v must be positive", opts.MDE)
	}
	if opts.Correction != Holm && opts.Correction != BenjaminiHochberg {
		return nil, fmt.Errorf("analysis: unknown correction %d", opts.Correction)
	}
	if s == nil || len(s.Rows) == 0 {
		return nil, errors.New("analysis: no summaries")
	}
	t, err := tabulate(s)
	if err != nil {
		return nil, err
	}
	rep := &Report{Plan: s.Plan, Alpha: opts.Alpha, SRMAlpha: opts.SRMAlpha, Correction: opts.Correction}

	// Variants and the control.
	names := slices.Clone(t.variants)
	for v, w := range opts.Weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("analysis: weight of %q is %v, want a positive number", v, w)
		}
		if !slices.Contains(names, v) {
			names = append(names, v)
		}
	}
	slices.Sort(names)
	if opts.Weights != nil {
		for _, v := range t.variants {
			if _, ok := opts.Weights[v]; !ok {
				return nil, fmt.Errorf("analysis: variant %q has units but no weight", v)
			}
		}
	}
	control := opts.Control
	switch {
	case control == "" && slices.Contains(names, "control"):
		control = "control"
	case control == "":
		control = names[0]
	case !slices.Contains(names, control):
		return nil, fmt.Errorf("analysis: control %q is not a variant (%s)", control, strings.Join(names, ", "))
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("analysis: one variant (%s): nothing to compare", control)
	}
	order := append([]string{control}, slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == control })...)
	rep.Control = control

	// Units and the sample-ratio check.
	np := len(t.periods)
	if np > 1 {
		step := t.periods[1].Sub(t.periods[0])
		for i := 2; i < np; i++ {
			step = min(step, t.periods[i].Sub(t.periods[i-1]))
		}
		for _, p := range t.periods {
			rep.Periods = append(rep.Periods, p.Add(step))
		}
	}
	observed := make([]int64, len(order))
	shares := make([]float64, len(order))
	var wsum float64
	for i, v := range order {
		vu := VariantUnits{Name: v}
		var cum int64
		for k := range np {
			cum += t.units[t.key(k, v)]
			if np > 1 {
				vu.Cumulative = append(vu.Cumulative, cum)
			}
		}
		vu.Units = cum
		rep.Units += cum
		observed[i] = cum
		shares[i] = 1
		if opts.Weights != nil {
			shares[i] = opts.Weights[v]
		}
		wsum += shares[i]
		rep.Variants = append(rep.Variants, vu)
	}
	for i := range rep.Variants {
		rep.Variants[i].Expected = shares[i] / wsum
		if rep.Units > 0 {
			rep.Variants[i].Share = float64(rep.Variants[i].Units) / float64(rep.Units)
		}
	}
	rep.SRM, rep.SRMErr = stats.ChiSquareGoodnessOfFit(observed, shares)

	// Metrics.
	metrics := opts.Metrics
	if metrics == nil {
		for _, m := range t.metrics {
			if m != s.Covariate {
				metrics = append(metrics, Metric{Name: m})
			}
		}
		if len(metrics) == 0 {
			return nil, fmt.Errorf("analysis: no metric but the covariate %q", s.Covariate)
		}
	}
	for i, m := range metrics {
		if !slices.Contains(t.metrics, m.Name) {
			return nil, fmt.Errorf("analysis: unknown metric %q (metrics: %s)", m.Name, strings.Join(t.metrics, ", "))
		}
		if m.Kind < Auto || m.Kind > Rank {
			return nil, fmt.Errorf("analysis: metric %q: unknown kind %d", m.Name, m.Kind)
		}
		if slices.ContainsFunc(metrics[:i], func(o Metric) bool { return o.Name == m.Name }) {
			return nil, fmt.Errorf("analysis: metric %q twice", m.Name)
		}
		if m.Kind == Rank && s.units == nil {
			return nil, fmt.Errorf("analysis: metric %q: a rank test needs every unit's value, which summaries do not have", m.Name)
		}
		mr, err := analyzeMetric(t, s, m, order, opts)
		if err != nil {
			return nil, err
		}
		rep.Metrics = append(rep.Metrics, mr)
	}

	// Adjust every p-value together.
	var ps []float64
	for _, m := range rep.Metrics {
		for _, c := range m.Comparisons {
			ps = append(ps, c.Result.PValue) // NaN for a failed test counts as 1
		}
	}
	adj := stats.HolmBonferroni(ps)
	if opts.Correction == BenjaminiHochberg {
		adj = stats.BenjaminiHochberg(ps)
	}
	i := 0
	for m := range rep.Metrics {
		for c := range rep.Metrics[m].Comparisons {
			rep.Metrics[m].Comparisons[c].AdjustedP = adj[i]
			if rep.Metrics[m].Comparisons[c].Err != nil {
				rep.Metrics[m].Comparisons[c].AdjustedP = math.NaN()
			}
			i++
		}
	}
	return rep, nil
}

// table is the summaries indexed by (period, variant, metric).
type table struct {
	periods  []time.Time // sorted; one zero Time for summaries without periods
	variants []string    // sorted
	metrics  []string    // sorted
	rows     map[tkey]Row
	units    map[tkey]int64 // by (period, variant), metric ""
}

type tkey struct {
	period          int
	variant, metric string
}

func (t *table) key(k int, v string) tkey { return tkey{k, v, ""} }

func tabulate(s *Summaries) (*table, error) {
	t := &table{rows: map[tkey]Row{}, units: map[tkey]int64{}}
	periods := map[time.Time]bool{}
	variants := map[string]bool{}
	metrics := map[string]bool{}
	for _, r := range s.Rows {
		p := r.Period.UTC() // a map key: one location for equal times
		if !periods[p] {
			periods[p] = true
			t.periods = append(t.periods, p)
		}
		if !variants[r.Variant] {
			variants[r.Variant] = true
			t.variants = append(t.variants, r.Variant)
		}
		if !metrics[r.Metric] {
			metrics[r.Metric] = true
			t.metrics = append(t.metrics, r.Metric)
		}
	}
	slices.SortFunc(t.periods, time.Time.Compare)
	if len(t.periods) > 1 && t.periods[0].IsZero() {
		return nil, errors.New("analysis: summaries mix rows with and without a period")
	}
	slices.Sort(t.variants)
	slices.Sort(t.metrics)
	if s.Covariate != "" && !metrics[s.Covariate] {
		return nil, fmt.Errorf("analysis: covariate %q is not a metric of the summaries", s.Covariate)
	}
	at := make(map[time.Time]int, len(t.periods))
	for k, p := range t.periods {
		at[p] = k
	}
	for _, r := range s.Rows {
		k := tkey{at[r.Period.UTC()], r.Variant, r.Metric}
		cur := t.rows[k]
		cur.add(&r)
		t.rows[k] = cur
	}
	for k := range t.periods {
		for _, v := range t.variants {
			first := ""
			for _, m := range t.metrics {
				r, ok := t.rows[tkey{k, v, m}]
				n := r.Units
				if first == "" && ok {
					first = m
					t.units[t.key(k, v)] = n
				} else if ok && n != t.units[t.key(k, v)] {
					return nil, fmt.Errorf("analysis: summaries disagree: variant %q has %d units in metric %q but %d in %q (period %s)",
						v, t.units[t.key(k, v)], first, n, m, t.periods[k].Format(time.RFC3339))
				} else if !ok && first != "" && t.units[t.key(k, v)] > 0 {
					return nil, fmt.Errorf("analysis: summaries disagree: variant %q has units in metric %q but no row of %q (period %s)",
						v, first, m, t.periods[k].Format(time.RFC3339))
				}
			}
		}
	}
	return t, nil
}

// cumulative returns the rows of metric m and variant v added up to period
// k, inclusive.
func (t *table) cumulative(m, v string, k int) Row {
	var r Row
	for i := 0; i <= k; i++ {
		if x, ok := t.rows[tkey{i, v, m}]; ok {
			r.add(&x)
		}
	}
	return r
}

// isBinary reports whether every unit's value of m is 0 or 1.
func (t *table) isBinary(m string) bool {
	for k, r := range t.rows {
		if k.metric == m && (r.Sum != float64(r.Positive) || r.SumSq != float64(r.Positive)) {
			return false
		}
	}
	return true
}

func analyzeMetric(t *table, s *Summaries, m Metric, order []string, opts Options) (MetricResult, error) {
	kind := m.Kind
	if kind == Auto {
		kind = Mean
		if t.isBinary(m.Name) {
			kind = Rate
		}
	}
	mr := MetricResult{Name: m.Name, Kind: kind}
	switch kind {
	case Rate:
		mr.Test = "two-proportion z"
	case Mean:
		mr.Test = "Welch t"
		if s.Covariate != "" && m.Name != s.Covariate {
			mr.Covariate = s.Covariate
		}
	case Rank:
		mr.Test = "Mann-Whitney U"
	}
	conf := 1 - opts.Alpha
	last := len(t.periods) - 1
	rows := make([]Row, len(order))
	for i, v := range order {
		rows[i] = t.cumulative(m.Name, v, last)
	}
	final := compare(rows, kind, mr.Covariate != "", conf)
	mr.Theta, mr.VarianceReduction = final.theta, final.reduction
	mr.Arms = final.arms
	for i, v := range order {
		mr.Arms[i].Variant = v
	}
	tau2 := math.NaN()
	if kind != Rank {
		base := math.Abs(final.arms[0].Value)
		if base == 0 || math.IsNaN(base) {
			base = final.pooledSD
		}
		tau2 = math.Pow(opts.MDE*base, 2)
	}
	var samples [][]float64
	if kind == Rank {
		samples = s.units.samples(m.Name, order)
	}
	// The series: every comparison at the end of each period, with the
	// running minimum of the sequential p-value.
	series := make([][]Point, len(order))
	if kind != Rank {
		prefix := make([]Row, len(order))
		minP := make([]float64, len(order))
		for i := range minP {
			minP[i] = 1
		}
		for k := range t.periods {
			for i, v := range order {
				if x, ok := t.rows[tkey{k, v, m.Name}]; ok {
					prefix[i].add(&x)
				}
			}
			at := final
			if k < last {
				at = compare(prefix, kind, mr.Covariate != "", conf)
			}
			for i := 1; i < len(order); i++ {
				pt := at.point(i, conf, tau2)
				if pt.OK && !math.IsNaN(pt.SequentialP) {
					minP[i] = min(minP[i], pt.SequentialP)
					pt.SequentialP = minP[i]
				}
				series[i] = append(series[i], pt)
			}
		}
	}
	for i, v := range order[1:] {
		c := Comparison{Variant: v, Lift: math.NaN(), ProbabilityToBeat: math.NaN(), SequentialP: math.NaN(), AdjustedP: math.NaN()}
		switch kind {
		case Rank:
			c.Result, c.Err = stats.MannWhitneyU(samples[0], samples[i+1], stats.TwoSided)
		default:
			c.Result, c.Err = final.test(i+1, conf)
		}
		if c.Err != nil {
			c.Result = stats.Result{Statistic: math.NaN(), DF: math.NaN(), PValue: math.NaN(), Effect: math.NaN(), CI: stats.Interval{Lo: math.NaN(), Hi: math.NaN()}}
		}
		if kind != Rank && c.Err == nil {
			if base := mr.Arms[0].Value; base != 0 {
				c.Lift = c.Result.Effect / base
			}
			c.ProbabilityToBeat = final.probabilityToBeat(i + 1)
			pts := series[i+1]
			c.SequentialP = pts[len(pts)-1].SequentialP
			if len(t.periods) > 1 {
				c.Series = pts
			}
		}
		mr.Comparisons = append(mr.Comparisons, c)
	}
	return mr, nil
}

// comparison is the state of one metric's comparison at one time: each
// arm's value and the inputs of the tests.
type comparison struct {
	kind      Kind
	arms      []Arm
	props     []stats.Proportion
	sums      []stats.Summary // values (0/1 for rates), CUPED adjusted if so
	theta     float64
	reduction float64
	pooledSD  float64
}

// compare computes each arm's value of a metric from its summed rows, the
// control first.
func compare(rows []Row, kind Kind, cuped bool, conf float64) *comparison {
	c := &comparison{kind: kind, theta: math.NaN(), reduction: math.NaN()}
	var all Row
	for i := range rows {
		all.add(&rows[i])
	}
	c.pooledSD = math.Sqrt(sampleVar(all.Units, all.Sum, all.SumSq))
	if cuped {
		n := float64(all.Units)
		vx := sampleVar(all.Units, all.CovSum, all.CovSumSq)
		vy := sampleVar(all.Units, all.Sum, all.SumSq)
		cxy := (all.CovCross - all.CovSum*all.Sum/n) / (n - 1)
		if vx > 0 && all.Units >= 2 {
			c.theta = cxy / vx
			if vy > 0 {
				c.reduction = cxy * cxy / (vx * vy)
			}
		}
	}
	for _, r := range rows {
		a := Arm{Units: r.Units, Value: math.NaN(), CI: stats.Interval{Lo: math.NaN(), Hi: math.NaN()}}
		var sum stats.Summary
		switch kind {
		case Rate:
			p := stats.Proportion{Successes: r.Positive, Trials: r.Units}
			c.props = append(c.props, p)
			if r.Units > 0 {
				a.Value = p.Rate()
				a.CI = wilson(p, conf)
				sum = stats.NewSummary(r.Units, p.Rate(), binaryVar(p))
			}
		default:
			if r.Units > 0 {
				n := float64(r.Units)
				mean, v := r.Sum/n, sampleVar(r.Units, r.Sum, r.SumSq)
				if cuped && !math.IsNaN(c.theta) {
					mx := r.CovSum / n
					vx := sampleVar(r.Units, r.CovSum, r.CovSumSq)
					cxy := 0.0
					if r.Units >= 2 {
						cxy = (r.CovCross - r.CovSum*mean) / (n - 1)
					}
					mean -= c.theta * (mx - all.CovSum/float64(all.Units))
					v = max(0, v+c.theta*c.theta*vx-2*c.theta*cxy)
				}
				sum = stats.NewSummary(r.Units, mean, v)
				a.Value = mean
				a.CI = meanCI(sum, conf)
			}
		}
		c.sums = append(c.sums, sum)
		c.arms = append(c.arms, a)
	}
	return c
}

// sampleVar returns the sample variance from n, the sum and the sum of
// squares, or 0 for n < 2 (never negative).
func sampleVar(n int64, sum, sumSq float64) float64 {
	if n < 2 {
		return 0
	}
	return max(0, (sumSq-sum*sum/float64(n))/float64(n-1))
}

// binaryVar is the sample variance of p.Trials values of 0 and 1.
func binaryVar(p stats.Proportion) float64 {
	if p.Trials < 2 {
		return 0
	}
	r := p.Rate()
	return r * (1 - r) * float64(p.Trials) / float64(p.Trials-1)
}

// test compares arm i with the control.
func (c *comparison) test(i int, conf float64) (stats.Result, error) {
	if c.kind == Rate {
		return stats.TwoProportionZTest(c.props[0], c.props[i], stats.TwoSided, conf)
	}
	return stats.WelchTTest(c.sums[0], c.sums[i], stats.TwoSided, conf)
}

// probabilityToBeat is P(arm i's true value > the control's).
func (c *comparison) probabilityToBeat(i int) float64 {
	if c.kind == Rate {
		p, err := stats.ProbabilityToBeat(c.props[0], c.props[i])
		if err != nil {
			return math.NaN()
		}
		return p
	}
	a, b := c.sums[0], c.sums[i]
	if a.N() < 2 || b.N() < 2 {
		return math.NaN()
	}
	se := math.Sqrt(a.Variance()/float64(a.N()) + b.Variance()/float64(b.N()))
	if se == 0 {
		return math.NaN()
	}
	return distuv.UnitNormal.CDF((b.Mean() - a.Mean()) / se)
}

// point is the cumulative result of arm i against the control.
func (c *comparison) point(i int, conf, tau2 float64) Point {
	nan := math.NaN()
	pt := Point{Effect: nan, CI: stats.Interval{Lo: nan, Hi: nan}, SequentialP: nan}
	res, err := c.test(i, conf)
	if err != nil {
		return pt
	}
	pt.OK, pt.Effect, pt.CI = true, res.Effect, res.CI
	if tau2 > 0 {
		if sp, err := stats.MixtureSPRT(c.sums[0], c.sums[i], tau2); err == nil {
			pt.SequentialP = sp.PValue
		}
	}
	return pt
}

// wilson returns the Wilson score interval of a proportion.
func wilson(p stats.Proportion, confidence float64) stats.Interval {
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	n := float64(p.Trials)
	ph := p.Rate()
	den := 1 + z*z/n
	mid := (ph + z*z/(2*n)) / den
	half := z * math.Sqrt(ph*(1-ph)/n+z*z/(4*n*n)) / den
	return stats.Interval{Lo: max(0, mid-half), Hi: min(1, mid+half)}
}

// meanCI returns the t interval of a mean.
func meanCI(s stats.Summary, confidence float64) stats.Interval {
	if s.N() < 2 {
		return stats.Interval{Lo: math.NaN(), Hi: math.NaN()}
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(s.N() - 1)}.Quantile(1 - (1-confidence)/2)
	half := t * math.Sqrt(s.Variance()/float64(s.N()))
	return stats.Interval{Lo: s.Mean() - half, Hi: s.Mean() + half}
}

// samples returns each variant's values of metric m, in the order of
// variants.
func (u *Units) samples(m string, variants []string) [][]float64 {
	out := make([][]float64, len(variants))
	idx := map[string]int{}
	for i, v := range variants {
		idx[v] = i
	}
	mi := u.metricIdx[m]
	for i := range u.keys.len() {
		if j, ok := idx[u.names[*u.variant.at(i)&^crossedBit]]; ok {
			out[j] = append(out[j], u.value(mi, i))
		}
	}
	return out
}

// SRMFailed reports whether the sample-ratio check found a mismatch.
func (r *Report) SRMFailed() bool { return r.SRMErr == nil && r.SRM.PValue < r.SRMAlpha }

// Verdict returns the one-line conclusion: a sample-ratio mismatch makes
// the results untrustworthy; otherwise every significant comparison (by
// adjusted p-value), or "no significant difference".
func (r *Report) Verdict() string {
	if r.SRMFailed() {
		return fmt.Sprintf("sample ratio mismatch (p=%s): results untrustworthy; fix assignment or logging before reading them", fmtP(r.SRM.PValue))
	}
	var parts []string
	minP := 1.0
	for _, m := range r.Metrics {
		for _, c := range m.Comparisons {
			if c.Err != nil {
				continue
			}
			minP = min(minP, c.AdjustedP)
			if c.AdjustedP >= r.Alpha {
				continue
			}
			better := c.Result.Effect > 0
			if m.Kind == Rank {
				better = c.Result.Effect > 0.5
			}
			word := "loses"
			if better {
				word = "wins"
			}
			how := fmtLift(c.Lift)
			if m.Kind == Rank {
				how = fmt.Sprintf("P(%s > %s) = %.3f", c.Variant, r.Control, c.Result.Effect)
			}
			parts = append(parts, fmt.Sprintf("%s %s on %s (%s, adjusted p=%s)", c.Variant, word, m.Name, how, fmtP(c.AdjustedP)))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no significant difference (smallest adjusted p=%s, alpha %g)", fmtP(minP), r.Alpha)
	}
	return strings.Join(parts, "; ")
}

// fmtLift formats a relative lift as a signed percentage.
func fmtLift(l float64) string {
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", 100*l)
}

// fmtP formats a p-value.
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "n/a"
	case p < 1e-4:
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}
