package router_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

func constantP(out string) router.Predictor[string, string] {
	return router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return out, nil })
}

func failingP() router.Predictor[string, string] {
	return router.PredictorFunc[string, string](func(context.Context, string) (string, error) { return "", errors.New("down") })
}

// series names one request series the way the OpenTelemetry export does.
func series(plan, revision, rule, variant string, reason router.Reason, outcome string) string {
	if rule == "" {
		rule = "default"
	}
	return fmt.Sprintf("plan=%s revision=%s rule=%s variant=%s reason=%s outcome=%s", plan, revision, rule, variant, reason, outcome)
}

// TestMetricsExact drives requests whose outcomes are known — successes,
// fallbacks, errors, units with and without a key, under two plan revisions
// — and checks that Metrics and the OpenTelemetry export count exactly what
// happened, and carry no unit key.
func TestMetricsExact(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	plan := strategy.ABTest("exact", strategy.Split{{Variant: "ok", Weight: 50}, {Variant: "fb", Weight: 30}, {Variant: "bad", Weight: 20}})
	plan.Audiences = []audience.Audience{{Name: "vip", Conditions: audience.Condition{Key: "tier", Op: audience.OpEquals, Value: "vip"}}}
	plan.Rules = []strategy.Rule{{Audience: "vip", Split: strategy.Split{{Variant: "fb", Weight: 100}}}}
	plan.Fallbacks = map[string]string{"fb": "ok"}
	plan.Breakers = map[string]strategy.Breaker{"fb": {Disabled: true}} // every call of fb fails, and is made
	r, err := router.New(router.Config[string, string]{
		Variants:      map[string]router.Predictor[string, string]{"ok": constantP("ok"), "fb": failingP(), "bad": failingP()},
		Plan:          plan,
		MeterProvider: mp,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())

	want := map[string]int64{}
	wantFallbacks := map[string]int64{}
	rng := rand.New(rand.NewPCG(7, 11))
	ctx := context.Background()
	send := func(n int) {
		rev := router.Revision(r.Plan())
		for range n {
			u := router.Unit{Key: fmt.Sprintf("k%016x", rng.Uint64())}
			switch rng.IntN(10) {
			case 0:
				u.Key = "" // no key
			case 1, 2:
				u.Attrs = audience.Attributes{audience.String("tier", "vip")}
			}
			d := r.Decide(u)
			outcome := router.OutcomeOK
			switch d.Variant {
			case "fb":
				outcome = router.OutcomeFallback
				wantFallbacks[rev+" fb->ok"]++
			case "bad":
				outcome = router.OutcomeError
			}
			want[series(d.Plan, rev, d.Rule, d.Variant, d.Reason, outcome)]++
			_, _ = r.Predict(ctx, u, "in")
		}
	}
	send(3000)
	plan.Default = strategy.Split{{Variant: "ok", Weight: 10}, {Variant: "fb", Weight: 10}, {Variant: "bad", Weight: 80}}
	if err := r.SetPlan(plan); err != nil {
		t.Fatal(err)
	}
	send(2000)

	// Metrics.
	got := map[string]int64{}
	for _, m := range r.Metrics().Requests {
		got[series(m.Plan, m.Revision, m.Rule, m.Variant, m.Reason, m.Outcome)] += m.Latency.Count()
	}
	if !mapsEqual(got, want) {
		t.Errorf("Metrics().Requests:\n got %v\nwant %v", got, want)
	}
	gotFB := map[string]int64{}
	for _, f := range r.Metrics().Fallbacks {
		gotFB[f.Revision+" "+f.Variant+"->"+f.Served] += f.Count
	}
	if !mapsEqual(gotFB, wantFallbacks) {
		t.Errorf("Metrics().Fallbacks: got %v, want %v", gotFB, wantFallbacks)
	}
	if len(want) < 10 {
		t.Fatalf("only %d series: the test does not cover rules, reasons and outcomes", len(want))
	}

	// The OpenTelemetry export.
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	otelReq := map[string]int64{}
	otelFB := map[string]int64{}
	var durSeries int
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: monotonic %v, temporality %v; want a cumulative counter", m.Name, d.IsMonotonic, d.Temporality)
				}
				for _, dp := range d.DataPoints {
					checkNoKey(t, m.Name, dp.Attributes)
					a := attrMap(dp.Attributes)
					switch m.Name {
					case "varroute.requests":
						otelReq[series(a["plan"], a["revision"], a["rule"], a["variant"], router.Reason(a["reason"]), a["outcome"])] += dp.Value
					case "varroute.fallbacks":
						otelFB[a["revision"]+" "+a["variant"]+"->"+a["served"]] += dp.Value
					}
				}
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					checkNoKey(t, m.Name, dp.Attributes)
					durSeries++
					if dp.Value < 0 || math.IsNaN(dp.Value) {
						t.Errorf("%s = %v", m.Name, dp.Value)
					}
				}
			}
		}
	}
	if !mapsEqual(otelReq, want) {
		t.Errorf("OpenTelemetry varroute.requests:\n got %v\nwant %v", otelReq, want)
	}
	if !mapsEqual(otelFB, wantFallbacks) {
		t.Errorf("OpenTelemetry varroute.fallbacks: got %v, want %v", otelFB, wantFallbacks)
	}
	if durSeries != len(want) {
		t.Errorf("%d duration series, want one per request series (%d)", durSeries, len(want))
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func attrMap(s attribute.Set) map[string]string {
	m := map[string]string{}
	for _, kv := range s.ToSlice() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func checkNoKey(t *testing.T, name string, s attribute.Set) {
	t.Helper()
	for _, kv := range s.ToSlice() {
		if strings.HasPrefix(kv.Value.Emit(), "k") && len(kv.Value.Emit()) == 17 {
			t.Errorf("%s carries a unit key: %s=%s", name, kv.Key, kv.Value.Emit())
		}
	}
}

// TestMetricsLatencyShift serves two variants whose latencies differ by 10%
// (lognormal, σ = 0.5) on a fake clock, and checks that the quantiles read
// from the exported histograms are within the stated relative error (4.33%)
// of the true ones, so the shift is told apart.
func TestMetricsLatencyShift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 5))
		var truth = map[string][]time.Duration{}
		sleepy := func(name string, scale float64) router.Predictor[string, string] {
			return router.PredictorFunc[string, string](func(context.Context, string) (string, error) {
				d := time.Duration(scale * float64(2*time.Millisecond) * math.Exp(0.5*rng.NormFloat64()))
				truth[name] = append(truth[name], d)
				time.Sleep(d)
				return name, nil
			})
		}
		r, err := router.New(router.Config[string, string]{
			Variants: map[string]router.Predictor[string, string]{"base": sleepy("base", 1), "slow": sleepy("slow", 1.1)},
			Plan:     strategy.ABTest("shift", strategy.Even("base", "slow")),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close(context.Background())
		for i := range 20_000 {
			_, _ = r.Predict(context.Background(), router.Unit{Key: fmt.Sprint("u", i)}, "x")
		}
		hs := map[string]router.Histogram{}
		for _, m := range r.Metrics().Requests {
			hs[m.Variant] = hs[m.Variant].Merge(m.Latency)
		}
		const relErr = 0.0433
		for _, q := range []float64{0.5, 0.9, 0.99} {
			for v, h := range hs {
				xs := slices.Clone(truth[v])
				slices.Sort(xs)
				exact := xs[int(math.Ceil(q*float64(len(xs))))-1]
				est := h.Quantile(q)
				if e := math.Abs(float64(est-exact)) / float64(exact); e > relErr {
					t.Errorf("%s p%g: estimate %v, exact %v: relative error %.4f > %.4f", v, 100*q, est, exact, e, relErr)
				}
			}
			ratio := float64(hs["slow"].Quantile(q)) / float64(hs["base"].Quantile(q))
			t.Logf("p%g ratio slow/base = %.3f (true 1.1)", 100*q, ratio)
			if ratio < 1.1*(1-relErr)/(1+relErr) || ratio > 1.1*(1+relErr)/(1-relErr) {
				t.Errorf("p%g ratio %.3f outside the bounds the error allows around 1.1", 100*q, ratio)
			}
		}
		if n := hs["base"].Count() + hs["slow"].Count(); n != 20_000 {
			t.Errorf("histograms count %d requests, want 20000", n)
		}
	})
}

