package rollout

import (
	"fmt"
	"math"
	"time"

	"github.com/varroute/varroute/stats"
)

// Guardrails configure the checks a Rollout runs on every Step, comparing the
// candidate with the baseline on the same step window. The zero value checks
// the error rate and the latency with always-valid tests, and the sample
// ratio, with the defaults documented on each field. NewRollout refuses
// Guardrails with a field out of its range (NaN and ±Inf included).
//
// Every statistical check is a mixture sequential probability ratio test
// (stats.MixtureSPRT), whose p-value stays valid however often it is looked
// at, so checking on every Step does not inflate false rollbacks. The
// rollout's Alpha is divided equally (Bonferroni) among the steps it analyses
// and the tests run at each step, so the chance that a candidate no worse than
// the baseline is rolled back over the whole rollout is at most Alpha (up to
// the normal approximation the test rests on).
type Guardrails struct {
	// ErrorEffect is the rise in error rate (a difference of proportions)
	// the error test is tuned to detect: its mixing variance is
	// ErrorEffect². Zero means 0.02. The test runs on Agresti–Caffo
	// adjusted proportions ((errors+1)/(requests+2)), so a baseline with no
	// error still has a variance and a candidate with errors is caught.
	// Otherwise it must be in (0, 1].
	ErrorEffect float64
	// MaxErrorRate is an absolute ceiling on the candidate's error rate,
	// checked once it has MinSamples requests, without a test: a fraction
	// in [0, 1] (0.05 for 5%). Zero means no ceiling.
	MaxErrorRate float64
	// NoLatency turns the latency check off.
	NoLatency bool
	// LatencyEffect is the slowdown, as a difference of mean log latencies,
	// the latency test is tuned to detect. Zero means ln(1.25); otherwise
	// it must be positive.
	LatencyEffect float64
	// MaxLatencyRatio is the smallest ratio of geometric mean latencies
	// (candidate/baseline) that fails the check once the test is
	// significant: a significant but smaller slowdown is tolerated. Zero
	// means 1.1; otherwise it must be at least 1.
	MaxLatencyRatio float64
	// Metrics are checks on user-reported metrics (Rollout.RecordMetric),
	// at most one per metric name.
	Metrics []MetricGuardrail
	// NoSRM turns the sample-ratio-mismatch check off.
	NoSRM bool
	// SRMAlpha is the p-value below which the split of the step window's
	// requests between baseline and candidate (chi-square goodness of fit
	// against the step's weights) halts the rollout as broken
	// instrumentation. Zero means 0.0001; otherwise it must be in (0, 1).
	SRMAlpha float64
}

// A MetricGuardrail checks one user metric with an always-valid test.
type MetricGuardrail struct {
	// Name is the metric's name, as given to RecordMetric.
	Name string
	// Effect is the difference of means the test is tuned to detect, in
	// the metric's units. It must be positive and finite.
	Effect float64
	// LowerIsWorse says that a drop of the metric is the harm (a
	// conversion rate, a revenue). False means a rise is (a cost).
	LowerIsWorse bool
}

func (g Guardrails) withDefaults() Guardrails {
	if g.ErrorEffect == 0 {
		g.ErrorEffect = 0.02
	}
	if g.LatencyEffect == 0 {
		g.LatencyEffect = math.Log(1.25)
	}
	if g.MaxLatencyRatio == 0 {
		g.MaxLatencyRatio = 1.1
	}
	if g.SRMAlpha == 0 {
		g.SRMAlpha = 0.0001
	}
	return g
}

// tests returns the number of statistical tests run at each step.
func (g Guardrails) tests() int {
	n := 1 + len(g.Metrics)
	if !g.NoLatency {
		n++
	}
	return n
}

