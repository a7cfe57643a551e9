package rollout

import (
	"math"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/stats"
)

// The time buckets of a step's evidence: the increments between successive
// reads are added to buckets bucketWidth wide; when a step outgrows
// maxBuckets buckets, adjacent pairs merge (the width doubles), so a long
// step keeps between maxBuckets/2 and maxBuckets buckets. A step's evidence
// counts once it has minBuckets non-empty buckets (the burn-in of the variance
// estimate: 50 minutes when the controller reads at least every 5 minutes).
const (
	bucketWidth = 5 * time.Minute
	maxBuckets  = 64
	minBuckets  = 10
	// pseudo is the number of pseudo-observations (half errors, half
	// successes) in the floor of an error rate's variance, so that a rate
	// with few or no errors still has one.
	pseudo = 8
)

// moments are the sums of one quantity over a set of requests: w the
// number of values, y their sum and yy the sum of their squares.
type moments struct{ w, y, yy float64 }

func (m *moments) add(o moments) { m.w += o.w; m.y += o.y; m.yy += o.yy }

// armSums are one variant's sums over a bucket: requests with their errors
// (w requests, y = yy errors), log latencies (in ln seconds) and the
// guardrail metrics, in Guardrails.Metrics order (values minus the arm's
// shift).
type armSums struct {
	req, lat moments
	met      []moments
}

func (a *armSums) add(o *armSums) {
	a.req.add(o.req)
	a.lat.add(o.lat)
	for len(a.met) < len(o.met) {
		a.met = append(a.met, moments{})
	}
	for i := range o.met {
		a.met[i].add(o.met[i])
	}
}

// A segment is the evidence of one step (from the step's start or the last
// Resume): its time buckets, totals, and the last read, from which the next
// increment is taken.
type segment struct {
	percent float64
	start   time.Time
	width   time.Duration
	metrics []string // guardrail metric names
	prev    Evidence
	buckets [][2]armSums // by time index; 0 baseline, 1 candidate
	total   [2]armSums
	shift   [2][]float64 // metric shifts per arm
	last    Evidence     // the evidence at the last read
}

func newSegment(percent float64, start time.Time, metrics []string) *segment {
	return &segment{percent: percent, start: start, width: bucketWidth, metrics: metrics}
}

// add takes the increment from the last read to ev, read at now, into the
// bucket of now. A figure that decreased (a Window whose counters reset)
// discards the increment.
func (s *segment) add(now time.Time, ev Evidence) {
	var inc [2]armSums
	ok := true
	for a, w := range [2]VariantWindow{ev.Baseline, ev.Candidate} {
		p := s.prev.Baseline
		if a == 1 {
			p = s.prev.Candidate
		}
		if w.Requests < p.Requests || w.Errors < p.Errors {
			ok = false
			break
		}
		inc[a].req = moments{w: float64(w.Requests - p.Requests), y: float64(w.Errors - p.Errors), yy: float64(w.Errors - p.Errors)}
		inc[a].lat = logMoments(w.Latency.Sub(p.Latency))
		if len(s.metrics) > 0 {
			inc[a].met = make([]moments, len(s.metrics))
			if s.shift[a] == nil {
				s.shift[a] = make([]float64, len(s.metrics))
			}
			for i, name := range s.metrics {
				m, pm := w.Metrics[name], p.Metrics[name]
				if pm.N == 0 {
					s.shift[a][i] = m.Shift
				} else if m.Shift != pm.Shift || m.N < pm.N {
					continue // inconsistent sums: skip this metric's increment
				}
				d := m.Sub(pm)
				inc[a].met[i] = moments{w: float64(d.N), y: d.Sum, yy: d.SumSq}
			}
		}
	}
	s.prev, s.last = ev, ev
	if !ok || inc[0].req.w+inc[1].req.w+inc[0].met0()+inc[1].met0() == 0 {
		return
	}
	idx := int(now.Sub(s.start) / s.width)
	for idx >= maxBuckets {
		s.merge()
		idx = int(now.Sub(s.start) / s.width)
	}
	idx = max(idx, 0)
	for len(s.buckets) <= idx {
		s.buckets = append(s.buckets, [2]armSums{})
	}
	for a := range 2 {
		s.buckets[idx][a].add(&inc[a])
		s.total[a].add(&inc[a])
	}
}

