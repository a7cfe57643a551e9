package otelsdk_test

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

type model struct{ w float64 }

func (m model) Predict(_ context.Context, x float64) (float64, error) { return m.w * x, nil }

var keys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = fmt.Sprintf("user-%d", i)
	}
	return k
}()

var locations = []string{"california", "nevada", "texas", "oregon"}

// plan is the router benchmarks' plan: one audience rule and a 10% canary.
func plan() strategy.Plan {
	p := strategy.Canary("stable", "next", 10)
	p.Audiences = []audience.Audience{{Name: "ca", Conditions: audience.Condition{Key: "location", Op: audience.OpEquals, Value: "california"}}}
	p.Rules = []strategy.Rule{{Audience: "ca", Split: strategy.Split{{Variant: "west", Weight: 100}}}}
	return p
}

func newRouter(b *testing.B, mp metric.MeterProvider, tp trace.TracerProvider, latency bool) *router.Router[float64, float64] {
	r, err := router.New(router.Config[float64, float64]{
		Variants:         map[string]router.Predictor[float64, float64]{"stable": model{1}, "next": model{2}, "west": model{3}},
		Plan:             plan(),
		MeterProvider:    mp,
		TracerProvider:   tp,
		LatencyHistogram: latency,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func predict(ctx context.Context, r *router.Router[float64, float64], i int) {
	_, _ = r.Predict(ctx, router.Unit{Key: keys[i&1023], Attrs: audience.Attributes{
		audience.String("location", locations[i&3]),
		audience.Int("age", 30),
	}}, 3)
}

type setup struct {
	name    string
	mp      func() metric.MeterProvider
	tp      func() trace.TracerProvider
	latency bool
}

func setups() []setup {
	sdk := func() metric.MeterProvider {
		return sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	}
	noMP := func() metric.MeterProvider { return metricnoop.NewMeterProvider() }
	noTP := func() trace.TracerProvider { return tracenoop.NewTracerProvider() }
	return []setup{
		{"no-sdk", noMP, noTP, false},
		{"otel-sdk", sdk, noTP, false},
		{"otel-sdk+latency-histogram", sdk, noTP, true},
		{"otel-sdk+traces-10pct", sdk, func() trace.TracerProvider {
			return sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.TraceIDRatioBased(0.1)))
		}, false},
	}
}

// BenchmarkPredict is Predict with no SDK installed and with the
// OpenTelemetry metrics SDK (a ManualReader), on one goroutine.
func BenchmarkPredict(b *testing.B) {
	for _, s := range setups() {
		b.Run(s.name, func(b *testing.B) {
			r := newRouter(b, s.mp(), s.tp(), s.latency)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				predict(ctx, r, i)
			}
		})
	}
}

// BenchmarkPredictParallel is BenchmarkPredict from GOMAXPROCS goroutines.
func BenchmarkPredictParallel(b *testing.B) {
	for _, s := range setups()[:3] {
		b.Run(s.name, func(b *testing.B) {
			r := newRouter(b, s.mp(), s.tp(), s.latency)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					predict(ctx, r, i)
				}
			})
		})
	}
}

// BenchmarkCollect is one ManualReader.Collect of a router with 4
// variants and 3 rules, every (rule, variant) used.
func BenchmarkCollect(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	p := strategy.ABTest("collect", strategy.Even("a", "b", "c", "d"))
	for _, tier := range []string{"gold", "silver", "bronze"} {
		p.Audiences = append(p.Audiences, audience.Audience{Name: tier, Conditions: audience.Condition{Key: "tier", Op: audience.OpEquals, Value: tier}})
		p.Rules = append(p.Rules, strategy.Rule{Audience: tier, Split: strategy.Even("a", "b", "c", "d")})
	}
	r, err := router.New(router.Config[float64, float64]{
		Variants:      map[string]router.Predictor[float64, float64]{"a": model{1}, "b": model{2}, "c": model{3}, "d": model{4}},
		Plan:          p,
		MeterProvider: mp,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	ctx := context.Background()
	for i := range 10_000 {
		tier := []string{"gold", "silver", "bronze", "none"}[i%4]
		_, _ = r.Predict(ctx, router.Unit{Key: keys[i&1023], Attrs: audience.Attributes{audience.String("tier", tier)}}, 1)
	}
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for b.Loop() {
		if err := reader.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
}