// Figures are what a controller measured on the current step's window.
type Figures struct {
	// Step and Percent are the step the window belongs to and its
	// candidate share.
	Step    int
	Percent float64
	// Elapsed is the time since the step's window began.
	Elapsed time.Duration
	// Baseline and Candidate are the two variants' figures.
	Baseline, Candidate VariantFigures
	// TotalRequests counts the requests of both variants observed since
	// the controller started, across all steps.
	TotalRequests int64
	// Alpha is the significance level of each test at this step (the
	// rollout's Alpha divided among steps and tests); 0 for Rolling.
	Alpha float64
	// ErrorP is the always-valid p-value of the error-rate test, 1 when it
	// could not run (too few samples).
	ErrorP float64
	// LatencyRatio is the ratio of geometric mean latencies,
	// candidate/baseline (0 when unknown), and LatencyP its always-valid
	// p-value (1 when not run).
	LatencyRatio float64
	LatencyP     float64
	// SRMP is the chi-square p-value of the request split against the
	// step's weights (1 when not run).
	SRMP float64
	// Metrics holds one entry per MetricGuardrail.
	Metrics []MetricFigures
}

// VariantFigures are one variant's figures on a window.
type VariantFigures struct {
	Requests, Errors int64
	ErrorRate        float64
	P50, P90, P99    time.Duration
}

// MetricFigures are a user metric's figures on a window.
type MetricFigures struct {
	Name                string
	Baseline, Candidate stats.Summary
	// P is the always-valid p-value (1 when not run).
	P float64
}

func variantFigures(w VariantWindow) VariantFigures {
	return VariantFigures{
		Requests:  w.Requests,
		Errors:    w.Errors,
		ErrorRate: w.ErrorRate(),
		P50:       w.Latency.Quantile(0.5),
		P90:       w.Latency.Quantile(0.9),
		P99:       w.Latency.Quantile(0.99),
	}
}

// verdict is the result of a check: fail rolls back, halt pauses.
type verdict struct {
	fail, halt string
}

// checker judges a step window.
type checker interface {
	check(f *Figures, base, cand VariantWindow, minSamples int64) verdict
	// enough reports whether the window has the samples a step needs to
	// pass.
	enough(base, cand VariantWindow, minSamples int64) bool
}

func (guardrailChecker) enough(base, cand VariantWindow, minSamples int64) bool {
	return base.Requests >= minSamples && cand.Requests >= minSamples
}

func (Gate) enough(_, cand VariantWindow, minSamples int64) bool { return cand.Requests >= minSamples }

// guardrailChecker runs Guardrails with a per-test alpha.
type guardrailChecker struct {
	g     Guardrails
	alpha float64 // per test and step
}

// msprt returns the always-valid p-value for treatment vs control and the
// difference of means, or p = 1 when the test cannot run.
func msprt(control, treatment stats.Summary, effect float64) (p, d float64) {
	res, err := stats.MixtureSPRT(control, treatment, effect*effect)
	if err != nil {
		return 1, treatment.Mean() - control.Mean()
	}
	return res.PValue, res.Effect
}

// adjusted returns the Bernoulli summary of errors out of n with the
// Agresti–Caffo adjustment: one error and one success added.
func adjusted(errs, n int64) stats.Summary {
	p := float64(errs+1) / float64(n+2)
	return stats.NewSummary(n+2, p, p*(1-p)*float64(n+2)/float64(n+1))
}

