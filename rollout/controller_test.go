package rollout

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTargets(t *testing.T) {
	errDown := errors.New("down")
	cases := []struct {
		name    string
		fail    []bool
		wantErr bool
	}{
		{"all accept", []bool{false, false}, false},
		{"one refuses, the other still gets the plan", []bool{true, false}, true},
		{"empty", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make([]string, len(c.fail))
			var ts strategy.Targets
			for i, f := range c.fail {
				ts = append(ts, strategy.TargetFunc(func(p strategy.Plan) error {
					if f {
						return errDown
					}
					got[i] = p.Name
					return nil
				}))
			}
			err := ts.SetPlan(strategy.Canary("v1", "v2", 5))
			if (err != nil) != c.wantErr || (err != nil && !errors.Is(err, errDown)) {
				t.Fatalf("SetPlan = %v, want error %v", err, c.wantErr)
			}
			for i, f := range c.fail {
				if !f && got[i] != "canary/v2" {
					t.Fatalf("target %d got %q", i, got[i])
				}
			}
		})
	}
}

func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var n atomic.Int32
		errStep := errors.New("step")
		var errs atomic.Int32
		done := make(chan error)
		go func() {
			done <- Run(ctx, time.Second, StepperFunc(func(context.Context) error { n.Add(1); return errStep }), func(error) { errs.Add(1) })
		}()
		time.Sleep(3500 * time.Millisecond) // fake time inside the bubble
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		if n.Load() != 3 || errs.Load() != 3 {
			t.Fatalf("%d steps and %d errors, want 3 and 3", n.Load(), errs.Load())
		}
	})
}

// TestCollectorLatency checks the Collector's latency histogram: the
// router's layout, every latency counted, quantiles within the layout's
// 4.33%, and the log summary the guardrails compare.
func TestCollectorLatency(t *testing.T) {
	c := NewCollector("", "a")
	var logSum float64
	var n int
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * 37 * time.Microsecond
		c.Observe(context.Background(), router.Outcome{Decision: router.Decision{Variant: "a"}, Latency: d})
		logSum += math.Log(d.Seconds())
		n++
	}
	c.Observe(context.Background(), router.Outcome{Decision: router.Decision{Variant: "a"}, Latency: 0})
	c.Observe(context.Background(), router.Outcome{Decision: router.Decision{Variant: "a"}, Latency: time.Hour})
	h := snapshot(c, "p", "", "a").Latency
	if h.Scale != 3 || h.Count() != 1002 || h.ZeroCount != 1 || h.Overflow != 1 {
		t.Fatalf("scale %d, count %d, zero %d, overflow %d", h.Scale, h.Count(), h.ZeroCount, h.Overflow)
	}
	for _, tc := range []struct {
		name string
		q    float64
		want time.Duration
	}{
		{"p50", 0.5, 500 * 37 * time.Microsecond},
		{"p90", 0.9, 901 * 37 * time.Microsecond},
		{"p99", 0.99, 991 * 37 * time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.Quantile(tc.q); math.Abs(float64(got-tc.want)) > 0.0433*float64(tc.want) {
				t.Errorf("Quantile(%v) = %v, want %v within 4.33%%", tc.q, got, tc.want)
			}
		})
	}
	// Without the zero and overflow values, the mean log latency is within
	// ln(1.0433) of the exact one.
	inRange := logMoments(router.Histogram{Scale: h.Scale, Offset: h.Offset, Counts: h.Counts})
	if got, want := inRange.y/inRange.w, logSum/float64(n); inRange.w != 1000 || math.Abs(got-want) > math.Log(1.0433) {
		t.Errorf("log moments n %v mean %v, want 1000 and %v", inRange.w, got, want)
	}
}

// snapshot reads variant's figures under plan revision rev of plan from c.
func snapshot(c *Collector, plan, rev, variant string) VariantWindow {
	ev, err := c.Read(context.Background(), Query{Plan: plan, Revision: rev, Baseline: variant})
	if err != nil {
		panic(err)
	}
	return ev.Baseline
}