// met0 returns the number of metric values in a.
func (a *armSums) met0() float64 {
	var n float64
	for _, m := range a.met {
		n += m.w
	}
	return n
}

// merge merges adjacent buckets and doubles the width.
func (s *segment) merge() {
	n := (len(s.buckets) + 1) / 2
	for i := range n {
		b := s.buckets[2*i]
		if 2*i+1 < len(s.buckets) {
			for a := range 2 {
				b[a].add(&s.buckets[2*i+1][a])
			}
		}
		s.buckets[i] = b
	}
	clear(s.buckets[n:])
	s.buckets = s.buckets[:n]
	s.width *= 2
}

// logMoments returns the moments of ln(latency in seconds) over h, each
// latency taken at its bucket's estimate.
func logMoments(h router.Histogram) moments {
	var m moments
	for v, c := range h.Buckets() {
		x := math.Log(max(v.Seconds(), 1e-9))
		fc := float64(c)
		m.w += fc
		m.y += fc * x
		m.yy += fc * x * x
	}
	return m
}

// A quantity selects what a contrast compares: errors (a rate), log latency
// or a metric (means).
type quantity struct {
	kind   int // qErrors, qLatency, qMetric
	metric int
}

const (
	qErrors = iota
	qLatency
	qMetric
)

func (q quantity) of(a *armSums) moments {
	switch q.kind {
	case qErrors:
		return a.req
	case qLatency:
		return a.lat
	}
	if q.metric < len(a.met) {
		return a.met[q.metric]
	}
	return moments{}
}

// An estimate is a contrast's value and its variance.
type estimate struct {
	value, variance float64
	n               float64 // values behind it, both arms
	ok              bool
}

// contrast returns the estimate of cb*mean_b + cc*mean_c over the segment,
// with the larger of two variances: the robust one, from the spread of the
// buckets' residuals (a cluster-robust, delta-method variance with the time
// bucket as cluster: requests of one bucket may be correlated — bursts,
// heavy users, drift shared by both arms cancels in the difference), and
// the one of independent values (the floor). It is not ok before the
// burn-in: minBuckets non-empty buckets and 2 values in each arm compared.
func (s *segment) contrast(q quantity, cb, cc float64) estimate {
	var mean, varIID, tot [2]float64
	for a, c := range [2]float64{cb, cc} {
		m := q.of(&s.total[a])
		tot[a] = m.w
		if c == 0 {
			continue
		}
		if m.w < 2 {
			return estimate{}
		}
		mean[a] = m.y / m.w
		if q.kind == qErrors {
			p := (m.y + pseudo/2) / (m.w + pseudo)
			varIID[a] = p * (1 - p) / m.w
		} else {
			varIID[a] = math.Max(0, m.yy-m.y*mean[a]) / (m.w - 1) / m.w
		}
	}
	res := make([]float64, 0, maxBuckets)
	filled := make([]bool, 0, maxBuckets)
	for i := range s.buckets {
		var r float64
		nonEmpty := false
		for a, c := range [2]float64{cb, cc} {
			if c == 0 {
				continue
			}
			m := q.of(&s.buckets[i][a])
			if m.w > 0 {
				nonEmpty = true
			}
			r += c * (m.y - mean[a]*m.w) / tot[a]
		}
		res, filled = append(res, r), append(filled, nonEmpty)
	}
	robust, ok := robustVariance(res, filled)
	if !ok {
		return estimate{}
	}
	floor := cb*cb*varIID[0] + cc*cc*varIID[1]
	val := cb*mean[0] + cc*mean[1]
	if q.kind == qMetric {
		val += cb*s.shiftOf(0, q.metric) + cc*s.shiftOf(1, q.metric)
	}
	n := tot[0]*b2f(cb != 0) + tot[1]*b2f(cc != 0)
	return estimate{value: val, variance: math.Max(robust, floor), n: n, ok: true}
}

