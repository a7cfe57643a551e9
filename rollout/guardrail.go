package rollout

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/varroute/varroute/stats"
)

// Guardrails configure the checks a Rollout runs on every Step, comparing the
// candidate with the baseline. The zero value checks the error rate, the
// latency and the split of units, with the defaults documented on each field.
// NewRollout refuses Guardrails with a field out of its range (NaN and ±Inf
// included).
//
// Every check reads an always-valid confidence bound (stats.MixtureRadius) on
// the candidate's harm — the rise of its error rate, of its log latency, of a
// metric's mean — from the evidence of every step so far, pooled (each step's
// estimate weighted by its precision), with a variance estimated over time
// buckets (see the package doc). A lower bound above zero rolls back; the step
// advances only when the upper bound is below the margin the next step's
// share allows; a lower bound on the error rate above MaxErrorRate rolls back.
type Guardrails struct {
	// ErrorMargin and ErrorSlack are the error-rate non-inferiority margin:
	// a candidate is promoted only once its error rate is shown below
	// (1+ErrorMargin) times the baseline's plus ErrorSlack (the margin of
	// earlier steps is wider, see the package doc). ErrorMargin is relative,
	// >= 0; zero means 0.2 (20% more errors). ErrorSlack is absolute, a
	// fraction in [0, 1]; zero means 0.0005 (0.05 percentage points), so a
	// baseline without errors does not make promotion impossible.
	ErrorMargin, ErrorSlack float64
	// ErrorEffect is the scale of error-rate differences (a difference of
	// proportions) the bounds are tuned to: their mixing variance is
	// ErrorEffect². Zero means 0.01; otherwise it must be in (0, 1].
	ErrorEffect float64
	// MaxErrorRate is an absolute ceiling on the candidate's error rate: the
	// rollout rolls back once an always-valid lower bound on that rate is
	// above it (not the raw rate, which noise pushes over the ceiling on
	// some look). A fraction in [0, 1] (0.05 for 5%); zero means no ceiling.
	MaxErrorRate float64
	// NoLatency turns the latency check off.
	NoLatency bool
	// LatencyEffect is the scale of latency differences, as a difference of
	// mean log latencies, the bounds are tuned to. Zero means ln(1.25);
	// otherwise it must be positive.
	LatencyEffect float64
	// MaxLatencyRatio is the latency non-inferiority margin: a candidate is
	// promoted only once the ratio of its geometric mean latency to the
	// baseline's is shown below it. Zero means 1.1; otherwise it must be at
	// least 1 (1 asks for a candidate shown no slower).
	MaxLatencyRatio float64
	// Metrics are checks on user-reported metrics (Rollout.RecordMetric),
	// at most one per metric name.
	Metrics []MetricGuardrail
	// NoSRM turns the sample-ratio-mismatch check off, and with it the
	// lost-units gate (MaxUnitLoss).
	NoSRM bool
	// SRMAlpha bounds the probability that a correct split halts the
	// rollout, over the whole rollout: the split of each step's distinct
	// units (VariantWindow.Units) between baseline and candidate is tested
	// against the step's weights with an always-valid test
	// (stats.SequentialBinomial), so repeated looks add no false halts; a
	// Window that cannot count units (Units 0) is tested on requests. Zero
	// means 0.001; otherwise it must be in (0, 1).
	SRMAlpha float64
	// MaxUnitLoss is the lost-units margin: a candidate is promoted only
	// once the share of its units missing from the evidence (telemetry
	// gaps, failures that go unrecorded) is shown below it, from the split
	// of the step's units against its weight. Zero means 0.05; otherwise it
	// must be in (0, 1] (1 turns the gate off). It needs units: about
	// 31,000 at a 50% step for the default, so a service whose units are
	// fewer must raise it.
	MaxUnitLoss float64
}

// A MetricGuardrail checks one user metric.
type MetricGuardrail struct {
	// Name is the metric's name, as given to RecordMetric.
	Name string
	// Effect is the metric's non-inferiority margin, in its units: the
	// candidate is promoted only once its harm (the difference of means in
	// the harmful direction) is shown below Effect; it is also the scale the
	// bounds are tuned to. It must be positive and finite.
	Effect float64
	// LowerIsWorse says that a drop of the metric is the harm (a
	// conversion rate, a revenue). False means a rise is (a cost).
	LowerIsWorse bool
}

