package shadow

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/varroute/varroute/internal/hist"
	"github.com/varroute/varroute/stats"
)

// An Aggregator summarizes comparisons per (primary, shadow) pair: agreement
// rate with its Wilson interval, error and timeout rates, and latency
// summaries of both sides. Noise-floor comparisons (a second call of the
// primary itself) are kept apart, per primary, and reported beside every
// candidate that shadows that primary. A router keeps one for its shadows
// (router.ShadowReport); to keep another, feed it from a Sink:
//
//	shadow.SinkFunc[Out](func(_ context.Context, c shadow.Comparison, _, _ Out) { agg.Add(c) })
//
// An Aggregator is safe for concurrent use; Add does not allocate once a
// pair has been seen (the first comparison of a pair allocates its row,
// about 3.5 KB of histograms). The zero Aggregator is ready to use and
// reports 95% intervals.
type Aggregator struct {
	confidence float64 // 0 means 0.95

	rows atomic.Pointer[map[rowKey]*row] // copy on write; never mutated after Store
	mu   sync.Mutex                      // serializes inserts
}

// NewAggregator returns an Aggregator whose intervals have the given
// two-sided confidence level (0.95 for 95%). A confidence outside (0, 1)
// means 0.95.
func NewAggregator(confidence float64) *Aggregator {
	if !(confidence > 0 && confidence < 1) {
		confidence = 0.95
	}
	return &Aggregator{confidence: confidence}
}

type rowKey struct {
	primary, shadow string
	noise           bool
}

type row struct {
	mu                                sync.Mutex
	comparisons, answered, agreements int64
	errs, timedOut, panicked          int64
	primaryLatency, shadowLatency     latency
}

// Add adds c to its pair's row. For a noise-floor comparison the pair is
// (c.Primary, c.Primary) whatever c.Shadow says.
func (a *Aggregator) Add(c Comparison) {
	k := rowKey{primary: c.Primary, shadow: c.Shadow, noise: c.NoiseFloor}
	if c.NoiseFloor {
		k.shadow = c.Primary
	}
	r := a.row(k)
	r.mu.Lock()
	first := r.comparisons == 0
	r.comparisons++
	switch {
	case c.Err == nil:
		r.answered++
		if c.Agreed {
			r.agreements++
		}
		if c.TimedOut {
			r.timedOut++
		}
	default:
		r.errs++
		if c.TimedOut {
			r.timedOut++
		}
		if c.Panicked {
			r.panicked++
		}
	}
	r.primaryLatency.add(c.PrimaryLatency, first)
	r.shadowLatency.add(c.ShadowLatency, first)
	r.mu.Unlock()
}

