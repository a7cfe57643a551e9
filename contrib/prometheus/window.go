package varprom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/varroute/varroute/rollout"
	"github.com/varroute/varroute/router"
)

// DefaultTargets is the selector of WindowOptions.Targets when it is empty:
// every target Prometheus scrapes.
const DefaultTargets = "up"

// DefaultQueryTimeout bounds a Window's Read when WindowOptions.Timeout is
// zero.
const DefaultQueryTimeout = 10 * time.Second

// WindowOptions configures a Window. API and ScrapeInterval are required;
// every other zero field has the default its comment gives.
type WindowOptions struct {
	// API is the Prometheus HTTP API the Window queries:
	// v1.NewAPI(client) of an api.NewClient. Required.
	API v1.API
	// Targets is a PromQL instant-vector selector of the "up" series of
	// the replicas, such as `up{job="model"}`: the targets Prometheus
	// scrapes the routers' Collectors from. Only series of these targets
	// count, and every one of them must be up and report the step's plan
	// revision (varroute_plan_info) before Read returns evidence. Empty
	// means DefaultTargets, every target: right only for a Prometheus that
	// scrapes nothing but the replicas.
	Targets string
	// Replicas is the number of targets expected: Read is not ready while
	// Targets selects fewer. Zero means at least one; negative is an
	// error.
	Replicas int
	// ScrapeInterval is how often Prometheus scrapes the targets. Read is
	// not ready until ScrapeInterval + Settle has passed since the step's
	// plan was applied (rollout.Query.Since). It must be positive.
	ScrapeInterval time.Duration
	// Settle is the time waited beyond ScrapeInterval: for the replicas to
	// pick the plan up and for Prometheus to ingest a scrape. Zero means
	// ScrapeInterval; negative is an error.
	Settle time.Duration
	// Namespace is the Collector's Options.Namespace (the prefix of the
	// metric names). Empty means none.
	Namespace string
	// Timeout bounds each Read (its queries together), within the ctx Read
	// gets. Zero means DefaultQueryTimeout; negative is an error.
	Timeout time.Duration
	// Now tells the time: the instant queries are evaluated at. Nil means
	// time.Now. Prometheus's clock and this one should agree (see Window).
	Now func() time.Time
}

// A Window is a rollout.Window that reads a step's evidence from Prometheus:
// the series of the varroute_request_duration_seconds native histograms
// (Collector) of every replica, cut by plan name and revision and summed
// over the replicas, so that one controller judges the traffic of a whole
// fleet.
//
// For the rollout.Query's Plan and Revision, Read sums, per variant, the
// requests of units with a key (reason "no-key" excluded: those units are not
// randomized, and would distort the sample ratio), the errors (outcome other
// than "ok": the assigned variant failed, whether a fallback served or not)
// and the latency histogram (every outcome). Since the revision label
// changes with every plan, traffic decided under an earlier step never
// counts, however late it is scraped. A series that already existed when the
// step began (the same plan revision applied again while a router still kept
// it) counts from its value at Query.Since; a series that went down in
// between (a replica restarted) counts whole. Units is 0: Prometheus cannot
// count distinct units. Metrics is nil: user metrics are not exported.
//
// Read returns an error matching rollout.ErrNotReady, with the reason, and
// no evidence:
//   - until ScrapeInterval + Settle has passed since Query.Since;
//   - while Targets selects no target, fewer than Replicas, a target that is
//     down, or one whose last scrape is older than 2*ScrapeInterval + Settle
//     (Prometheus has stopped scraping it, or has just restarted);
//   - while a target does not report varroute_plan_info for the plan and
//     revision (its replica has not applied the plan yet, or has not been
//     scraped since);
//   - when a query fails, times out (ctx, Timeout) or returns warnings (a
//     partial result), or returns a histogram it cannot read.
//
// The targets' readiness is queried before the histograms, at the same
// evaluation time, so the histograms read are at least as recent as the
// scrapes that proved every replica serves the revision. The controller's
// clock (Now) sets that time and Query.Since: if it runs ahead of
// Prometheus's, a re-applied revision's counts from before the step may
// leak in; if behind, a few requests of the step may be left out. Neither
// biases the split between variants.
//
// Read is safe for concurrent use. A Window holds no goroutine and needs no
// Close. Its zero value is not usable: create one with NewWindow.
type Window struct {
	api                v1.API
	targets            string
	replicas           int
	wait               time.Duration // since Query.Since
	fresh              time.Duration // the largest age of a target's last scrape
	timeout            time.Duration
	now                func() time.Time
	durationName, info string
}