func (g Guardrails) withDefaults() Guardrails {
	if g.ErrorMargin == 0 {
		g.ErrorMargin = 0.2
	}
	if g.ErrorSlack == 0 {
		g.ErrorSlack = 0.0005
	}
	if g.ErrorEffect == 0 {
		g.ErrorEffect = 0.01
	}
	if g.LatencyEffect == 0 {
		g.LatencyEffect = math.Log(1.25)
	}
	if g.MaxLatencyRatio == 0 {
		g.MaxLatencyRatio = 1.1
	}
	if g.SRMAlpha == 0 {
		g.SRMAlpha = 0.001
	}
	if g.MaxUnitLoss == 0 {
		g.MaxUnitLoss = 0.05
	}
	return g
}

// harmTests returns the number of checks that can roll back and gate a
// step: errors, latency, metrics.
func (g Guardrails) harmTests() int {
	n := 1 + len(g.Metrics)
	if !g.NoLatency {
		n++
	}
	return n
}

// gateTests returns the number of upper bounds that gate a step: the harm
// tests and the lost units.
func (g Guardrails) gateTests() int {
	n := g.harmTests()
	if !g.NoSRM && g.MaxUnitLoss < 1 {
		n++
	}
	return n
}

// rollbackTests returns the number of lower bounds that can roll back: the
// harm tests and the ceiling.
func (g Guardrails) rollbackTests() int {
	n := g.harmTests()
	if g.MaxErrorRate > 0 {
		n++
	}
	return n
}

// Figures are what a controller measured at its last Step.
type Figures struct {
	// Step and Percent are the step the figures belong to and its
	// candidate share.
	Step    int
	Percent float64
	// Elapsed is the time since the step's window began.
	Elapsed time.Duration
	// Baseline and Candidate are the two variants' figures in the step's
	// window (the step's revision, since the step began or was resumed).
	Baseline, Candidate VariantFigures
	// TotalRequests counts the requests of both variants observed since
	// the controller started, across all steps.
	TotalRequests int64
	// Alpha is the level of each check's lower bound (the rollout's Alpha
	// divided among the checks that can roll back), PromoteAlpha that of
	// each upper bound (Alpha divided among the checks that gate a step);
	// 0 for Rolling.
	Alpha, PromoteAlpha float64
	// Next is the candidate share the checks' margins are for: the next
	// step's, or 100 for promotion.
	Next float64
	// Checks are the guardrails' readings on the evidence pooled over the
	// steps so far (the lost units on the step's own), in the order
	// errors, latency, metrics, lost units, error ceiling.
	Checks []Check
	// LatencyRatio is the ratio of geometric mean latencies,
	// candidate/baseline, in the step's window (0 when unknown).
	LatencyRatio float64
	// SRMP is the always-valid p-value of the step's split of units (or
	// requests) against its weights (1 when not run).
	SRMP float64
	// Units are the distinct units of the baseline and the candidate in the
	// step's window, as the Window reported them (0 when it cannot tell).
	Units [2]int64
	// Holding says why the step did not advance at this Step ("" when it
	// did or a verdict was reached).
	Holding string
	// Needed estimates how many more requests (both variants, at the current
	// split) the step needs before every check's upper bound is below its
	// margin, if the estimates stay where they are; -1 when an estimate is
	// above its margin (more traffic alone will not do), 0 when none is
	// needed.
	Needed int64
	// Metrics holds one entry per MetricGuardrail: the step window's
	// summaries.
	Metrics []MetricFigures
}

