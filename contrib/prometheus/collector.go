package varprom

import (
	"math"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/varroute/varroute/router"
)

// A Source is what a Collector reads: a *router.Router of any type
// parameters is one. ReadMetrics writes the source's aggregates into *m,
// reusing m's memory (see router.Router.ReadMetrics).
type Source interface {
	ReadMetrics(m *router.Metrics)
}

// Options configures a Collector. The zero value exports native histograms
// only, under the names listed in the package documentation.
type Options struct {
	// Namespace, if not empty, prefixes every metric name: Namespace +
	// "_varroute_...". Empty means no prefix.
	Namespace string
	// ClassicBuckets, if not empty, adds classic buckets with these upper
	// bounds (seconds, ascending) to the latency histograms, for servers
	// that do not scrape native histograms. Each bound is moved to the
	// nearest boundary of the router's exponential buckets (within 4.4%),
	// so that the cumulative counts are exact; the "le" label carries the
	// moved bound. Empty means native histograms only.
	ClassicBuckets []float64
}

// A Collector is a prometheus.Collector of the aggregates of one or more
// routers. It reads them at every scrape (Router.ReadMetrics) and records
// nothing on the request path. Series that several sources share — two
// routers serving the same plan in one process — are summed. It is safe for
// concurrent use.
type Collector struct {
	mu     sync.Mutex                     // held by Collect: the fields below are reused across scrapes
	bufs   []router.Metrics               // by source
	labels map[seriesKey][]*dto.LabelPair // label pairs by series, kept across scrapes

	sources     []Source
	duration    *prometheus.Desc
	fallbacks   *prometheus.Desc
	transitions *prometheus.Desc
	open        *prometheus.Desc
	planInfo    *prometheus.Desc
	classic     []float64 // bucket upper bounds, seconds, moved to exponential boundaries
}

var (
	requestLabels  = []string{"plan", "revision", "rule", "variant", "reason", "outcome"}
	fallbackLabels = []string{"plan", "revision", "variant", "served"}
)

// NewCollector returns a Collector of the given routers. Register it with a
// prometheus.Registerer.
func NewCollector(opts Options, sources ...Source) *Collector {
	name := func(n string) string { return prometheus.BuildFQName(opts.Namespace, "varroute", n) }
	c := &Collector{
		sources: slices.Clone(sources),
		duration: prometheus.NewDesc(name("request_duration_seconds"),
			"Requests routed and their latency from the decision to the response (fallbacks included), by plan, plan revision, rule (\"default\" for the default split), assigned variant, reason (rule, default, no-key) and outcome (ok, fallback, error, circuit-open). Its count is the number of requests.",
			requestLabels, nil),
		fallbacks: prometheus.NewDesc(name("fallbacks_total"),
			"Requests that a fallback served, by plan, plan revision, assigned variant and the variant that served.",
			fallbackLabels, nil),
		transitions: prometheus.NewDesc(name("breaker_transitions_total"),
			"Transitions of a variant's circuit breaker, by variant and the state entered (open, half-open, closed).",
			[]string{"variant", "state"}, nil),
		planInfo: prometheus.NewDesc(name("plan_info"),
			"1 for the plan (and revision) each router serves: a controller waits until every replica reports a new revision before it judges a step.",
			[]string{"plan", "revision"}, nil),
		open: prometheus.NewDesc(name("breaker_open"),
			"1 while a variant's circuit breaker is open or half-open, 0 while it is closed.",
			[]string{"variant"}, nil),
	}
	for _, b := range opts.ClassicBuckets {
		if b > 0 && !math.IsInf(b, 0) && !math.IsNaN(b) {
			c.classic = append(c.classic, snap(b))
		}
	}
	slices.Sort(c.classic)
	c.classic = slices.Compact(c.classic)
	return c
}

// snap moves a bound to the nearest boundary of a scale-3 exponential
// histogram: 2^(k/8).
func snap(b float64) float64 {
	return math.Exp2(math.Round(math.Log2(b)*8) / 8)
}

// Describe sends the descriptors of the Collector's metrics.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.duration
	ch <- c.fallbacks
	ch <- c.transitions
	ch <- c.open
	ch <- c.planInfo
}

