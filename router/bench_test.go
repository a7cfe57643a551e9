package router

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/strategy"
)

// benchKeys are distinct unit keys, so the benchmarks hash real variety.
var benchKeys = func() []string {
	ks := make([]string, 1024)
	for i := range ks {
		ks[i] = "user-" + strconv.Itoa(100000+i*7919)
	}
	return ks
}()

var benchLocations = []string{"california", "nevada", "oregon", "texas"}

type model struct{ w float64 }

func (m model) Predict(_ context.Context, x float64) (float64, error) { return m.w * x, nil }

func newBenchRouter(tb testing.TB, p strategy.Plan, names ...string) *Router[float64, float64] {
	vs := map[string]Predictor[float64, float64]{}
	for i, n := range names {
		vs[n] = model{w: float64(i + 1)}
	}
	r, err := New(Config[float64, float64]{Variants: vs, Plan: p})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// ruleAndCanary is one audience rule (location == california) and a
// 2-variant 10% canary for everyone else.
func ruleAndCanary() strategy.Plan {
	p := strategy.Canary("stable", "next", 10)
	p.Audiences = []audience.Audience{{Name: "ca", Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"}}}
	p.Rules = []strategy.Rule{{Audience: "ca", Split: strategy.Split{{Variant: "west", Weight: 100}}}}
	return p
}

// BenchmarkDecide measures a whole decision as a handler makes it: building
// the Unit with two attributes, one audience rule, a 2-variant split.
func BenchmarkDecide(b *testing.B) {
	r := newBenchRouter(b, ruleAndCanary(), "stable", "next", "west")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_ = r.Decide(Unit{Key: benchKeys[i&1023], Attrs: audience.Attributes{
			audience.String("location", benchLocations[i&3]),
			audience.Int("age", 30),
		}})
	}
}

// BenchmarkDecideCanary measures the decision of a 2-variant sticky canary
// (10%, no rules) for a unit with a key and no attributes.
func BenchmarkDecideCanary(b *testing.B) {
	r := newBenchRouter(b, strategy.Canary("stable", "next", 10), "stable", "next")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_ = r.Decide(Unit{Key: benchKeys[i&1023]})
	}
}

// BenchmarkDecide4Variants measures a 4-variant weighted split.
func BenchmarkDecide4Variants(b *testing.B) {
	r := newBenchRouter(b, strategy.ABTest("four", strategy.Split{
		{Variant: "a", Weight: 10}, {Variant: "b", Weight: 20}, {Variant: "c", Weight: 30}, {Variant: "d", Weight: 40},
	}), "a", "b", "c", "d")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_ = r.Decide(Unit{Key: benchKeys[i&1023], Attrs: audience.Attributes{audience.String("location", benchLocations[i&3])}})
	}
}

// BenchmarkPredictorDirect is the baseline: the predictor called directly.
func BenchmarkPredictorDirect(b *testing.B) {
	var p Predictor[float64, float64] = model{w: 2}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = p.Predict(ctx, 3)
	}
}

// predictOnce is one request as a handler makes it: the Unit and its two
// attributes built per request, then Predict.
func predictOnce(ctx context.Context, r *Router[float64, float64], i int) {
	_, _ = r.Predict(ctx, Unit{Key: benchKeys[i&1023], Attrs: audience.Attributes{
		audience.String("location", benchLocations[i&3]),
		audience.Int("age", 30),
	}}, 3)
}

// predictLoop calls Predict as a handler would, building the Unit with two
// attributes per request, and reports allocations.
func predictLoop(b *testing.B, r *Router[float64, float64]) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		predictOnce(ctx, r, i)
	}
}

// BenchmarkPredict measures Predict with the same plan as BenchmarkDecide;
// its overhead is the difference from BenchmarkPredictorDirect.
func BenchmarkPredict(b *testing.B) {
	r := newBenchRouter(b, ruleAndCanary(), "stable", "next", "west")
	predictLoop(b, r)
}

// BenchmarkPredictParallel runs Predict from GOMAXPROCS goroutines, each
// starting at its own place in the keys, as concurrent requests serve
// different units.
func BenchmarkPredictParallel(b *testing.B) {
	r := newBenchRouter(b, ruleAndCanary(), "stable", "next", "west")
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 257
		for pb.Next() {
			i++
			predictOnce(ctx, r, i)
		}
	})
}

// BenchmarkPredictShadow is BenchmarkPredict with one shadow at 100%: the
// difference is the cost of dispatching the mirrored call, including what
// the shadow worker allocates.
func BenchmarkPredictShadow(b *testing.B) {
	p := ruleAndCanary()
	p.Shadows = []strategy.Mirror{{Variant: "shadow", Percent: 100}}
	r := newBenchRouter(b, p, "stable", "next", "west", "shadow")
	predictLoop(b, r)
	b.StopTimer()
	_ = r.Close(context.Background())
	st := r.ShadowStats()
	b.ReportMetric(float64(st.Dropped)/float64(st.Submitted+st.Dropped), "dropped/op")
}