// A Check is one guardrail's reading: an always-valid lower and upper bound
// on the candidate's harm, from the evidence of every step so far.
type Check struct {
	// Name is "errors", "latency", "metric <name>", "lost units" or
	// "error ceiling".
	Name string
	// Ready is false until the check has evidence (MinSamples requests per
	// variant and the burn-in); the other fields are then zero.
	Ready bool
	// Estimate is the candidate's harm: the error-rate difference
	// (candidate minus baseline), the log of the latency ratio, the
	// metric's difference in its harmful direction, the share of the
	// candidate's units missing, the candidate's error rate for the
	// ceiling.
	Estimate float64
	// Lower is the always-valid lower bound on the harm (at Figures.Alpha),
	// and Limit what it must not exceed: 0, or MaxErrorRate for the
	// ceiling. Lower > Limit rolls back. Lost units have neither (a
	// mismatch halts, see Figures.SRMP).
	Lower, Limit float64
	// Upper is the always-valid upper bound on the harm (at
	// Figures.PromoteAlpha), and Margin what it must be below for the step
	// to advance to Figures.Next. The ceiling has neither (both 0).
	// Margins are the promotion margins times 100/Next, at most 10 times.
	Upper, Margin float64
	// Needed estimates the more requests (both variants) the upper bound
	// needs to fall below the margin at the current estimate: 0 when it is
	// below, -1 when the estimate is not.
	Needed int64
}

// VariantFigures are one variant's figures on a window.
type VariantFigures struct {
	Requests, Errors int64
	ErrorRate        float64
	P50, P90, P99    time.Duration
}