// Collect reads every source's aggregates and sends them as metrics.
// Concurrent Collects take turns.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bufs == nil {
		c.bufs = make([]router.Metrics, len(c.sources))
	}
	for i, src := range c.sources {
		src.ReadMetrics(&c.bufs[i])
	}

	// The request series, summed over the sources that share one.
	var all []router.RequestMetrics
	if len(c.bufs) == 1 {
		all = c.bufs[0].Requests
	} else {
		at := map[seriesKey]int{}
		for _, m := range c.bufs {
			for _, rm := range m.Requests {
				k := keyOf(&rm)
				if i, ok := at[k]; ok {
					all[i].Latency = all[i].Latency.Merge(rm.Latency)
					continue
				}
				at[k] = len(all)
				all = append(all, rm)
			}
		}
	}
	// One allocation each for every series' metric, native histogram and
	// deltas: the registry keeps what Write gives it, so they are made anew
	// at every scrape.
	metrics := make([]histogram, len(all))
	stores := make([]dtoStore, len(all))
	n := 0
	for i := range all {
		stores[i].lo, stores[i].hi = nonEmpty(all[i].Latency)
		n += stores[i].hi - stores[i].lo
	}
	deltas := make([]int64, 0, n)
	for i := range all {
		rm := &all[i]
		deltas = stores[i].fill(rm.Latency, deltas, c.classic)
		metrics[i] = histogram{desc: c.duration, labels: c.labelPairs(rm), h: &stores[i].h}
		ch <- &metrics[i]
	}

	if len(c.bufs) == 1 {
		c.sendOthers(ch, c.bufs[0])
		return
	}
	plans := map[[2]string]bool{}
	for _, m := range c.bufs {
		if k := [2]string{m.Plan, m.Revision}; m.Plan != "" && !plans[k] {
			plans[k] = true
			ch <- prometheus.MustNewConstMetric(c.planInfo, prometheus.GaugeValue, 1, m.Plan, m.Revision)
		}
	}
	c.sendOthers(ch, mergeOthers(c.bufs))
}

// sendOthers sends the plan info, fallback and breaker metrics of m.
func (c *Collector) sendOthers(ch chan<- prometheus.Metric, m router.Metrics) {
	if m.Plan != "" {
		ch <- prometheus.MustNewConstMetric(c.planInfo, prometheus.GaugeValue, 1, m.Plan, m.Revision)
	}
	for _, f := range m.Fallbacks {
		ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(f.Count), f.Plan, f.Revision, f.Variant, f.Served)
	}
	for _, b := range m.Breakers {
		open := 0.0
		if b.State != router.BreakerClosed {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, open, b.Variant)
		for _, st := range []router.BreakerState{router.BreakerOpen, router.BreakerHalfOpen, router.BreakerClosed} {
			ch <- prometheus.MustNewConstMetric(c.transitions, prometheus.CounterValue, float64(b.Transitions[st]), b.Variant, string(st))
		}
	}
}

// mergeOthers returns the plan info, fallbacks and breakers of several
// sources: fallbacks summed by series, breakers by variant (see
// mergeBreaker). Its Plan is empty: Collect sends the info of every plan.
func mergeOthers(bufs []router.Metrics) router.Metrics {
	var out router.Metrics
	fbAt := map[[4]string]int{}
	brAt := map[string]int{}
	for _, m := range bufs {
		for _, f := range m.Fallbacks {
			k := [4]string{f.Plan, f.Revision, f.Variant, f.Served}
			if i, ok := fbAt[k]; ok {
				out.Fallbacks[i].Count += f.Count
				continue
			}
			fbAt[k] = len(out.Fallbacks)
			out.Fallbacks = append(out.Fallbacks, f)
		}
		for _, b := range m.Breakers {
			if i, ok := brAt[b.Variant]; ok {
				out.Breakers[i] = mergeBreaker(out.Breakers[i], b)
				continue
			}
			brAt[b.Variant] = len(out.Breakers)
			out.Breakers = append(out.Breakers, mergeBreaker(router.BreakerStatus{}, b))
		}
	}
	return out
}

// seriesKey names a request series: its label values.
type seriesKey struct{ plan, revision, rule, variant, reason, outcome string }

func keyOf(rm *router.RequestMetrics) seriesKey {
	rule := rm.Rule
	if rule == "" {
		rule = "default"
	}
	return seriesKey{rm.Plan, rm.Revision, rule, rm.Variant, string(rm.Reason), rm.Outcome}
}

// mergeBreaker sums the transitions of one variant's breakers in several
// routers; the merged state is open if any is.
func mergeBreaker(a, b router.BreakerStatus) router.BreakerStatus {
	out := b
	out.Transitions = map[router.BreakerState]int64{}
	for _, s := range []router.BreakerStatus{a, b} {
		for st, n := range s.Transitions {
			out.Transitions[st] += n
		}
	}
	if a.State != "" && a.State != router.BreakerClosed {
		out.State = a.State
	}
	return out
}