// BenchmarkShadowIsolation measures what a slow shadow does to the primary's
// latency: a ~1 ms primary with and without a ~200 ms shadow at 100%, under
// 16 concurrent callers, requests of both routers interleaved so machine
// noise hits both alike. It reports the p50 and p99 ratios (with / without);
// 1.0 means the user cannot tell the shadow exists.
func BenchmarkShadowIsolation(b *testing.B) {
	work := func(d time.Duration) Predictor[float64, float64] {
		return PredictorFunc[float64, float64](func(ctx context.Context, x float64) (float64, error) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return x, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	}
	vs := map[string]Predictor[float64, float64]{"live": work(time.Millisecond), "cand": work(200 * time.Millisecond)}
	plain, err := New(Config[float64, float64]{Variants: vs, Plan: strategy.BigBang("live")})
	if err != nil {
		b.Fatal(err)
	}
	mirrored, err := New(Config[float64, float64]{Variants: vs, Plan: strategy.Shadow("live", "cand")})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var with, without []time.Duration
	b.SetParallelism(8) // 16 callers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		var w, wo []time.Duration
		for pb.Next() {
			i++
			r := plain
			if i%2 == 0 {
				r = mirrored
			}
			start := time.Now()
			_, _ = r.Predict(context.Background(), Unit{Key: benchKeys[i&1023]}, 1)
			if d := time.Since(start); r == mirrored {
				w = append(w, d)
			} else {
				wo = append(wo, d)
			}
		}
		mu.Lock()
		with, without = append(with, w...), append(without, wo...)
		mu.Unlock()
	})
	b.StopTimer()
	_ = plain.Close(context.Background())
	_ = mirrored.Close(context.Background())
	if len(with) < 10 || len(without) < 10 {
		return
	}
	q := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))])
	}
	b.ReportMetric(q(with, 0.5)/q(without, 0.5), "p50-ratio")
	b.ReportMetric(q(with, 0.99)/q(without, 0.99), "p99-ratio")
	b.ReportMetric(q(with, 0.5)/1e6, "p50-ms")
	st := mirrored.ShadowStats()
	b.ReportMetric(float64(st.Dropped)/float64(max(1, st.Submitted+st.Dropped)), "shadow-dropped/op")
}

// BenchmarkPredictShadowPaced waits for each shadow call to be recorded
// before the next request, so no call is dropped: ns/op is a whole
// round trip (Predict, hand-off, the shadow call on a worker, comparison,
// aggregation) and allocs/op counts everything a mirrored request costs.
func BenchmarkPredictShadowPaced(b *testing.B) {
	p := ruleAndCanary()
	p.Shadows = []strategy.Mirror{{Variant: "shadow", Percent: 100}}
	done := make(chan struct{}, 1)
	sink := shadow.SinkFunc[float64](func(context.Context, shadow.Comparison, float64, float64) { done <- struct{}{} })
	vs := map[string]Predictor[float64, float64]{}
	for i, n := range []string{"stable", "next", "west", "shadow"} {
		vs[n] = model{w: float64(i + 1)}
	}
	r, err := New(Config[float64, float64]{Variants: vs, Plan: p, ShadowSinks: []shadow.Sink[float64]{sink}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_, _ = r.Predict(ctx, Unit{Key: benchKeys[i&1023], Attrs: audience.Attributes{
			audience.String("location", benchLocations[i&3]),
		}}, 3)
		<-done
	}
	b.StopTimer()
	_ = r.Close(context.Background())
	if st := r.ShadowStats(); st.Dropped != 0 {
		b.Fatalf("%d shadow calls dropped", st.Dropped)
	}
}

// BenchmarkPredictTelemetry is BenchmarkPredict with the OpenTelemetry SDK
// installed: metrics to a manual reader and a span per request from an
// always-sampling tracer. The difference is the telemetry overhead.
func BenchmarkPredictTelemetry(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	tp10 := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.TraceIDRatioBased(0.1)))
	for _, tc := range []struct {
		name string
		cfg  Config[float64, float64]
	}{
		{"metrics", Config[float64, float64]{MeterProvider: mp}},
		{"metrics+traces", Config[float64, float64]{MeterProvider: mp, TracerProvider: tp}},
		{"metrics+traces-10pct", Config[float64, float64]{MeterProvider: mp, TracerProvider: tp10}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := tc.cfg
			cfg.Plan = ruleAndCanary()
			cfg.Variants = map[string]Predictor[float64, float64]{"stable": model{1}, "next": model{2}, "west": model{3}}
			r, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close(context.Background())
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				_, _ = r.Predict(ctx, Unit{Key: benchKeys[i&1023], Attrs: audience.Attributes{
					audience.String("location", benchLocations[i&3]),
					audience.Int("age", 30),
				}}, 3)
			}
		})
	}
}

// BenchmarkPredictBreaker measures the closed state of a circuit breaker:
// every request goes to a variant with a fallback, without a breaker, with
// the default one (consecutive failures: a load before and after the call)
// and with a failure-rate trigger too (an atomic add per call and a clock
// read).
func BenchmarkPredictBreaker(b *testing.B) {
	for _, tc := range []struct {
		name string
		br   strategy.Breaker
	}{
		{"off", strategy.Breaker{Disabled: true}},
		{"consecutive", strategy.Breaker{}},
		{"rate", strategy.Breaker{FailureRate: 0.5}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := strategy.BigBang("next")
			p.Fallbacks = map[string]string{"next": "stable"}
			p.Breakers = map[string]strategy.Breaker{"next": tc.br}
			r := newBenchRouter(b, p, "stable", "next")
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				predictOnce(ctx, r, i)
			}
		})
	}
}