// TestReadMetrics checks that ReadMetrics writes what Metrics returns, into
// the memory of the Metrics it is given: once warm, a read allocates only
// the list of kept revisions and what Breakers allocates.
func TestReadMetrics(t *testing.T) {
	plan := strategy.Canary("stable", "next", 30)
	plan.Fallbacks = map[string]string{"next": "stable"}
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"stable": constantP("s"), "next": failingP()},
		Plan:     plan,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 2000 {
		_, _ = r.Predict(ctx, router.Unit{Key: fmt.Sprintf("k%016x", rng.Uint64())}, "x")
		if i == 1000 {
			if err := r.SetPlan(strategy.Canary("stable", "next", 60)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var m router.Metrics
	r.ReadMetrics(&m)
	// Dirty the buffers: a read must overwrite every count.
	for i := range m.Requests {
		for j := range m.Requests[i].Latency.Counts {
			m.Requests[i].Latency.Counts[j] = -1
		}
	}
	r.ReadMetrics(&m)
	want := r.Metrics()
	if len(m.Requests) == 0 || len(m.Fallbacks) == 0 {
		t.Fatalf("ReadMetrics: %d request series, %d fallback series; want some of each", len(m.Requests), len(m.Fallbacks))
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Fatalf("ReadMetrics:\n%+v\nMetrics:\n%+v", m, want)
	}
	breakers := testing.AllocsPerRun(100, func() { _ = r.Breakers() })
	if n := testing.AllocsPerRun(100, func() { r.ReadMetrics(&m) }); n > 1+breakers {
		t.Errorf("a warm ReadMetrics allocates %v times, want at most 1 + %v (Breakers)", n, breakers)
	}
}
