package router

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/strategy"
)

func telemetryRouter(t testing.TB) (*Router[string, string], *sdkmetric.ManualReader, *tracetest.SpanRecorder) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	p := canaryPlan()
	p.Fallbacks["west"] = "stable"
	p.Breakers = map[string]strategy.Breaker{"west": {Disabled: true}}
	p.Shadows = []strategy.Mirror{{Variant: "shadow", Percent: 100}}
	r, err := New(Config[string, string]{
		Variants: map[string]Predictor[string, string]{
			"stable": echo("stable"), "next": echo("next"), "shadow": echo("stable"),
			"west": failing(errors.New("west is down")),
		},
		Plan:           p,
		MeterProvider:  mp,
		TracerProvider: tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, reader, rec
}

func TestTelemetry(t *testing.T) {
	r, reader, rec := telemetryRouter(t)
	ctx := context.Background()
	const n = 200
	for i := range n {
		u := Unit{Key: "user-" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		if i%4 == 0 {
			u.Attrs = audience.Attributes{audience.String("location", "california")}
		}
		if _, err := r.Predict(ctx, u, "in"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	units := map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			t.Errorf("scope %q, want %q", sm.Scope.Name, scope)
		}
		for _, m := range sm.Metrics {
			units[m.Name] = m.Unit
			if m.Description == "" {
				t.Errorf("%s has no description", m.Name)
			}
			var sets []attribute.Set
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					sums[m.Name+"|"+attrString(dp.Attributes)] += dp.Value
					sums[m.Name] += dp.Value
					sets = append(sets, dp.Attributes)
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					if dp.Value > 0 {
						sums[m.Name]++
					}
					sets = append(sets, dp.Attributes)
				}
			}
			for _, s := range sets {
				for _, kv := range s.ToSlice() {
					if strings.Contains(kv.Value.String(), "user-") {
						t.Errorf("%s carries a unit key in attribute %s=%s", m.Name, kv.Key, kv.Value.String())
					}
				}
			}
		}
	}
	if sums["varroute.requests"] != n || sums["varroute.request.duration.sum"] == 0 {
		t.Errorf("requests %d, duration series %d, want %d and some", sums["varroute.requests"], sums["varroute.request.duration.sum"], n)
	}
	west := "varroute.requests|outcome=fallback,plan=canary/next,reason=rule,revision=" + Revision(r.Plan()) + ",rule=california,variant=west"
	if sums[west] != n/4 || sums["varroute.fallbacks"] != n/4 {
		t.Errorf("west fallbacks: requests %d, fallbacks %d, want %d each; sums %v",
			sums[west], sums["varroute.fallbacks"], n/4, sums)
	}
	if sums["varroute.shadow.comparisons"] == 0 {
		t.Errorf("no shadow comparisons recorded: %v", sums)
	}
	if units["varroute.request.duration.sum"] != "s" || units["varroute.requests"] != "{request}" {
		t.Errorf("units %v", units)
	}

	var predict, shadows int
	for _, s := range rec.Ended() {
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value
		}
		switch s.Name() {
		case "varroute.Predict":
			predict++
			if attrs["feature_flag.key"].AsString() != "canary/next" || attrs["feature_flag.provider.name"].AsString() != "varroute" ||
				attrs["feature_flag.result.variant"].AsString() == "" {
				t.Errorf("Predict span attributes %v", attrs)
			}
		case "varroute.shadow":
			shadows++
			if !attrs["varroute.shadow"].AsBool() || len(s.Links()) != 1 {
				t.Errorf("shadow span: attributes %v, links %d", attrs, len(s.Links()))
			}
		}
	}
	if predict != n || shadows == 0 {
		t.Errorf("%d Predict spans and %d shadow spans, want %d and some", predict, shadows, n)
	}
}

func attrString(s attribute.Set) string {
	var b strings.Builder
	for i, kv := range s.ToSlice() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(kv.Key) + "=" + kv.Value.String())
	}
	return b.String()
}

// TestNoSDKNoAllocs: with the default (no-op) global providers, no span is
// made, no synchronous instrument records, and Predict allocates nothing.
func TestNoSDKNoAllocs(t *testing.T) {
	r := newRouter(t, canaryPlan(), canaryVariants())
	if r.tel.tracing || r.tel.duration != nil {
		t.Fatal("tracing or the synchronous histogram is on without an SDK")
	}
	ctx := context.Background()
	u := Unit{Key: "user-1", Attrs: audience.Attributes{audience.String("location", "texas")}}
	if n := testing.AllocsPerRun(100, func() { _, _ = r.Predict(ctx, u, "in") }); n != 0 && !raceEnabled {
		t.Errorf("Predict without an SDK: %v allocs, want 0", n)
	}
}