// MetricFigures are a user metric's figures on a step's window.
type MetricFigures struct {
	Name                string
	Baseline, Candidate stats.Summary
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

// verdict is the result of a check: fail rolls back, halt pauses, pass lets
// the step advance, promote lets the candidate be promoted at once (early
// success); hold says why it may not advance.
type verdict struct {
	fail, halt    string
	pass, promote bool
	hold          string
}

// checkInput is what a checker judges.
type checkInput struct {
	segs       []*segment // the evidence of each step so far, current last
	cur        Evidence   // the current step's window
	percent    float64    // current share
	next       float64    // next step's share (100 for promotion)
	minSamples int64
	steps      int // steps analysed (below 100%)
}

// checker judges a step.
type checker interface {
	check(f *Figures, in checkInput) verdict
}

// guardrailChecker runs Guardrails.
type guardrailChecker struct {
	g                   Guardrails
	alpha, promoteAlpha float64 // per check
}

func (c guardrailChecker) check(f *Figures, in checkInput) verdict {
	g := c.g
	f.Alpha, f.PromoteAlpha, f.Next, f.SRMP = c.alpha, c.promoteAlpha, in.next, 1
	base, cand := in.cur.Baseline, in.cur.Candidate
	f.Units = [2]int64{base.Units, cand.Units}
	cur := in.segs[len(in.segs)-1]
	if b, cd := cur.total[0].lat, cur.total[1].lat; b.w > 0 && cd.w > 0 {
		f.LatencyRatio = math.Exp(cd.y/cd.w - b.y/b.w)
	}
	for _, m := range g.Metrics {
		f.Metrics = append(f.Metrics, MetricFigures{Name: m.Name, Baseline: base.Metrics[m.Name].Summary(), Candidate: cand.Metrics[m.Name].Summary()})
	}
	var v verdict
	if !g.NoSRM && in.percent > 0 && in.percent < 100 {
		v.halt = c.srm(f, cur, in)
	}
	var nb, nc float64
	for _, s := range in.segs {
		nb += s.total[0].req.w
		nc += s.total[1].req.w
	}
	enough := nb >= float64(in.minSamples) && nc >= float64(in.minSamples)

	// The harm checks: each a contrast whose lower bound must stay below its
	// limit, and whose upper bound, shifted by the margin, must fall below 0
	// for the next step (factor) and for promotion (factor 1).
	factor := stepFactor(in.next)
	type harm struct {
		name  string
		q     quantity
		sign  float64 // +1: candidate minus baseline is the harm
		tau2  float64
		scale func(f float64) (cb float64, margin float64) // the margin contrast at factor f
	}
	pb := 0.0
	if e := pooled(in.segs, func(s *segment) estimate { return s.contrast(quantity{kind: qErrors}, 1, 0) }); e.ok {
		pb = e.value
	}
	harms := []harm{{name: "errors", q: quantity{kind: qErrors}, sign: 1, tau2: g.ErrorEffect * g.ErrorEffect,
		scale: func(f float64) (float64, float64) { return -(1 + g.ErrorMargin*f), g.ErrorSlack * f }}}
	if !g.NoLatency {
		m := math.Log(g.MaxLatencyRatio)
		harms = append(harms, harm{name: "latency", q: quantity{kind: qLatency}, sign: 1, tau2: g.LatencyEffect * g.LatencyEffect,
			scale: func(f float64) (float64, float64) { return -1, m * f }})
	}
	for i, m := range g.Metrics {
		sign := 1.0
		if m.LowerIsWorse {
			sign = -1
		}
		eff := m.Effect
		harms = append(harms, harm{name: "metric " + m.Name, q: quantity{kind: qMetric, metric: i}, sign: sign, tau2: eff * eff,
			scale: func(f float64) (float64, float64) { return -1, eff * f }})
	}
	pass, promote := enough, enough
	var needed int64
	var holding []string
	for _, h := range harms {
		ck := Check{Name: h.name}
		e := pooled(in.segs, func(s *segment) estimate { return s.contrast(h.q, -h.sign, h.sign) })
		if !enough || !e.ok {
			f.Checks = append(f.Checks, ck)
			pass, promote = false, false
			continue
		}
		ck.Ready = true
		ck.Estimate = e.value
		ck.Lower, _ = e.bounds(h.tau2, c.alpha)
		if ck.Lower > 0 && v.fail == "" {
			v.fail = c.failure(h.name, e, ck.Lower, f)
		}
		// The margin contrast at factor f: sign*(mean_c - k*mean_b) - margin.
		ok := func(fac float64) (bool, Check) {
			cb, margin := h.scale(fac)
			me := pooled(in.segs, func(s *segment) estimate { return s.contrast(h.q, h.sign*cb, h.sign) })
			out := ck
			if !me.ok {
				return false, out
			}
			// Shown on the harm's scale: Upper and Margin differ by what
			// the contrast's upper bound differs from 0.
			shiftBack := margin + h.sign*(-cb-1)*pb*b2f(h.q.kind == qErrors)
			_, hi := me.bounds(h.tau2, c.promoteAlpha)
			out.Upper, out.Margin = hi-margin+shiftBack, shiftBack
			if hi-margin < 0 {
				return true, out
			}
			me.value -= margin
			out.Needed = me.needed(0, h.tau2, c.promoteAlpha)
			return false, out
		}
		okNext, shown := ok(factor)
		okFinal := okNext
		if factor != 1 && okNext {
			okFinal, _ = ok(1) // early success
		}
		ck = shown
		pass = pass && okNext
		promote = promote && okFinal
		if !okNext {
			holding = append(holding, fmt.Sprintf("%s: upper bound %s not below the margin %s", h.name, fmtHarm(h.q, ck.Upper), fmtHarm(h.q, ck.Margin)))
			if ck.Needed < 0 || needed < 0 {
				needed = -1
			} else {
				needed = max(needed, ck.Needed)
			}
		}
		f.Checks = append(f.Checks, ck)
	}
	if !g.NoSRM && g.MaxUnitLoss < 1 && in.percent > 0 && in.percent < 100 {
		ck := Check{Name: "lost units"}
		share := in.percent / 100
		up, ok := lossUpper(in.segs[len(in.segs)-1], in.cur, share, c.promoteAlpha)
		if ok {
			ck.Ready, ck.Upper, ck.Margin = true, up, math.Min(1, g.MaxUnitLoss*factor)
			if xb, xc := float64(in.cur.Baseline.Units), float64(in.cur.Candidate.Units); xb > 0 && xc > 0 {
				ck.Estimate = 1 - xc/xb*(1-share)/share
			}
		}
		okNext := ok && ck.Upper < ck.Margin
		pass = pass && okNext
		promote = promote && ok && up < g.MaxUnitLoss
		if ok && !okNext {
			holding = append(holding, fmt.Sprintf("lost units: upper bound %.1f%% of the candidate's units not below %.1f%%", 100*ck.Upper, 100*ck.Margin))
		}
		f.Checks = append(f.Checks, ck)
	}
	if g.MaxErrorRate > 0 {
		ck := Check{Name: "error ceiling", Limit: g.MaxErrorRate}
		e := pooled(in.segs, func(s *segment) estimate { return s.contrast(quantity{kind: qErrors}, 0, 1) })
		if enough && e.ok {
			ck.Ready, ck.Estimate = true, e.value
			ck.Lower, _ = e.bounds(g.ErrorEffect*g.ErrorEffect, c.alpha)
			if ck.Lower > g.MaxErrorRate && v.fail == "" {
				v.fail = fmt.Sprintf("error rate ceiling: candidate %.3f%% (always-valid lower bound %.3f%%) > %.2f%%",
					100*e.value, 100*ck.Lower, 100*g.MaxErrorRate)
			}
		}
		f.Checks = append(f.Checks, ck)
	}
	f.Needed = needed
	switch {
	case !enough:
		v.hold = fmt.Sprintf("fewer than %d requests per variant over the steps so far", in.minSamples)
		f.Needed = -1
	case pass || promote:
		f.Needed = 0
	case len(holding) > 0:
		v.hold = strings.Join(holding, "; ")
		if needed > 0 {
			v.hold += fmt.Sprintf("; about %d more requests needed", needed)
		}
	default:
		v.hold = fmt.Sprintf("fewer than %d time buckets of evidence (the variance estimate's burn-in)", minBuckets)
		f.Needed = -1
	}
	v.pass, v.promote = enough && (pass || promote), enough && promote
	return v
}

// maxStepFactor caps the widening of an early step's margins.
const maxStepFactor = 10

// stepFactor returns by how much the margins of a step leading to share next
// (percent) are wider than the promotion margins: 100/next, at most 10. The
// candidate's harm to all traffic after the step (share times harm) is then
// shown below the promotion margin, except that no margin is more than 10
// times the promotion margin (a 1% step leads to 5%: 10, not 20).
func stepFactor(next float64) float64 { return math.Min(100/next, maxStepFactor) }

// failure describes a harm check whose lower bound is above 0.
func (c guardrailChecker) failure(name string, e estimate, lo float64, f *Figures) string {
	switch name {
	case "errors":
		return fmt.Sprintf("error rate: candidate %.3f%% vs baseline %.3f%% in this step, difference %+.3f points over all steps, always-valid lower bound %+.3f > 0 (alpha %.2g)",
			100*f.Candidate.ErrorRate, 100*f.Baseline.ErrorRate, 100*e.value, 100*lo, c.alpha)
	case "latency":
		return fmt.Sprintf("latency: candidate %.3gx slower (geometric mean; p50 %v vs %v, p90 %v vs %v), always-valid lower bound %.3gx > 1 (alpha %.2g)",
			math.Exp(e.value), f.Candidate.P50, f.Baseline.P50, f.Candidate.P90, f.Baseline.P90, math.Exp(lo), c.alpha)
	}
	return fmt.Sprintf("%s: harm %.4g, always-valid lower bound %.4g > 0 (alpha %.2g)", name, e.value, lo, c.alpha)
}

func fmtHarm(q quantity, x float64) string {
	switch q.kind {
	case qErrors:
		return fmt.Sprintf("%+.3f%%", 100*x)
	case qLatency:
		return fmt.Sprintf("%.3gx", math.Exp(x))
	}
	return fmt.Sprintf("%.4g", x)
}

// requestShare returns the candidate's share of the segment's requests and
// its robust variance over the time buckets.
func requestShare(s *segment) (mean, v float64, ok bool) {
	n := s.total[0].req.w + s.total[1].req.w
	if n < 2 {
		return 0, 0, false
	}
	mean = s.total[1].req.w / n
	res := make([]float64, len(s.buckets))
	filled := make([]bool, len(s.buckets))
	for i, b := range s.buckets {
		bn := b[0].req.w + b[1].req.w
		res[i] = (b[1].req.w - mean*bn) / n
		filled[i] = bn > 0
	}
	v, ok = robustVariance(res, filled)
	return mean, v, ok
}

// lossUpper returns an always-valid upper bound, at alpha, on the share of
// the candidate's units missing from the current step's evidence (telemetry
// lost), from the split of its units (or, when the Window cannot count them,
// of its requests) against the step's weight: with p the candidate's observed
// share of units and s its weight, the loss is 1 - (p/(1-p)) / (s/(1-s)). ok
// is false before there is evidence.
func lossUpper(s *segment, cur Evidence, share, alpha float64) (up float64, ok bool) {
	base, cand := cur.Baseline, cur.Candidate
	var lo float64
	if base.Units > 0 || cand.Units > 0 {
		level := max(base.unitLevel, cand.unitLevel)
		xb, xc := base.Units>>level, cand.Units>>level
		lo, _ = stats.SequentialBinomialInterval(xc, xb+xc, math.Ldexp(alpha, -int(level)-1))
	} else {
		mean, v, ok := requestShare(s)
		if !ok {
			return 0, false
		}
		v = math.Max(v, share*(1-share)/(s.total[0].req.w+s.total[1].req.w))
		lo = mean - stats.MixtureRadius(v, share*share/100, alpha)
	}
	if !(lo > 0) {
		return 1, true
	}
	if lo >= 1 {
		return 0, true
	}
	return 1 - lo/(1-lo)*(1-share)/share, true
}

// srm tests the split of the current step's units (or requests) against its
// weight and returns why it halts, or "".
func (c guardrailChecker) srm(f *Figures, s *segment, in checkInput) string {
	share := in.percent / 100
	alpha := c.g.SRMAlpha / float64(max(in.steps, 1))
	base, cand := in.cur.Baseline, in.cur.Candidate
	if base.Units > 0 || cand.Units > 0 {
		level := max(base.unitLevel, cand.unitLevel)
		xb, xc := base.Units>>level, cand.Units>>level
		res, err := stats.SequentialBinomial(xc, xb+xc, share)
		if err != nil {
			return ""
		}
		f.SRMP = res.PValue
		// Each sampling level is its own test: level k gets alpha/2^(k+1).
		if a := math.Ldexp(alpha, -int(level)-1); res.PValue < a {
			return fmt.Sprintf("sample ratio mismatch: %d baseline and %d candidate units for a %g%% split (always-valid p=%.2g < %.2g); units are missing from one variant's telemetry",
				base.Units, cand.Units, in.percent, res.PValue, a)
		}
		return ""
	}
	// Requests, with the time buckets' variance: heavy users make them
	// over-dispersed.
	mean, v, ok := requestShare(s)
	if !ok {
		return ""
	}
	v = math.Max(v, share*(1-share)/(s.total[0].req.w+s.total[1].req.w))
	tau2 := share * share / 100 // a 10% relative mismatch
	d := mean - share
	rr := tau2 / (v + tau2)
	logL := 0.5*math.Log1p(-rr) + d*d/v*rr/2
	f.SRMP = math.Min(1, math.Exp(-logL))
	if f.SRMP < alpha {
		return fmt.Sprintf("sample ratio mismatch: %d baseline and %d candidate requests for a %g%% split (always-valid p=%.2g < %.2g); check the instrumentation",
			base.Requests, cand.Requests, in.percent, f.SRMP, alpha)
	}
	return ""
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

func (g Gate) check(f *Figures, in checkInput) verdict {
	f.SRMP = 1
	cand := in.cur.Candidate
	if cand.Requests < in.minSamples {
		return verdict{hold: fmt.Sprintf("fewer than %d requests on the new version", in.minSamples)}
	}
	if r := cand.ErrorRate(); r > g.MaxErrorRate {
		return verdict{fail: fmt.Sprintf("gate: error rate %.2f%% (%d/%d) > %.2f%%", 100*r, cand.Errors, cand.Requests, 100*g.MaxErrorRate)}
	}
	if g.MaxLatency > 0 {
		if q := cand.Latency.Quantile(g.LatencyQuantile); q > g.MaxLatency {
			return verdict{fail: fmt.Sprintf("gate: p%g latency %v > %v", 100*g.LatencyQuantile, q, g.MaxLatency)}
		}
	}
	return verdict{pass: true}
}