func (s *segment) shiftOf(a, metric int) float64 {
	if metric < len(s.shift[a]) {
		return s.shift[a][metric]
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// robustVariance returns the variance of a sum of residuals given per time
// bucket, from their spread: at the buckets' width and at every multiple of it
// by a power of 2 that still leaves minBuckets non-empty groups of
// consecutive buckets, the largest — so that correlation across neighbouring
// buckets (a burst longer than a bucket) is caught at a coarser width — each
// scaled by J/(J-1) and by a Student-t correction for its J-1 degrees of
// freedom. It is not ok with fewer than minBuckets non-empty buckets.
func robustVariance(res []float64, filled []bool) (float64, bool) {
	best, ok := 0.0, false
	for g := 1; ; g *= 2 {
		var sum float64
		j := 0
		for i := 0; i < len(res); i += g {
			var r float64
			any := false
			for k := i; k < min(i+g, len(res)); k++ {
				r += res[k]
				any = any || filled[k]
			}
			if any {
				j++
				sum += r * r
			}
		}
		if j < minBuckets {
			return best, ok
		}
		v := sum * float64(j) / float64(j-1) * tCorrection(j-1)
		best, ok = math.Max(best, v), true
	}
}

// tCorrection returns (t_{df,0.99}/z_{0.99})², the factor by which a variance
// estimated with df degrees of freedom is inflated so that a normal bound
// built on it covers like a Student-t one (Cornish–Fisher expansion of the t
// quantile, within 0.5% for df >= 9).
func tCorrection(df int) float64 {
	const z = 2.3263478740408408
	nu := float64(df)
	t := z + (z*z*z+z)/(4*nu) + (5*z*z*z*z*z+16*z*z*z+3*z)/(96*nu*nu)
	return (t / z) * (t / z)
}

// pooled returns the inverse-variance weighted mean of the segments'
// estimates of a contrast: evidence carried across steps. With
// contrast(seg) the contrast of one segment, it is not ok when no segment has
// passed its burn-in.
func pooled(segs []*segment, f func(*segment) estimate) estimate {
	var w, wv, n float64
	for _, s := range segs {
		e := f(s)
		if !e.ok || !(e.variance >= 0) {
			continue
		}
		// Values without spread (a constant latency) are exact: give
		// them a negligible variance rather than none.
		e.variance = math.Max(e.variance, 1e-300)
		w += 1 / e.variance
		wv += e.value / e.variance
		n += e.n
	}
	if w == 0 {
		return estimate{}
	}
	return estimate{value: wv / w, variance: 1 / w, n: n, ok: true}
}

// bounds returns the always-valid one-sided bounds of e at alpha each, with
// mixing variance tau2.
func (e estimate) bounds(tau2, alpha float64) (lo, hi float64) {
	r := stats.MixtureRadius(e.variance, tau2, alpha)
	return e.value - r, e.value + r
}

// needed returns how many more values (both arms) e needs for its upper
// bound to fall below margin if the estimate stays where it is: -1 when the
// estimate is not below the margin, 0 when the bound already is.
func (e estimate) needed(margin, tau2, alpha float64) int64 {
	gap := margin - e.value
	if !(gap > 0) {
		return -1
	}
	if _, hi := e.bounds(tau2, alpha); hi < margin {
		return 0
	}
	n, err := stats.MixtureSampleSize(e.variance*e.n, gap, tau2, alpha)
	if err != nil {
		return -1
	}
	return max(n-int64(e.n), 1)
}