// labelPairs returns the label pairs of rm's series, made once. The cache
// keeps the series of revisions routers no longer export; it is cleared
// when it grows past a bound. c.mu must be held.
func (c *Collector) labelPairs(rm *router.RequestMetrics) []*dto.LabelPair {
	k := keyOf(rm)
	if lp, ok := c.labels[k]; ok {
		return lp
	}
	if c.labels == nil || len(c.labels) > 1<<14 {
		c.labels = make(map[seriesKey][]*dto.LabelPair)
	}
	lp := prometheus.MakeLabelPairs(c.duration, []string{k.plan, k.revision, k.rule, k.variant, k.reason, k.outcome})
	c.labels[k] = lp
	return lp
}

// dtoStore holds a native histogram and the values its pointer fields
// point to, so that a scrape allocates them all at once.
type dtoStore struct {
	h                  dto.Histogram
	count, zeroCount   uint64
	sum, zeroThreshold float64
	schema, spanOffset int32
	spanLength         uint32
	span               dto.BucketSpan
	spans              [1]*dto.BucketSpan
	lo, hi             int // the non-empty buckets (see nonEmpty)
}

// bucketOf returns bucket i of h's range, or the overflow bucket after it
// for i = len(h.Counts).
func bucketOf(h router.Histogram, i int) int64 {
	if i == len(h.Counts) {
		return h.Overflow
	}
	return h.Counts[i]
}

// nonEmpty returns the buckets [lo, hi) from the first to the last
// non-empty one (the overflow bucket after the range included, see
// bucketOf): the one span a native histogram of h has, empty buckets inside
// it counted as deltas of 0. lo == hi when all are empty.
func nonEmpty(h router.Histogram) (lo, hi int) {
	n := len(h.Counts)
	if h.Overflow != 0 {
		hi = n + 1
	} else {
		hi = n
		for hi > 0 && h.Counts[hi-1] == 0 {
			hi--
		}
	}
	for lo < hi && lo < n && h.Counts[lo] == 0 {
		lo++
	}
	return lo, hi
}

// fill makes st.h the Prometheus native histogram of h (and its classic
// buckets when classic is not empty): the same exponential buckets, numbered
// one higher (Prometheus's bucket i has upper bound base^i, OpenTelemetry's
// base^(i+1)). Durations above the router's range (64 s) are counted in the
// first bucket past it. st.lo and st.hi must be set (nonEmpty). The
// deltas are appended to deltas, which is returned.
func (st *dtoStore) fill(h router.Histogram, deltas []int64, classic []float64) []int64 {
	count := h.ZeroCount
	for i := st.lo; i < st.hi; i++ {
		count += bucketOf(h, i)
	}
	st.count = uint64(count)
	st.sum = h.Sum.Seconds()
	st.schema = int32(h.Scale)
	st.zeroThreshold = math.Exp2(math.Ldexp(float64(h.Offset), -h.Scale))
	st.zeroCount = uint64(h.ZeroCount)
	st.h.SampleCount = &st.count
	st.h.SampleSum = &st.sum
	st.h.Schema = &st.schema
	st.h.ZeroThreshold = &st.zeroThreshold
	st.h.ZeroCount = &st.zeroCount
	lo, hi := st.lo, st.hi
	if lo < hi || h.ZeroCount == 0 {
		// An empty native histogram needs a span (0, 0) to be told from a
		// classic one.
		st.spanOffset, st.spanLength = 0, 0
		if lo < hi {
			st.spanOffset, st.spanLength = int32(h.Offset+lo+1), uint32(hi-lo)
		}
		st.span.Offset, st.span.Length = &st.spanOffset, &st.spanLength
		st.spans[0] = &st.span
		st.h.PositiveSpan = st.spans[:]
	}
	if lo < hi {
		start := len(deltas)
		var prev int64
		for i := lo; i < hi; i++ {
			n := bucketOf(h, i)
			deltas = append(deltas, n-prev)
			prev = n
		}
		st.h.PositiveDelta = deltas[start:len(deltas):len(deltas)]
	}
	if len(classic) > 0 {
		cum := uint64(h.ZeroCount)
		i := 0
		for _, le := range classic {
			for ; i < len(h.Counts); i++ {
				upper := math.Exp2(math.Ldexp(float64(h.Offset+i+1), -h.Scale))
				if upper > le*(1+1e-9) {
					break
				}
				cum += uint64(h.Counts[i])
			}
			st.h.Bucket = append(st.h.Bucket, &dto.Bucket{UpperBound: proto.Float64(le), CumulativeCount: proto.Uint64(cum)})
		}
	}
	return deltas
}

// histogram is a constant native histogram metric.
type histogram struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	h      *dto.Histogram
}

func (m *histogram) Desc() *prometheus.Desc { return m.desc }

func (m *histogram) Write(out *dto.Metric) error {
	out.Label = m.labels
	out.Histogram = m.h
	return nil
}