func TestCollector(t *testing.T) {
	c := NewCollector("p", "a", "b")
	ctx := context.Background()
	out := func(plan, v string, fail bool, lat time.Duration, reason router.Reason) router.Outcome {
		o := router.Outcome{Decision: router.Decision{Plan: plan, Variant: v, Reason: reason}, Latency: lat}
		if fail {
			o.Failure = errors.New("x")
		}
		return o
	}
	for i := range 100 {
		c.Observe(ctx, out("p", "a", i%10 == 0, time.Duration(i+1)*time.Millisecond, router.ReasonDefault))
	}
	before := snapshot(c, "p", "", "a")
	c.Observe(ctx, out("p", "b", true, time.Millisecond, router.ReasonDefault))
	c.Observe(ctx, out("other", "b", true, time.Millisecond, router.ReasonDefault))
	c.Observe(ctx, out("p", "b", true, time.Millisecond, router.ReasonNoKey))
	c.Observe(ctx, out("p", "c", true, time.Millisecond, router.ReasonDefault))
	c.RecordMetric(router.Decision{Plan: "p", Variant: "a"}, "m", 10)
	c.RecordMetric(router.Decision{Plan: "p", Variant: "a"}, "m", 12)
	c.Observe(ctx, out("p", "a", false, time.Second, router.ReasonRule))

	a, b := snapshot(c, "p", "", "a"), snapshot(c, "p", "", "b")
	if a.Requests != 101 || a.Errors != 10 || b.Requests != 1 || b.Errors != 1 {
		t.Fatalf("a %d/%d, b %d/%d", a.Errors, a.Requests, b.Errors, b.Requests)
	}
	if p50 := before.Latency.Quantile(0.5); p50 < 47*time.Millisecond || p50 > 53*time.Millisecond {
		t.Fatalf("p50 %v, want about 50ms", p50)
	}
	d := a.Sub(before)
	if d.Requests != 1 || d.Latency.Count() != 1 || d.Latency.Quantile(0.5) < 900*time.Millisecond {
		t.Fatalf("delta %d requests, %d latencies, p50 %v", d.Requests, d.Latency.Count(), d.Latency.Quantile(0.5))
	}
	if s := d.Metrics["m"].Summary(); s.N() != 2 || s.Mean() != 11 || s.Variance() != 2 {
		t.Fatalf("metric summary n=%d mean=%v var=%v", s.N(), s.Mean(), s.Variance())
	}
	if w := snapshot(c, "p", "", "zzz"); w.Requests != 0 {
		t.Fatal("unknown variant counted")
	}
}

func TestCollectorConcurrent(t *testing.T) {
	c := NewCollector("", "a")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c.Observe(context.Background(), router.Outcome{Decision: router.Decision{Variant: "a"}, Latency: time.Duration(i)})
				if i%100 == 0 {
					c.RecordMetric(router.Decision{Plan: "p", Variant: "a"}, "m", float64(i))
					_ = snapshot(c, "p", "", "a")
				}
			}
		})
	}
	wg.Wait()
	if w := snapshot(c, "p", "", "a"); w.Requests != 8000 || w.Latency.Count() != 8000 || w.Metrics["m"].N != 80 {
		t.Fatalf("%d requests, %d latencies, %d metric values", w.Requests, w.Latency.Count(), w.Metrics["m"].N)
	}
}

func newBenchCollector() (*Collector, router.Outcome) {
	c := NewCollector("canary/v2", "v1", "v2")
	d := router.Decision{Plan: "canary/v2", Revision: router.Revision(strategy.Canary("v1", "v2", 5)), Variant: "v2", Reason: router.ReasonDefault}
	return c, router.Outcome{Decision: d, Served: "v2", Latency: 12 * time.Millisecond, UnitHash: 0x9e3779b97f4a7c15}
}

// benchUnits are unit hashes for the benchmarks: 1M units, so that the
// unit sketch grows and samples as it would in production.
var benchUnits = func() []uint64 {
	hs := make([]uint64, 1<<20)
	for i := range hs {
		hs[i] = mix64(uint64(i) + 1)
	}
	return hs
}()

func TestObserveAllocs(t *testing.T) {
	c, o := newBenchCollector()
	ro, err := NewRollout(RolloutConfig{Target: strategy.Targets{}, Baseline: "v1", Candidate: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	o.Failure = errors.New("x")
	o.Decision.Revision = router.Revision(strategy.Canary("v1", "v2", 1))
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		o.UnitHash = benchUnits[i]
		i++
		c.Observe(ctx, o)
		ro.Observe(ctx, o)
	}); n != 0 {
		t.Fatalf("Observe: %v allocs, want 0", n)
	}
}

// BenchmarkObserve observes requests of a million units: counters,
// histogram and the unit sketch.
func BenchmarkObserve(b *testing.B) {
	c, o := newBenchCollector()
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o.UnitHash = benchUnits[i&(len(benchUnits)-1)]
		i++
		c.Observe(ctx, o)
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	c, o := newBenchCollector()
	ctx := b.Context()
	b.ReportAllocs()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		o := o
		i := int(next.Add(1) << 18)
		for pb.Next() {
			o.UnitHash = benchUnits[i&(len(benchUnits)-1)]
			i++
			c.Observe(ctx, o)
		}
	})
}

// BenchmarkRolloutStep measures a Step of a rollout that holds its first
// step with 64 buckets of evidence: the read, the buckets, the pooled bounds
// and the unit split.
func BenchmarkRolloutStep(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ro, err := NewRollout(RolloutConfig{Target: strategy.Targets{}, Baseline: "v1", Candidate: "v2", Now: func() time.Time { return now },
		MinDuration: 1000 * time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	_ = ro.Step(ctx)
	_, o := newBenchCollector()
	o.Decision.Revision = router.Revision(strategy.Canary("v1", "v2", 1))
	u := 0
	for range 64 * 5 { // 64 buckets of 5 minutes, 1,000 requests a minute
		for i := range 1000 {
			o.Decision.Variant = "v1"
			if i%100 == 0 {
				o.Decision.Variant = "v2"
			}
			o.UnitHash = benchUnits[u&(len(benchUnits)-1)]
			u++
			ro.Observe(ctx, o)
		}
		now = now.Add(time.Minute)
		_ = ro.Step(ctx)
	}
	if st := ro.Status(); st.State != StateRunning || !st.Figures.Checks[0].Ready {
		b.Fatalf("%v, checks %+v", st.State, st.Figures.Checks)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = ro.Step(ctx)
	}
}
