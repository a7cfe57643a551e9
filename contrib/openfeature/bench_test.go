package varfeature_test

import (
	"context"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/varroute/varroute/audience"
	varfeature "github.com/varroute/varroute/contrib/openfeature"
	"github.com/varroute/varroute/router"
)

// BenchmarkEvaluate decides one unit with three attributes under the
// ranker plan three ways, in one run: Router.Decide, the provider's
// StringEvaluation (what the SDK calls), and the OpenFeature client's
// StringValue (the SDK's own work included: contexts merged and
// flattened, hooks, details).
func BenchmarkEvaluate(b *testing.B) {
	p := newProvider(b, varfeature.Config{Flags: flagFiles(b, map[string]string{"ranker": rankerPlan})})
	client, err := register(b, p)
	if err != nil {
		b.Fatal(err)
	}
	r := decider(b, rankerPlan)
	ctx := context.Background()
	attrs := map[string]any{"country": "us", "age": 31, "beta": true}
	b.Run("decide", func(b *testing.B) {
		loop(b, func() {
			_ = r.Decide(router.Unit{Key: "user-1234567890", Attrs: audience.Attributes{
				audience.String("country", "us"), audience.Int("age", 31), audience.Bool("beta", true),
			}})
		})
	})
	flat := openfeature.FlattenedContext{openfeature.TargetingKey: "user-1234567890"}
	for k, v := range attrs {
		flat[k] = v
	}
	b.Run("provider", func(b *testing.B) {
		loop(b, func() {
			_ = p.StringEvaluation(ctx, "ranker", "v1", flat)
		})
	})
	ec := openfeature.NewEvaluationContext("user-1234567890", attrs)
	b.Run("client", func(b *testing.B) {
		loop(b, func() {
			_, _ = client.StringValue(ctx, "ranker", "v1", ec)
		})
	})
}

// TestEvaluationAllocs: the provider allocates only the flag metadata map
// of an evaluation (its values are converted once per plan), and the
// attributes live on the stack.
func TestEvaluationAllocs(t *testing.T) {
	p := newProvider(t, varfeature.Config{Flags: flagFiles(t, map[string]string{"ranker": rankerPlan})})
	if err := p.Init(openfeature.EvaluationContext{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Shutdown)
	ctx := context.Background()
	flat := openfeature.FlattenedContext{openfeature.TargetingKey: "user-1", "country": "fr", "age": 31, "beta": true} // rule eu
	n := testing.AllocsPerRun(100, func() { _ = p.StringEvaluation(ctx, "ranker", "v1", flat) })
	if n > 2 {
		t.Fatalf("StringEvaluation: %v allocs, want <= 2 (the flag metadata map)", n)
	}
}

// loop runs f b.N times with b.Loop and reports the CPU time per operation
// as "cpu-ns/op" (see cpuTime).
func loop(b *testing.B, f func()) {
	b.ReportAllocs()
	start, ok := cpuTime()
	for b.Loop() {
		f()
	}
	if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