func (a *Aggregator) row(k rowKey) *row {
	if m := a.rows.Load(); m != nil {
		if r, ok := (*m)[k]; ok {
			return r
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.rows.Load()
	if old != nil {
		if r, ok := (*old)[k]; ok {
			return r
		}
	}
	m := make(map[rowKey]*row, 1+lenMap(old))
	if old != nil {
		for kk, v := range *old {
			m[kk] = v
		}
	}
	r := &row{primaryLatency: newLatency(), shadowLatency: newLatency()}
	m[k] = r
	a.rows.Store(&m)
	return r
}

func lenMap(m *map[rowKey]*row) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// Report is a snapshot of an Aggregator, ready to be served as JSON.
type Report struct {
	// Confidence is the two-sided level of every interval in the report.
	Confidence float64 `json:"confidence"`
	// Shadows has one row per (primary, shadow) pair, sorted by primary
	// then shadow.
	Shadows []Row `json:"shadows"`
	// NoiseFloors has one row per primary mirrored to itself, sorted by
	// primary; its Shadow equals its Primary.
	NoiseFloors []Row `json:"noise_floors,omitempty"`
}

// Row summarizes the comparisons of one (primary, shadow) pair.
//
// Rates are zero when their denominator is zero (check the counts): JSON
// has no NaN.
type Row struct {
	// Primary names the variant that served the requests.
	Primary string `json:"primary"`
	// Shadow names the mirrored variant (Primary itself on noise-floor rows).
	Shadow string `json:"shadow"`
	// NoiseFloor marks a row of the primary compared with itself.
	NoiseFloor bool `json:"noise_floor,omitempty"`

	// Comparisons counts every recorded comparison.
	Comparisons int64 `json:"comparisons"`
	// Answered counts comparisons where the shadow returned without error.
	Answered int64 `json:"answered"`
	// Agreements counts answered comparisons judged equal.
	Agreements int64 `json:"agreements"`
	// Errors counts comparisons where the shadow failed in any way
	// (error, timeout error, panic).
	Errors int64 `json:"errors"`
	// TimedOut counts comparisons that missed the deadline, whether the
	// shadow then failed or answered late.
	TimedOut int64 `json:"timed_out"`
	// Panicked counts comparisons where the shadow panicked.
	Panicked int64 `json:"panicked"`

	// AgreementRate is Agreements / Answered.
	AgreementRate float64 `json:"agreement_rate"`
	// AgreementLow and AgreementHigh bound AgreementRate (Wilson score
	// interval, stats.Wilson, at the report's confidence; [0, 1] when
	// Answered is zero).
	AgreementLow  float64 `json:"agreement_low"`
	AgreementHigh float64 `json:"agreement_high"`
	// ErrorRate is Errors / Comparisons.
	ErrorRate float64 `json:"error_rate"`
	// TimeoutRate is TimedOut / Comparisons.
	TimeoutRate float64 `json:"timeout_rate"`

	// PrimaryLatency and ShadowLatency summarize both sides' latencies.
	PrimaryLatency LatencySummary `json:"primary_latency"`
	ShadowLatency  LatencySummary `json:"shadow_latency"`

	// Noise compares this row's disagreement with its primary's noise
	// floor. Nil on noise-floor rows and when the primary has none.
	Noise *Excess `json:"noise,omitempty"`
}

// Excess compares a candidate's disagreement with the noise floor: the
// disagreement of the primary with itself. Only disagreement beyond the
// noise floor is evidence that the candidate behaves differently.
type Excess struct {
	// Disagreement is the candidate's 1 - AgreementRate.
	Disagreement float64 `json:"disagreement"`
	// NoiseDisagreement is the noise floor's 1 - AgreementRate.
	NoiseDisagreement float64 `json:"noise_disagreement"`
	// NoiseAnswered is the number of noise-floor comparisons behind it.
	NoiseAnswered int64 `json:"noise_answered"`
	// Excess is Disagreement - NoiseDisagreement.
	Excess float64 `json:"excess"`
	// Low and High bound Excess: Newcombe's hybrid score interval for a
	// difference of two proportions (stats.Newcombe), at the report's
	// confidence. Low > 0 means the candidate disagrees more than the
	// primary's own noise.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Significant reports whether the excess disagreement's interval lies
// above zero.
func (e Excess) Significant() bool { return e.Low > 0 }

// Report returns a snapshot of every row. It is safe to call while
// comparisons are recorded; each row is read atomically, rows at slightly
// different instants. It allocates.
func (a *Aggregator) Report() Report {
	conf := a.confidence
	if conf == 0 {
		conf = 0.95
	}
	rep := Report{Confidence: conf, Shadows: []Row{}}
	m := a.rows.Load()
	if m == nil {
		return rep
	}
	noise := map[string]Row{}
	for k, r := range *m {
		row := r.snapshot(k, conf)
		if k.noise {
			rep.NoiseFloors = append(rep.NoiseFloors, row)
			noise[k.primary] = row
		} else {
			rep.Shadows = append(rep.Shadows, row)
		}
	}
	byPair := func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Primary, b.Primary), cmp.Compare(a.Shadow, b.Shadow))
	}
	slices.SortFunc(rep.Shadows, byPair)
	slices.SortFunc(rep.NoiseFloors, byPair)
	for i := range rep.Shadows {
		s := &rep.Shadows[i]
		if n, ok := noise[s.Primary]; ok && s.Answered > 0 && n.Answered > 0 {
			s.Noise = excess(*s, n, conf)
		}
	}
	return rep
}

