package rollout

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/stats"
)

// A Window is where a controller reads the evidence of a step: the requests
// of the baseline and the candidate decided under the step's plan revision.
//
// The default Window is the controller's own Collector, fed by this process's
// router. To judge the traffic of every replica, implement Window over metrics
// aggregated across replicas (a Prometheus-backed Window cuts them by plan
// revision and decision reason). Read must be safe for concurrent use. It
// returns the evidence accumulated since the revision began, so the figures of
// successive reads of one Query never decrease; any error (ErrNotReady, a
// failed or timed-out query, ctx's error) means "no decision yet": the
// controller makes none and reads again at its next Step. A Window never
// returns an empty sample for a read it could not make.
type Window interface {
	Read(ctx context.Context, q Query) (Evidence, error)
}

// WindowFunc adapts an ordinary function to a Window.
type WindowFunc func(ctx context.Context, q Query) (Evidence, error)

// Read calls f(ctx, q).
func (f WindowFunc) Read(ctx context.Context, q Query) (Evidence, error) { return f(ctx, q) }

// ErrNotReady is returned (or wrapped) by a Window whose evidence is not
// complete yet: a replica has not reported the revision yet, the scrape
// interval and settle time have not passed, a query failed or timed out. The
// controller makes no decision and reads again at its next Step; after
// RolloutConfig.MaxWait without evidence it halts.
var ErrNotReady = errors.New("rollout: evidence not ready")

// A Query asks a Window for the evidence of one step.
type Query struct {
	// Plan is the plan's name (router.Decision.Plan).
	Plan string
	// Revision is the router.Revision of the step's plan: only requests
	// decided under it count.
	Revision string
	// Since is when the controller applied the step's plan; a Window over a
	// time-series database bounds its range with it.
	Since time.Time
	// Baseline and Candidate are the two variants compared.
	Baseline  string
	Candidate string
}

// Evidence is what a Window read for a Query: the figures of the two
// variants, cumulative since the revision began. The zero value is empty.
type Evidence struct {
	Baseline, Candidate VariantWindow
}

// Sub returns the evidence accumulated between prev and e: e minus prev, for
// each variant (see VariantWindow.Sub).
func (e Evidence) Sub(prev Evidence) Evidence {
	return Evidence{Baseline: e.Baseline.Sub(prev.Baseline), Candidate: e.Candidate.Sub(prev.Candidate)}
}

// A VariantWindow holds one variant's cumulative figures under one plan
// revision. The zero value is an empty window.
type VariantWindow struct {
	// Requests counts the requests of units with a key (reason no-key
	// excluded) assigned to the variant.
	Requests int64
	// Errors counts those whose assigned variant failed (router.Outcome.Failure),
	// whether or not a fallback then served.
	Errors int64
	// Latency is the histogram of the requests' latencies, in the layout of
	// the router's own (router.Histogram: OpenTelemetry exponential and
	// Prometheus native histograms), so a Window across replicas can fill it
	// from native histograms and add replicas up with Merge.
	Latency router.Histogram
	// Metrics holds the user-reported metrics (RecordMetric) by name. Nil
	// means none.
	Metrics map[string]MetricSums
	// Units counts the distinct units seen, exactly or as a documented
	// estimate (see Collector). Zero means the Window cannot tell.
	Units int64

	// unitLevel is the Collector's sampling level: Units>>unitLevel units
	// were counted exactly, a sample of rate 2^-unitLevel (0 for a Window
	// whose Units are exact).
	unitLevel uint8
}

// Sub returns the figures accumulated between prev and w: w minus prev. The
// two must come from the same Window and revision (same metric shifts); a
// histogram or metric prev lacks is kept whole. Units becomes the units first
// seen after prev.
func (w VariantWindow) Sub(prev VariantWindow) VariantWindow {
	d := VariantWindow{
		Requests:  w.Requests - prev.Requests,
		Errors:    w.Errors - prev.Errors,
		Latency:   w.Latency.Sub(prev.Latency),
		Units:     w.Units - prev.Units,
		unitLevel: w.unitLevel,
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
