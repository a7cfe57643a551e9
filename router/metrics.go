package router

import (
	"iter"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/varroute/varroute/internal/assign"
	"github.com/varroute/varroute/internal/hist"
	"github.com/varroute/varroute/strategy"
)

// KeptRevisions is the number of plan revisions whose aggregates a Router
// keeps and exports: the current one and the ones before it. An older
// revision's series stop being exported (its counters are final by then).
const KeptRevisions = 4

// The outcomes of a request, values of the "outcome" attribute.
const (
	OutcomeOK       = "ok"       // the assigned variant served
	OutcomeFallback = "fallback" // the assigned variant failed; a fallback served
	OutcomeError    = "error"    // no variant served: the caller got an error
	// OutcomeCircuitOpen: the assigned variant's circuit breaker was open,
	// so it was not called; its fallback served, or the caller got
	// ErrCircuitOpen at once.
	OutcomeCircuitOpen = "circuit-open"
)

// Outcome indexes in the aggregates.
const (
	outcomeOK = iota
	outcomeFallback
	outcomeError
	outcomeCircuitOpen
	numOutcomes
)

var outcomeNames = [numOutcomes]string{OutcomeOK, OutcomeFallback, OutcomeError, OutcomeCircuitOpen}

// Revision returns the revision of plan p: the first 12 hex digits of the
// xxhash of its JSON encoding. It is a pure function of the plan, so every
// replica that serves the same plan reports the same revision, and it changes
// with every change of the plan (weights included): metrics cut by revision
// separate the requests of each step of a rollout. Decision.Revision carries
// it.
func Revision(p strategy.Plan) string { return assign.Revision(p) }

// planStats aggregates the requests of one plan revision. The request path
// adds to it with atomics and allocates only the first time a cell (rule,
// variant, reason, outcome) is used; collectors read it at any time.
type planStats struct {
	plan     string
	revision string
	variants []string // by variant index
	rules    []string // by rule index
	cells    []cell   // see cellIndex
	// fallbacks[assigned] counts, by the index of the variant that served,
	// the requests a fallback served; a row is made at the variant's first
	// fallback.
	fallbacks []atomic.Pointer[[]atomic.Int64]
}

// cell is the latency histogram of one (rule, variant, reason, outcome); its
// count is the number of requests.
type cell struct {
	h   atomic.Pointer[hist.Histogram]
	obs atomic.Pointer[metric.MeasurementOption] // OpenTelemetry attributes, made at first use
	rec atomic.Pointer[[]metric.RecordOption]    // the same, as the synchronous histogram's option
}

func newPlanStats(t *assign.Table, revision string) *planStats {
	p := t.Plan()
	ps := &planStats{plan: p.Name, revision: revision, variants: t.Variants()}
	for i := range p.Rules {
		ps.rules = append(ps.rules, t.RuleName(i))
	}
	ps.cells = make([]cell, (len(ps.rules)+1)*len(ps.variants)*2*numOutcomes)
	ps.fallbacks = make([]atomic.Pointer[[]atomic.Int64], len(ps.variants))
	return ps
}

// cellIndex returns the index of (rule, variant, keyed or not, outcome);
// rule is -1 for the default split.
func (ps *planStats) cellIndex(rule, variant int, noKey bool, outcome int) int {
	i := ((rule+1)*len(ps.variants)+variant)*2*numOutcomes + outcome
	if noKey {
		i += numOutcomes
	}
	return i
}

// record counts one request.
func (ps *planStats) record(ch *assign.Choice, outcome, served int, latency time.Duration) {
	c := &ps.cells[ps.cellIndex(ch.Rule, ch.Variant, ch.NoKey(), outcome)]
	h := c.h.Load()
	if h == nil {
		h = hist.New(hist.DefaultScale)
		if !c.h.CompareAndSwap(nil, h) {
			h = c.h.Load()
		}
	}
	h.Add(latency)
	if served != ch.Variant && served >= 0 && outcome != outcomeError {
		row := ps.fallbacks[ch.Variant].Load()
		if row == nil {
			fresh := make([]atomic.Int64, len(ps.variants))
			if !ps.fallbacks[ch.Variant].CompareAndSwap(nil, &fresh) {
				row = ps.fallbacks[ch.Variant].Load()
			} else {
				row = &fresh
			}
		}
		(*row)[served].Add(1)
	}
}

