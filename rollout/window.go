package rollout

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	"github.com/varroute/varroute/internal/hist"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/stats"
)

// A Window is where a controller reads the outcomes of its variants. Snapshot
// returns cumulative totals for one variant since the window began; a
// controller subtracts the snapshot taken when a step began from a later one
// (VariantWindow.Sub), so each step is judged on its own traffic.
//
// The default Window is a Collector fed by this process's router. To judge
// the traffic of every replica, implement Window over metrics aggregated
// across replicas — Prometheus counters and histograms, or an OpenTelemetry
// Collector's backend — which are cumulative too. Snapshot must be safe for
// concurrent use and must return totals that never decrease.
type Window interface {
	Snapshot(variant string) VariantWindow
}

// WindowFunc adapts an ordinary function to a Window.
type WindowFunc func(variant string) VariantWindow

// Snapshot calls f(variant).
func (f WindowFunc) Snapshot(variant string) VariantWindow { return f(variant) }

// A VariantWindow holds one variant's cumulative figures. The zero value is
// an empty window.
type VariantWindow struct {
	// Requests counts the requests assigned to the variant.
	Requests int64
	// Errors counts those whose assigned variant failed (router.Outcome.Failure),
	// whether or not a fallback then served.
	Errors int64
	// Latency is the histogram of the requests' latencies, in the layout of
	// the router's own (router.Histogram: OpenTelemetry exponential and
	// Prometheus native histograms), so a Window across replicas can fill it
	// from native histograms and add replicas up with Merge.
	Latency router.Histogram
	// Metrics holds the user-reported metrics by name. Nil means none.
	Metrics map[string]MetricSums
}

// Sub returns the figures accumulated between prev and w: w minus prev. The
// two must come from the same Window (same metric shifts); a histogram or
// metric prev lacks is kept whole.
func (w VariantWindow) Sub(prev VariantWindow) VariantWindow {
	d := VariantWindow{
		Requests: w.Requests - prev.Requests,
		Errors:   w.Errors - prev.Errors,
		Latency:  w.Latency.Sub(prev.Latency),
	}
	if len(w.Metrics) > 0 {
		d.Metrics = make(map[string]MetricSums, len(w.Metrics))
		for k, m := range w.Metrics {
			d.Metrics[k] = m.Sub(prev.Metrics[k])
		}
	}
	return d
}

// ErrorRate returns Errors/Requests, or 0 without requests.
func (w VariantWindow) ErrorRate() float64 {
	if w.Requests <= 0 {
		return 0
	}
	return float64(w.Errors) / float64(w.Requests)
}

// logSummary returns the summary of ln(latency in seconds) over h, each
// latency taken at its bucket's estimate (router.Histogram.Buckets): the
// scale on which latencies are compared, since a slowdown multiplies them.
func logSummary(h router.Histogram) stats.Summary {
	var n int64
	var sum, sumSq float64
	for v, c := range h.Buckets() {
		x := math.Log(max(v.Seconds(), 1e-9))
		fc := float64(c)
		n += c
		sum += fc * x
		sumSq += fc * x * x
	}
	return summaryOf(n, 0, sum, sumSq)
}

// MetricSums are the cumulative sums of one user metric, taken about Shift
// (a value near the data) so that they keep their precision. The zero value
// is empty.
type MetricSums struct {
	N          int64
	Shift      float64
	Sum, SumSq float64 // of x-Shift and (x-Shift)^2
}

// Sub returns m minus prev (prev must have the same Shift or be empty).
func (m MetricSums) Sub(prev MetricSums) MetricSums {
	if prev.N == 0 {
		return m
	}
	return MetricSums{N: m.N - prev.N, Shift: m.Shift, Sum: m.Sum - prev.Sum, SumSq: m.SumSq - prev.SumSq}
}

// Summary returns the stats.Summary of the values.
func (m MetricSums) Summary() stats.Summary { return summaryOf(m.N, m.Shift, m.Sum, m.SumSq) }

func summaryOf(n int64, shift, sum, sumSq float64) stats.Summary {
	if n <= 0 {
		return stats.Summary{}
	}
	fn := float64(n)
	mean := sum / fn
	var v float64
	if n > 1 {
		v = math.Max(0, (sumSq-sum*mean)/(fn-1))
	}
	return stats.NewSummary(n, shift+mean, v)
}

// A Collector is the default Window: an observer that counts, per variant,
// the requests, failures and latencies a router reports (it implements
// router.Observer) and the metrics the application reports by hand
// (RecordMetric). Observe allocates nothing and takes no lock: atomic
// counters and an exponential latency histogram per variant (the router's
// layout, see router.Histogram). A Collector is safe for concurrent use;
// create one with NewCollector.
type Collector struct {
	plan     string
	variants []string
	acc      []variantAcc
}

type variantAcc struct {
	requests atomic.Int64
	errors   atomic.Int64
	latency  *hist.Histogram

	mu      sync.Mutex
	metrics map[string]*MetricSums
}

// NewCollector returns a Collector that counts the outcomes of the given
// variants decided by the plan named plan ("" counts every plan). Outcomes
// of units without a key (router.ReasonNoKey) are not counted: those units are not
// randomized between variants, so counting them would bias the comparison.
func NewCollector(plan string, variants ...string) *Collector {
	c := &Collector{
		plan:     plan,
		variants: append([]string(nil), variants...),
		acc:      make([]variantAcc, len(variants)),
	}
	for i := range c.acc {
		c.acc[i].latency = hist.New(hist.DefaultScale)
	}
	return c
}

func (c *Collector) index(variant string) int {
	for i, v := range c.variants {
		if v == variant {
			return i
		}
	}
	return -1
}

// Observe counts o for its assigned variant (router.Decision.Variant: intent to
// treat) when the plan and variant are the Collector's. A failure of the
// assigned variant counts as an error even when a fallback served. It
// allocates nothing.
func (c *Collector) Observe(_ context.Context, o router.Outcome) {
	if (c.plan != "" && o.Decision.Plan != c.plan) || o.Decision.Reason == router.ReasonNoKey {
		return
	}
	i := c.index(o.Decision.Variant)
	if i < 0 {
		return
	}
	a := &c.acc[i]
	a.latency.Add(o.Latency)
	if o.Failure != nil {
		a.errors.Add(1)
	}
	a.requests.Add(1)
}

// RecordMetric adds one value of the user metric name — such as a business
// outcome learnt after the response — for the variant that d assigned (intent
// to treat). It counts what Observe counts: decisions of the Collector's plan
// for its variants, with a unit key. NaN and infinite values are ignored. It
// takes a per-variant lock.
func (c *Collector) RecordMetric(d router.Decision, name string, value float64) {
	if (c.plan != "" && d.Plan != c.plan) || d.Reason == router.ReasonNoKey {
		return
	}
	i := c.index(d.Variant)
	if i < 0 || math.IsNaN(value) || math.IsInf(value, 0) {
		return
	}
	a := &c.acc[i]
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

// Snapshot returns the cumulative figures of variant, or an empty window
// for a variant the Collector does not count.
func (c *Collector) Snapshot(variant string) VariantWindow {
	i := c.index(variant)
	if i < 0 {
		return VariantWindow{}
	}
	a := &c.acc[i]
	w := VariantWindow{
		Requests: a.requests.Load(),
		Errors:   a.errors.Load(),
		Latency:  router.Histogram(a.latency.Snapshot()),
	}
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