func (c guardrailChecker) check(f *Figures, base, cand VariantWindow, minSamples int64) verdict {
	g := c.g
	f.Alpha = c.alpha
	f.ErrorP, f.LatencyP, f.SRMP = 1, 1, 1
	if b, cd := logSummary(base.Latency), logSummary(cand.Latency); b.N() > 0 && cd.N() > 0 {
		f.LatencyRatio = math.Exp(cd.Mean() - b.Mean())
	}
	if base.Requests < minSamples || cand.Requests < minSamples {
		return verdict{} // tiny samples: no verdict
	}
	var v verdict
	if !g.NoSRM && f.Percent > 0 && f.Percent < 100 {
		res, err := stats.ChiSquareGoodnessOfFit([]int64{base.Requests, cand.Requests}, []float64{100 - f.Percent, f.Percent})
		if err == nil {
			f.SRMP = res.PValue
			if res.PValue < g.SRMAlpha {
				v.halt = fmt.Sprintf("sample ratio mismatch: %d baseline and %d candidate requests for a %g%% split (chi-square p=%.2g < %g); check the instrumentation",
					base.Requests, cand.Requests, f.Percent, res.PValue, g.SRMAlpha)
			}
		}
	}
	if g.MaxErrorRate > 0 && cand.ErrorRate() > g.MaxErrorRate {
		v.fail = fmt.Sprintf("error rate ceiling: candidate %.2f%% (%d/%d) > %.2f%%",
			100*cand.ErrorRate(), cand.Errors, cand.Requests, 100*g.MaxErrorRate)
		return v
	}
	p, d := msprt(adjusted(base.Errors, base.Requests), adjusted(cand.Errors, cand.Requests), g.ErrorEffect)
	f.ErrorP = p
	if d > 0 && p < c.alpha {
		v.fail = fmt.Sprintf("error rate: candidate %.2f%% (%d/%d) vs baseline %.2f%% (%d/%d), always-valid p=%.2g < %.2g",
			100*cand.ErrorRate(), cand.Errors, cand.Requests, 100*base.ErrorRate(), base.Errors, base.Requests, p, c.alpha)
		return v
	}
	if !g.NoLatency {
		p, d := msprt(logSummary(base.Latency), logSummary(cand.Latency), g.LatencyEffect)
		f.LatencyP = p
		if d > 0 && p < c.alpha && math.Exp(d) >= g.MaxLatencyRatio {
			v.fail = fmt.Sprintf("latency: candidate %.2fx slower (geometric mean; p50 %v vs %v, p90 %v vs %v), always-valid p=%.2g < %.2g",
				math.Exp(d), f.Candidate.P50, f.Baseline.P50, f.Candidate.P90, f.Baseline.P90, p, c.alpha)
			return v
		}
	}
	for _, m := range g.Metrics {
		bs, cs := base.Metrics[m.Name].Summary(), cand.Metrics[m.Name].Summary()
		mf := MetricFigures{Name: m.Name, Baseline: bs, Candidate: cs, P: 1}
		if bs.N() >= minSamples && cs.N() >= minSamples {
			p, d := msprt(bs, cs, m.Effect)
			mf.P = p
			worse := d > 0
			if m.LowerIsWorse {
				worse = d < 0
			}
			if worse && p < c.alpha && v.fail == "" {
				v.fail = fmt.Sprintf("metric %s: candidate mean %.4g vs baseline %.4g, always-valid p=%.2g < %.2g",
					m.Name, cs.Mean(), bs.Mean(), p, c.alpha)
			}
		}
		f.Metrics = append(f.Metrics, mf)
	}
	return v
}

// Gate is the health gate of each batch of a Rolling update: thresholds on
// the new version's figures over the batch window. The zero value fails a
// batch whose error rate exceeds 5% and does not check latency. NewRolling
// refuses a Gate with a field out of its range (NaN and ±Inf included).
type Gate struct {
	// MaxErrorRate is the highest error rate the new version may show: a
	// fraction in [0, 1] (0.05 for 5%). Zero means 0.05.
	MaxErrorRate float64
	// MaxLatency is the highest LatencyQuantile of the new version's
	// latency. Zero means no latency gate; negative is an error.
	MaxLatency time.Duration
	// LatencyQuantile is the quantile MaxLatency bounds, in (0, 1) (0.99
	// for p99). Zero means 0.9.
	LatencyQuantile float64
}

func (g Gate) withDefaults() Gate {
	if g.MaxErrorRate == 0 {
		g.MaxErrorRate = 0.05
	}
	if g.LatencyQuantile == 0 {
		g.LatencyQuantile = 0.9
	}
	return g
}

func (g Gate) check(f *Figures, _, cand VariantWindow, minSamples int64) verdict {
	f.ErrorP, f.LatencyP, f.SRMP = 1, 1, 1
	if cand.Requests < minSamples {
		return verdict{}
	}
	if r := cand.ErrorRate(); r > g.MaxErrorRate {
		return verdict{fail: fmt.Sprintf("gate: error rate %.2f%% (%d/%d) > %.2f%%", 100*r, cand.Errors, cand.Requests, 100*g.MaxErrorRate)}
	}
	if g.MaxLatency > 0 {
		if q := cand.Latency.Quantile(g.LatencyQuantile); q > g.MaxLatency {
			return verdict{fail: fmt.Sprintf("gate: p%g latency %v > %v", 100*g.LatencyQuantile, q, g.MaxLatency)}
		}
	}
	return verdict{}
}