// used yields every used cell with its labels (Latency left empty) and its
// histogram.
func (ps *planStats) used() iter.Seq2[RequestMetrics, *cell] {
	return func(yield func(RequestMetrics, *cell) bool) {
		for rule := -1; rule < len(ps.rules); rule++ {
			for vi, v := range ps.variants {
				for nk := range 2 {
					for o := range numOutcomes {
						c := &ps.cells[ps.cellIndex(rule, vi, nk == 1, o)]
						if c.h.Load() == nil {
							continue
						}
						m := RequestMetrics{Plan: ps.plan, Revision: ps.revision, Variant: v, Reason: ReasonDefault, Outcome: outcomeNames[o]}
						if rule >= 0 {
							m.Rule, m.Reason = ps.rules[rule], ReasonRule
						}
						if nk == 1 {
							m.Reason = ReasonNoKey
						}
						if !yield(m, c) {
							return
						}
					}
				}
			}
		}
	}
}

// Metrics is a snapshot of a Router's aggregates: what its requests did,
// cut by plan revision, rule, variant, reason and outcome. It is what the
// OpenTelemetry instruments, the Prometheus collector (contrib/prometheus)
// and the state endpoint export; every series only grows while its revision
// is kept (see KeptRevisions).
type Metrics struct {
	// Plan and Revision name the plan serving when the snapshot was taken.
	Plan, Revision string
	// Requests has one entry per (plan, revision, rule, variant, reason,
	// outcome) that saw a request, in a stable order.
	Requests []RequestMetrics
	// Fallbacks has one entry per (plan, revision, assigned variant, served
	// variant) for the requests a fallback served.
	Fallbacks []FallbackMetrics
	// Breakers reports the circuit breakers of the current plan's variants
	// (see Router.Breakers).
	Breakers []BreakerStatus
}

// RequestMetrics aggregates the requests of one (plan, revision, rule,
// variant, reason, outcome).
type RequestMetrics struct {
	Plan     string // the plan's name
	Revision string // the plan's revision (see Revision)
	Rule     string // the matched rule, or "" for the default split
	Variant  string // the assigned variant (intent to treat)
	Reason   Reason // why the variant was assigned
	Outcome  string // OutcomeOK, OutcomeFallback, OutcomeError or OutcomeCircuitOpen
	// Latency holds the requests' latencies, from the decision to the
	// response (fallbacks included); Latency.Count() is the number of
	// requests.
	Latency Histogram
}

// FallbackMetrics counts the requests of one (plan, revision, assigned
// variant) that a fallback served.
type FallbackMetrics struct {
	Plan     string
	Revision string
	Variant  string // the assigned variant, which failed
	Served   string // the fallback that served
	Count    int64
}

// Metrics returns a snapshot of the router's aggregates for the plan
// revisions it keeps (see KeptRevisions), oldest first. It allocates; it
// never blocks requests. It is safe for concurrent use.
func (r *Router[In, Out]) Metrics() Metrics {
	var m Metrics
	r.ReadMetrics(&m)
	return m
}

