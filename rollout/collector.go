package rollout

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/varroute/varroute/internal/hist"
	"github.com/varroute/varroute/router"
)

// maxRevisions bounds the plan revisions a Collector keeps: the oldest is
// forgotten when a new one begins beyond it.
const maxRevisions = 16

// A Collector is the default Window: an observer that counts, per plan
// revision and variant, the requests, failures, latencies and distinct units
// a router reports (it implements router.Observer) and the metrics the
// application reports by hand (RecordMetric). Observe allocates nothing and takes no lock on its
// hot path — an outcome of the current revision: atomic counters and an
// exponential latency histogram per variant (the router's layout, see
// router.Histogram). The first outcome of a new revision takes a lock and
// allocates that revision's counters; the Collector keeps the last 16
// revisions and forgets older ones.
//
// Units are counted from router.Outcome.UnitHash in bounded memory (at most
// 1 MiB per revision): exactly up to about 92,000 units per revision, then
// by hash sampling at a rate halved each time the sample fills, with a seed
// of the Collector's own, so VariantWindow.Units is exact below that size and
// an estimate with a relative error of about 1/sqrt(92,000/2) (0.5%) above
// it. The sample is independent of assignment, so the controller's
// sample-ratio test on the sampled units stays exact.
//
// A Collector is safe for concurrent use; create one with NewCollector.
type Collector struct {
	plan     string
	variants []string
	seed     uint64 // of the unit sketches

	cur  atomic.Pointer[revisionAcc] // the revision most recently begun
	mu   sync.Mutex                  // guards revs
	revs []*revisionAcc              // oldest first
}

// revisionAcc holds the counters of one plan revision.
type revisionAcc struct {
	id    string
	acc   []variantAcc // by variant index
	units unitSketch
}

type variantAcc struct {
	requests atomic.Int64
	errors   atomic.Int64
	latency  *hist.Histogram

	mu      sync.Mutex
	metrics map[string]*MetricSums
}

// NewCollector returns a Collector that counts the outcomes of the given
// variants decided by the plan named plan ("" counts every plan), separately
// for each plan revision (router.Decision.Revision). Outcomes of units without
// a key (router.ReasonNoKey) are not counted: those units are not randomized
// between variants, so counting them would bias the comparison.
func NewCollector(plan string, variants ...string) *Collector {
	return &Collector{plan: plan, variants: append([]string(nil), variants...), seed: rand.Uint64()}
}

func (c *Collector) index(variant string) int {
	for i, v := range c.variants {
		if v == variant {
			return i
		}
	}
	return -1
}

// revision returns the counters of rev, creating them (and making them
// current) if create is set; nil if rev is unknown and create is not set.
func (c *Collector) revision(rev string, create bool) *revisionAcc {
	if r := c.cur.Load(); r != nil && r.id == rev {
		return r
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.revs {
		if r.id == rev {
			return r
		}
	}
	if !create {
		return nil
	}
	r := &revisionAcc{id: rev, acc: make([]variantAcc, len(c.variants))}
	for i := range r.acc {
		r.acc[i].latency = hist.New(hist.DefaultScale)
	}
	r.units.init(c.seed^mix64(uint64(len(c.revs))), len(c.variants))
	if len(c.revs) == maxRevisions {
		c.revs = append(c.revs[:0], c.revs[1:]...)
	}
	c.revs = append(c.revs, r)
	c.cur.Store(r)
	return r
}

// counts reports whether the Collector counts decisions like d, and for
// which variant index.
func (c *Collector) counts(d *router.Decision) int {
	if (c.plan != "" && d.Plan != c.plan) || d.Reason == router.ReasonNoKey {
		return -1
	}
	return c.index(d.Variant)
}

// Observe counts o for its revision and assigned variant
// (router.Decision.Variant: intent to treat) when the plan and variant are
// the Collector's. A failure of the assigned variant counts as an error even
// when a fallback served. It allocates nothing and takes no lock for an
// outcome of the current revision.
func (c *Collector) Observe(_ context.Context, o router.Outcome) {
	i := c.counts(&o.Decision)
	if i < 0 {
		return
	}
	r := c.cur.Load()
	if r == nil || r.id != o.Decision.Revision {
		r = c.revision(o.Decision.Revision, true)
	}
	a := &r.acc[i]
	a.latency.Add(o.Latency)
	if o.Failure != nil {
		a.errors.Add(1)
	}
	a.requests.Add(1)
	r.units.add(o.UnitHash, i)
}

// RecordMetric adds one value of the user metric name — such as a business
// outcome learnt after the response — for the revision and variant that d
// decided (intent to treat): a value learnt after a step change counts in the
// revision that served the unit. It counts what Observe counts: decisions of
// the Collector's plan for its variants, with a unit key. NaN and infinite
// values are ignored. It takes a per-variant lock.
func (c *Collector) RecordMetric(d router.Decision, name string, value float64) {
	i := c.counts(&d)
	if i < 0 || math.IsNaN(value) || math.IsInf(value, 0) {
		return
	}
	a := &c.revision(d.Revision, true).acc[i]
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.metrics[name]
	if m == nil {
		if a.metrics == nil {
			a.metrics = make(map[string]*MetricSums)
		}
		m = &MetricSums{Shift: value}
		a.metrics[name] = m
	}
	x := value - m.Shift
	m.N++
	m.Sum += x
	m.SumSq += x * x
}

// Read returns the figures of q.Baseline and q.Candidate counted under
// q.Revision since it began. A revision, plan or variant the Collector has
// not counted reads as empty. It returns ctx's error if ctx is done, and no
// other error.
func (c *Collector) Read(ctx context.Context, q Query) (Evidence, error) {
	if err := ctx.Err(); err != nil {
		return Evidence{}, err
	}
	if c.plan != "" && q.Plan != c.plan {
		return Evidence{}, nil
	}
	r := c.revision(q.Revision, false)
	if r == nil {
		return Evidence{}, nil
	}
	t := r.units.tab.Load() // one table, so both counts share a level
	return Evidence{Baseline: r.read(c.index(q.Baseline), t), Candidate: r.read(c.index(q.Candidate), t)}, nil
}

func (r *revisionAcc) read(i int, units *unitTable) VariantWindow {
	if i < 0 {
		return VariantWindow{}
	}
	a := &r.acc[i]
	// Errors before requests (Observe adds them in the other order), so a
	// read never shows more errors than requests.
	w := VariantWindow{Errors: a.errors.Load()}
	w.Latency = router.Histogram(a.latency.Snapshot())
	w.Requests = a.requests.Load()
	w.Units = units.count(i) << units.level
	w.unitLevel = uint8(units.level)
	a.mu.Lock()
	if len(a.metrics) > 0 {
		w.Metrics = make(map[string]MetricSums, len(a.metrics))
		for k, m := range a.metrics {
			w.Metrics[k] = *m
		}
	}
	a.mu.Unlock()
	return w
}
