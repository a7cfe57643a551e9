package varprom

import (
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/varroute/varroute/router"
)

// A Source is what a Collector reads: a *router.Router of any type
// parameters has Metrics.
type Source interface {
	Metrics() router.Metrics
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
// routers. It reads them at every scrape (Router.Metrics) and records
// nothing on the request path. Series that several sources share — two
// routers serving the same plan in one process — are summed. It is safe for
// concurrent use.
type Collector struct {
	mu     sync.Mutex
	labels map[string][]*dto.LabelPair // label pairs by series key, kept across scrapes

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
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	hists := map[string]*series{}
	var order []string
	fbs := map[string]*fallback{}
	var fbOrder []string
	breakers := map[string]router.BreakerStatus{}
	var brOrder []string
	plans := map[[2]string]bool{}
	for _, src := range c.sources {
		m := src.Metrics()
		if k := [2]string{m.Plan, m.Revision}; m.Plan != "" && !plans[k] {
			plans[k] = true
			ch <- prometheus.MustNewConstMetric(c.planInfo, prometheus.GaugeValue, 1, m.Plan, m.Revision)
		}
		for _, b := range m.Breakers {
			if _, ok := breakers[b.Variant]; !ok {
				brOrder = append(brOrder, b.Variant)
			}
			breakers[b.Variant] = mergeBreaker(breakers[b.Variant], b)
		}
		for i := range m.Requests {
			rm := &m.Requests[i]
			rule := rm.Rule
			if rule == "" {
				rule = "default"
			}
			labels := []string{rm.Plan, rm.Revision, rule, rm.Variant, string(rm.Reason), rm.Outcome}
			k := strings.Join(labels, "\x00")
			s := hists[k]
			switch {
			case s == nil:
				hists[k] = &series{labels: labels, h: rm.Latency}
				order = append(order, k)
			default:
				s.h = s.h.Merge(rm.Latency)
			}
		}
		for _, f := range m.Fallbacks {
			labels := []string{f.Plan, f.Revision, f.Variant, f.Served}
			k := strings.Join(labels, "\x00")
			if fbs[k] == nil {
				fbs[k] = &fallback{labels: labels}
				fbOrder = append(fbOrder, k)
			}
			fbs[k].n += f.Count
		}
	}
	for _, k := range order {
		s := hists[k]
		ch <- &histogram{desc: c.duration, labels: c.labelPairs(k, s.labels), h: c.dto(s.h)}
	}
	for _, k := range fbOrder {
		f := fbs[k]
		ch <- prometheus.MustNewConstMetric(c.fallbacks, prometheus.CounterValue, float64(f.n), f.labels...)
	}
	for _, v := range brOrder {
		b := breakers[v]
		open := 0.0
		if b.State != router.BreakerClosed {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, open, v)
		for _, st := range []router.BreakerState{router.BreakerOpen, router.BreakerHalfOpen, router.BreakerClosed} {
			ch <- prometheus.MustNewConstMetric(c.transitions, prometheus.CounterValue, float64(b.Transitions[st]), v, string(st))
		}
	}
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

// labelPairs returns the label pairs of the series with key k, made once.
// The cache keeps the series of revisions routers no longer export; it is
// cleared when it grows past a bound.
func (c *Collector) labelPairs(k string, values []string) []*dto.LabelPair {
	c.mu.Lock()
	defer c.mu.Unlock()
	if lp, ok := c.labels[k]; ok {
		return lp
	}
	if c.labels == nil || len(c.labels) > 1<<14 {
		c.labels = make(map[string][]*dto.LabelPair)
	}
	lp := prometheus.MakeLabelPairs(c.duration, values)
	c.labels[k] = lp
	return lp
}

type series struct {
	labels []string
	h      router.Histogram
}

type fallback struct {
	labels []string
	n      int64
}

// dto converts a router histogram to a Prometheus native histogram (and
// classic buckets when asked): the same exponential buckets, numbered one
// higher (Prometheus's bucket i has upper bound base^i, OpenTelemetry's
// base^(i+1)). Durations above the router's range (64 s) are counted in the
// first bucket past it.
func (c *Collector) dto(h router.Histogram) *dto.Histogram {
	count := uint64(h.Count())
	sum := h.Sum.Seconds()
	schema := int32(h.Scale)
	zeroThreshold := math.Exp2(math.Ldexp(float64(h.Offset), -h.Scale))
	out := &dto.Histogram{
		SampleCount:   &count,
		SampleSum:     &sum,
		Schema:        &schema,
		ZeroThreshold: &zeroThreshold,
		ZeroCount:     proto.Uint64(uint64(h.ZeroCount)),
	}
	// One span from the first to the last non-empty bucket (the overflow
	// bucket after the range included); empty buckets inside it are deltas.
	bucket := func(i int) int64 { // bucket i of the range, the overflow bucket after it
		if i == len(h.Counts) {
			return h.Overflow
		}
		return h.Counts[i]
	}
	lo, hi := 0, len(h.Counts)+1
	for lo < hi && bucket(lo) == 0 {
		lo++
	}
	for hi > lo && bucket(hi-1) == 0 {
		hi--
	}
	if lo < hi {
		out.PositiveSpan = []*dto.BucketSpan{{Offset: proto.Int32(int32(h.Offset + lo + 1)), Length: proto.Uint32(uint32(hi - lo))}}
		out.PositiveDelta = make([]int64, hi-lo)
		var prev int64
		for k := range hi - lo {
			n := bucket(lo + k)
			out.PositiveDelta[k] = n - prev
			prev = n
		}
	} else if h.ZeroCount == 0 {
		// An empty native histogram needs a span to be told from a classic one.
		out.PositiveSpan = []*dto.BucketSpan{{Offset: proto.Int32(0), Length: proto.Uint32(0)}}
	}
	if len(c.classic) > 0 {
		cum := uint64(h.ZeroCount)
		i := 0
		for _, le := range c.classic {
			for ; i < len(h.Counts); i++ {
				upper := math.Exp2(math.Ldexp(float64(h.Offset+i+1), -h.Scale))
				if upper > le*(1+1e-9) {
					break
				}
				cum += uint64(h.Counts[i])
			}
			out.Bucket = append(out.Bucket, &dto.Bucket{UpperBound: proto.Float64(le), CumulativeCount: proto.Uint64(cum)})
		}
	}
	return out
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