// NewWindow returns a Window querying opts.API. It returns an error if API
// is nil, ScrapeInterval is not positive, or Replicas, Settle or Timeout is
// negative.
func NewWindow(opts WindowOptions) (*Window, error) {
	switch {
	case opts.API == nil:
		return nil, errors.New("varprom: window: nil API")
	case opts.ScrapeInterval <= 0:
		return nil, fmt.Errorf("varprom: window: scrape interval %v, want > 0", opts.ScrapeInterval)
	case opts.Replicas < 0 || opts.Settle < 0 || opts.Timeout < 0:
		return nil, fmt.Errorf("varprom: window: negative option (replicas %d, settle %v, timeout %v)", opts.Replicas, opts.Settle, opts.Timeout)
	}
	w := &Window{
		api:          opts.API,
		targets:      opts.Targets,
		replicas:     max(opts.Replicas, 1),
		wait:         opts.ScrapeInterval + opts.Settle,
		timeout:      opts.Timeout,
		now:          opts.Now,
		durationName: prometheus.BuildFQName(opts.Namespace, "varroute", "request_duration_seconds"),
		info:         prometheus.BuildFQName(opts.Namespace, "varroute", "plan_info"),
	}
	if w.targets == "" {
		w.targets = DefaultTargets
	}
	if opts.Settle == 0 {
		w.wait = 2 * opts.ScrapeInterval
	}
	w.fresh = w.wait + opts.ScrapeInterval
	if w.timeout == 0 {
		w.timeout = DefaultQueryTimeout
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// notReady returns an error matching rollout.ErrNotReady with the reason.
func notReady(format string, args ...any) error {
	return fmt.Errorf("varprom: "+format+": %w", append(args, rollout.ErrNotReady)...)
}

// Read returns the evidence of q's step summed over every target, or an
// error matching rollout.ErrNotReady that says why there is none yet (see
// Window).
func (w *Window) Read(ctx context.Context, q rollout.Query) (rollout.Evidence, error) {
	now := w.now()
	if !q.Since.IsZero() {
		if elapsed := now.Sub(q.Since); elapsed < w.wait {
			return rollout.Evidence{}, notReady("%v since the step began, waiting %v (scrape interval and settle time)", elapsed.Round(time.Millisecond), w.wait)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()

	// The targets, and whether each one serves the revision.
	up, err := w.query(ctx, w.targets, now)
	if err != nil {
		return rollout.Evidence{}, err
	}
	if len(up) < w.replicas {
		return rollout.Evidence{}, notReady("%s selects %d targets, want %d", w.targets, len(up), w.replicas)
	}
	var down, stale []string
	for _, s := range up {
		switch {
		case s.Value != 1:
			down = append(down, targetName(s.Metric))
		case now.Sub(s.Timestamp.Time()) > w.fresh:
			stale = append(stale, targetName(s.Metric))
		}
	}
	if len(down) > 0 {
		return rollout.Evidence{}, notReady("%d of %d targets down: %s", len(down), len(up), names(down))
	}
	if len(stale) > 0 {
		return rollout.Evidence{}, notReady("%d of %d targets not scraped for more than %v: %s", len(stale), len(up), w.fresh, names(stale))
	}
	infoSel := fmt.Sprintf("%s{plan=%s,revision=%s}", w.info, strconv.Quote(q.Plan), strconv.Quote(q.Revision))
	info, err := w.query(ctx, infoSel, now)
	if err != nil {
		return rollout.Evidence{}, err
	}
	var behind []string
	for _, s := range up {
		if !slices.ContainsFunc(info, func(i *model.Sample) bool { return i.Value == 1 && sameTarget(s.Metric, i.Metric) }) {
			behind = append(behind, targetName(s.Metric))
		}
	}
	if len(behind) > 0 {
		return rollout.Evidence{}, notReady("%d of %d targets do not report plan %q revision %s yet: %s", len(behind), len(up), q.Plan, q.Revision, names(behind))
	}

	// The histograms now, and when the step began.
	sel := fmt.Sprintf(`%s{plan=%s,revision=%s,reason!="no-key"}`, w.durationName, strconv.Quote(q.Plan), strconv.Quote(q.Revision))
	cur, err := w.query(ctx, sel, now)
	if err != nil {
		return rollout.Evidence{}, err
	}
	var before model.Vector
	if !q.Since.IsZero() && q.Since.Before(now) {
		if before, err = w.query(ctx, sel, q.Since); err != nil {
			return rollout.Evidence{}, err
		}
	}
	prev := make(map[model.Fingerprint]*model.SampleHistogram, len(before))
	for _, s := range before {
		if s.Histogram != nil {
			prev[s.Metric.Fingerprint()] = s.Histogram
		}
	}
	var ev rollout.Evidence
	for _, s := range cur {
		if !slices.ContainsFunc(up, func(t *model.Sample) bool { return sameTarget(t.Metric, s.Metric) }) {
			continue // a series of another job
		}
		var vw *rollout.VariantWindow
		switch string(s.Metric["variant"]) {
		case q.Baseline:
			vw = &ev.Baseline
		case q.Candidate:
			vw = &ev.Candidate
		default:
			continue
		}
		if s.Histogram == nil {
			return rollout.Evidence{}, notReady("%s is not a native histogram (scrape with --enable-feature=native-histograms)", s.Metric)
		}
		h, n, err := histogramOf(s.Histogram)
		if err != nil {
			return rollout.Evidence{}, notReady("series %s: %v", s.Metric, err)
		}
		if p := prev[s.Metric.Fingerprint()]; p != nil {
			ph, pn, err := histogramOf(p)
			if err != nil {
				return rollout.Evidence{}, notReady("series %s at the step's start: %v", s.Metric, err)
			}
			if d, ok := subtract(h, ph); ok && pn <= n {
				h, n = d, n-pn
			}
		}
		vw.Requests += n
		if s.Metric["outcome"] != router.OutcomeOK {
			vw.Errors += n
		}
		if vw.Latency.Counts == nil {
			vw.Latency = h
		} else {
			vw.Latency = vw.Latency.Merge(h)
		}
	}
	return ev, nil
}

// query evaluates an instant query at ts. Every failure, warnings included,
// is an error matching rollout.ErrNotReady.
func (w *Window) query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	val, warnings, err := w.api.Query(ctx, q, ts, v1.WithTimeout(w.timeout))
	if err != nil {
		return nil, fmt.Errorf("varprom: query %s: %w: %w", q, rollout.ErrNotReady, err)
	}
	if len(warnings) > 0 {
		return nil, notReady("query %s: partial result: %s", q, strings.Join(warnings, "; "))
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, notReady("query %s: got a %v, want a vector", q, val.Type())
	}
	return vec, nil
}

// sameTarget reports whether the series m belongs to the target whose up
// series is t: m carries every label of t (its target labels: job,
// instance and any added by relabelling) with the same value.
func sameTarget(t, m model.Metric) bool {
	for k, v := range t {
		if k != model.MetricNameLabel && m[k] != v {
			return false
		}
	}
	return true
}

// targetName names a target by its instance label, or by all its labels.
func targetName(m model.Metric) string {
	if in, ok := m[model.InstanceLabel]; ok {
		return string(in)
	}
	return m.String()
}

// names lists at most three names.
func names(s []string) string {
	slices.Sort(s)
	if len(s) > 3 {
		return strings.Join(s[:3], ", ") + fmt.Sprintf(" and %d more", len(s)-3)
	}
	return strings.Join(s, ", ")
}

// subtract returns h minus prev, and false if a bucket of prev exceeds
// h's (the series was reset in between: a replica restarted).
func subtract(h, prev router.Histogram) (router.Histogram, bool) {
	if prev.Scale != h.Scale || prev.Offset != h.Offset || len(prev.Counts) != len(h.Counts) ||
		prev.ZeroCount > h.ZeroCount || prev.Overflow > h.Overflow {
		return h, false
	}
	for i, c := range prev.Counts {
		if c > h.Counts[i] {
			return h, false
		}
	}
	return h.Sub(prev), true
}

// The range of the router's histograms (router.Histogram): buckets between
// 2^lowExp and 2^highExp seconds.
const (
	lowExp  = -20
	highExp = 6
)

// histogramOf converts a native histogram read from the query API into a
// router.Histogram, and returns its count. The buckets' boundaries are
// those of a native histogram of some schema s in [0, 8]: (2^((k-1)/2^s),
// 2^(k/2^s)], bucket k-1 of a router.Histogram at scale s, so the conversion
// is exact; the Collector exports scale 3. Buckets below the router's range
// (and the zero bucket) count in ZeroCount, above it in Overflow.
func histogramOf(sh *model.SampleHistogram) (router.Histogram, int64, error) {
	count := float64(sh.Count)
	if count < 0 || count != math.Trunc(count) || count > 1<<53 {
		return router.Histogram{}, 0, fmt.Errorf("count %v is not a whole number", count)
	}
	scale := -1
	for _, b := range sh.Buckets {
		lo, hi := float64(b.Lower), float64(b.Upper)
		if lo <= 0 || b.Count == 0 {
			continue
		}
		s := -math.Log2(math.Log2(hi / lo))
		scale = int(math.Round(s))
		if math.Abs(s-float64(scale)) > 1e-6 || scale < 0 || scale > 8 {
			return router.Histogram{}, 0, fmt.Errorf("bucket (%g, %g] is not exponential at a schema in [0, 8]", lo, hi)
		}
		break
	}
	if scale < 0 {
		scale = 3
	}
	h := router.Histogram{
		Scale:  scale,
		Offset: lowExp << scale,
		Counts: make([]int64, (highExp-lowExp)<<scale),
		Sum:    time.Duration(math.Round(float64(sh.Sum) * 1e9)),
	}
	var total float64
	for _, b := range sh.Buckets {
		c := float64(b.Count)
		if c < 0 || c != math.Trunc(c) {
			return router.Histogram{}, 0, fmt.Errorf("bucket count %v is not a whole number", c)
		}
		total += c
		n := int64(c)
		lo, hi := float64(b.Lower), float64(b.Upper)
		if lo <= 0 {
			h.ZeroCount += n // the zero bucket (or durations <= 0)
			continue
		}
		k := math.Log2(hi) * float64(int(1)<<scale)
		ki := math.Round(k)
		if math.Abs(k-ki) > 1e-6 {
			return router.Histogram{}, 0, fmt.Errorf("bucket (%g, %g] is not on the boundaries of schema %d", lo, hi, scale)
		}
		switch i := int(ki) - 1 - h.Offset; {
		case i < 0:
			h.ZeroCount += n
		case i >= len(h.Counts):
			h.Overflow += n
		default:
			h.Counts[i] += n
		}
	}
	if total != count {
		return router.Histogram{}, 0, fmt.Errorf("buckets sum to %v, count is %v", total, count)
	}
	return h, int64(count), nil
}