// ReadMetrics is Metrics written into *m, reusing the memory of m's slices
// and of the Latency.Counts of m.Requests: a collector that keeps one
// Metrics between reads allocates little once its buffers have grown. It
// overwrites *m, so the histograms of an earlier read must not be kept.
// Like Metrics it never blocks requests and is safe for concurrent use (with
// distinct m).
func (r *Router[In, Out]) ReadMetrics(m *Metrics) {
	cur := r.snap.Load().plan
	reqs, fbs := m.Requests[:0], m.Fallbacks[:0]
	*m = Metrics{Plan: cur.Name(), Revision: cur.Revision(), Breakers: r.Breakers()}
	for _, ps := range r.revisions() {
		for rm, c := range ps.used() {
			var buf []int64
			if len(reqs) < cap(reqs) {
				buf = reqs[:len(reqs)+1][len(reqs)].Latency.Counts
			}
			rm.Latency = Histogram(c.h.Load().SnapshotInto(buf))
			reqs = append(reqs, rm)
		}
		for vi := range ps.fallbacks {
			row := ps.fallbacks[vi].Load()
			if row == nil {
				continue
			}
			for si := range *row {
				if n := (*row)[si].Load(); n > 0 {
					fbs = append(fbs, FallbackMetrics{Plan: ps.plan, Revision: ps.revision, Variant: ps.variants[vi], Served: ps.variants[si], Count: n})
				}
			}
		}
	}
	if len(reqs) > 0 {
		m.Requests = reqs
	}
	if len(fbs) > 0 {
		m.Fallbacks = fbs
	}
}

// revisions returns the aggregates of the kept revisions, oldest first.
func (r *Router[In, Out]) revisions() []*planStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.revs)
}

// statsFor returns the aggregates of t's revision: the kept ones if the
// revision is kept (a plan set again continues its series), new ones
// otherwise, dropping the oldest beyond KeptRevisions. r.mu must be held.
func (r *Router[In, Out]) statsFor(t *assign.Table) *planStats {
	rev := t.Revision()
	for i, ps := range r.revs {
		if ps.revision == rev && ps.plan == t.Name() && slices.Equal(ps.variants, t.Variants()) {
			r.revs = append(append(r.revs[:i:i], r.revs[i+1:]...), ps) // most recent last
			return ps
		}
	}
	ps := newPlanStats(t, rev)
	r.revs = append(r.revs, ps)
	if len(r.revs) > KeptRevisions {
		r.revs = slices.Delete(r.revs, 0, len(r.revs)-KeptRevisions)
	}
	return ps
}

// A Histogram is a snapshot of latencies in exponential buckets, the layout
// of OpenTelemetry's exponential histograms and Prometheus's native
// histograms: at scale s the base is 2^(2^-s), and bucket index i holds the
// durations v (in seconds) with base^i < v <= base^(i+1). The router keeps
// scale 3 (8 buckets per doubling) between 2^-20 s (≈ 0.95 µs) and 2^6 s:
// shorter durations count in ZeroCount, longer ones in Overflow. A quantile
// read from it is within 4.33% of the truth (see Quantile). It is plain data.
type Histogram struct {
	// Scale sets the base: 2^(2^-Scale).
	Scale int
	// Offset is the bucket index of Counts[0].
	Offset int
	// Counts[i] counts the durations in bucket Offset+i.
	Counts []int64
	// ZeroCount counts the durations at or below base^Offset seconds.
	ZeroCount int64
	// Overflow counts the durations above base^(Offset+len(Counts)) seconds.
	Overflow int64
	// Sum is the sum of the durations.
	Sum time.Duration
}

// Count returns the number of durations in h.
func (h Histogram) Count() int64 { return hist.Snapshot(h).Count() }

// Quantile returns an estimate of the q-quantile (0 <= q <= 1): the
// estimate of the bucket holding the ceil(q*n)-th smallest duration, within
// a relative error of (base-1)/(base+1) — 4.33% at scale 3 — when that
// duration is in the histogram's range. It returns 0 for an empty h.
func (h Histogram) Quantile(q float64) time.Duration { return hist.Snapshot(h).Quantile(q) }

// Sub returns h minus prev: the durations counted between two snapshots.
func (h Histogram) Sub(prev Histogram) Histogram {
	return Histogram(hist.Snapshot(h).Sub(hist.Snapshot(prev)))
}

// Merge returns the sum of h and o, such as the histograms of two replicas,
// at the coarser of their scales.
func (h Histogram) Merge(o Histogram) Histogram {
	return Histogram(hist.Snapshot(h).Merge(hist.Snapshot(o)))
}

// Buckets yields, in increasing order, an estimate and the count of every
// non-empty bucket (see Quantile for the estimate's error).
func (h Histogram) Buckets() iter.Seq2[time.Duration, int64] { return hist.Snapshot(h).Buckets() }