// Row returns the row of the pair (primary, shadow), or false if no
// comparison of it was recorded. Row(p, p) is p's noise-floor row.
func (rep Report) Row(primary, shadow string) (Row, bool) {
	rows := rep.Shadows
	if primary == shadow {
		rows = rep.NoiseFloors
	}
	for _, r := range rows {
		if r.Primary == primary && r.Shadow == shadow {
			return r, true
		}
	}
	return Row{}, false
}

func (r *row) snapshot(k rowKey, conf float64) Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := Row{
		Primary:        k.primary,
		Shadow:         k.shadow,
		NoiseFloor:     k.noise,
		Comparisons:    r.comparisons,
		Answered:       r.answered,
		Agreements:     r.agreements,
		Errors:         r.errs,
		TimedOut:       r.timedOut,
		Panicked:       r.panicked,
		PrimaryLatency: r.primaryLatency.summary(),
		ShadowLatency:  r.shadowLatency.summary(),
	}
	out.AgreementLow, out.AgreementHigh = stats.Wilson(r.agreements, r.answered, conf)
	if r.answered > 0 {
		out.AgreementRate = float64(r.agreements) / float64(r.answered)
	}
	if r.comparisons > 0 {
		out.ErrorRate = float64(r.errs) / float64(r.comparisons)
		out.TimeoutRate = float64(r.timedOut) / float64(r.comparisons)
	}
	return out
}

func excess(cand, noise Row, conf float64) *Excess {
	p1 := 1 - cand.AgreementRate
	p2 := 1 - noise.AgreementRate
	lo, hi := stats.Newcombe(cand.Answered-cand.Agreements, cand.Answered, noise.Answered-noise.Agreements, noise.Answered, conf)
	return &Excess{
		Disagreement:      p1,
		NoiseDisagreement: p2,
		NoiseAnswered:     noise.Answered,
		Excess:            p1 - p2,
		Low:               lo,
		High:              hi,
	}
}

// latency keeps the durations of one side of a row: a histogram for the
// quantiles and the exact extremes. It is guarded by its row's mutex.
type latency struct {
	h        *hist.Histogram
	min, max time.Duration
}

func newLatency() latency { return latency{h: hist.New(hist.DefaultScale)} }

func (l *latency) add(d time.Duration, first bool) {
	d = max(d, 0)
	l.h.Add(d)
	if first || d < l.min {
		l.min = d
	}
	l.max = max(l.max, d)
}

// LatencySummary summarizes a set of durations. Quantiles are read from an
// exponential histogram (8 buckets per doubling between about 1 µs and
// 64 s) and are within 4.33% of the exact value inside that range; Count,
// Mean, Min and Max are exact. All fields are zero when Count is zero.
// Durations are nanoseconds in JSON.
type LatencySummary struct {
	Count int64         `json:"count"` // number of durations
	Mean  time.Duration `json:"mean"`  // arithmetic mean
	Min   time.Duration `json:"min"`   // smallest
	P50   time.Duration `json:"p50"`   // median
	P90   time.Duration `json:"p90"`   // 90th percentile
	P99   time.Duration `json:"p99"`   // 99th percentile
	Max   time.Duration `json:"max"`   // largest
}

// summary reads l; quantile estimates are clamped to [Min, Max].
func (l *latency) summary() LatencySummary {
	s := l.h.Snapshot()
	n := s.Count()
	if n == 0 {
		return LatencySummary{}
	}
	q := func(q float64) time.Duration { return min(max(s.Quantile(q), l.min), l.max) }
	return LatencySummary{
		Count: n,
		Mean:  s.Sum / time.Duration(n),
		Min:   l.min,
		P50:   q(0.50),
		P90:   q(0.90),
		P99:   q(0.99),
		Max:   l.max,
	}
}
