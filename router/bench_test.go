package router

import (
	"context"
	"strconv"
	"testing"

	"github.com/varroute/varroute/audience"
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

// BenchmarkPredict measures Predict with the same plan as BenchmarkDecide;
// its overhead is the difference from BenchmarkPredictorDirect.
func BenchmarkPredict(b *testing.B) {
	r := newBenchRouter(b, ruleAndCanary(), "stable", "next", "west")
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
}

// BenchmarkPredictParallel runs Predict from GOMAXPROCS goroutines.
func BenchmarkPredictParallel(b *testing.B) {
	r := newBenchRouter(b, ruleAndCanary(), "stable", "next", "west")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			_, _ = r.Predict(ctx, Unit{Key: benchKeys[i&1023], Attrs: audience.Attributes{
				audience.String("location", benchLocations[i&3]),
				audience.Int("age", 30),
			}}, 3)
		}
	})
}
