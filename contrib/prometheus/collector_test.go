package varprom_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/varroute/varroute/audience"
	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func predictor(fail bool) router.Predictor[string, string] {
	return router.PredictorFunc[string, string](func(context.Context, string) (string, error) {
		if fail {
			return "", errors.New("down")
		}
		return "ok", nil
	})
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestGatherExact drives requests with known outcomes under two plan
// revisions and checks the gathered series count exactly what happened.
func TestGatherExact(t *testing.T) {
	plan := strategy.ABTest("exact", strategy.Split{{Variant: "ok", Weight: 50}, {Variant: "fb", Weight: 30}, {Variant: "bad", Weight: 20}})
	plan.Audiences = []audience.Audience{{Name: "vip", Conditions: audience.Condition{Key: "tier", Op: audience.OpEquals, Value: "vip"}}}
	plan.Rules = []strategy.Rule{{Audience: "vip", Split: strategy.Split{{Variant: "fb", Weight: 100}}}}
	plan.Fallbacks = map[string]string{"fb": "ok"}
	plan.Breakers = map[string]strategy.Breaker{"fb": {Disabled: true}} // every call of fb fails, and is made
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"ok": predictor(false), "fb": predictor(true), "bad": predictor(true)},
		Plan:     plan,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(varprom.NewCollector(varprom.Options{ClassicBuckets: []float64{0.001, 0.01, 0.1, 1}}, r))

	want := map[string]uint64{}
	wantFB := map[string]float64{}
	rng := rand.New(rand.NewPCG(1, 9))
	send := func(n int) {
		rev := router.Revision(r.Plan())
		for range n {
			u := router.Unit{Key: fmt.Sprintf("k%x", rng.Uint64())}
			switch rng.IntN(10) {
			case 0:
				u.Key = ""
			case 1:
				u.Attrs = audience.Attributes{audience.String("tier", "vip")}
			}
			d := r.Decide(u)
			outcome := map[string]string{"ok": "ok", "fb": "fallback", "bad": "error"}[d.Variant]
			rule := d.Rule
			if rule == "" {
				rule = "default"
			}
			want[strings.Join([]string{d.Plan, rev, rule, d.Variant, string(d.Reason), outcome}, "|")]++
			if d.Variant == "fb" {
				wantFB[rev]++
			}
			_, _ = r.Predict(context.Background(), u, "x")
		}
	}
	send(2000)
	plan.Default = strategy.Split{{Variant: "ok", Weight: 90}, {Variant: "fb", Weight: 5}, {Variant: "bad", Weight: 5}}
	if err := r.SetPlan(plan); err != nil {
		t.Fatal(err)
	}
	send(1000)

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	gotFB := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "varroute_request_duration_seconds":
				h := m.GetHistogram()
				k := strings.Join([]string{label(m, "plan"), label(m, "revision"), label(m, "rule"), label(m, "variant"), label(m, "reason"), label(m, "outcome")}, "|")
				got[k] += h.GetSampleCount()
				// The native buckets and the zero bucket add up to the count.
				var n, c int64
				for _, d := range h.GetPositiveDelta() {
					c += d
					n += c
				}
				if uint64(n)+h.GetZeroCount() != h.GetSampleCount() || h.GetSchema() != 3 {
					t.Errorf("%s: buckets %d + zero %d != count %d (schema %d)", k, n, h.GetZeroCount(), h.GetSampleCount(), h.GetSchema())
				}
				if len(h.GetBucket()) != 4 {
					t.Errorf("%s: %d classic buckets, want 4", k, len(h.GetBucket()))
				}
			case "varroute_fallbacks_total":
				gotFB[label(m, "revision")] += m.GetCounter().GetValue()
			}
		}
	}
	if len(got) != len(want) || len(want) < 8 {
		t.Errorf("%d series, want %d (>= 8)", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d requests, want %d", k, got[k], n)
		}
	}
	for k, n := range wantFB {
		if gotFB[k] != n {
			t.Errorf("fallbacks of revision %s: %v, want %v", k, gotFB[k], n)
		}
	}
}

// TestNativeQuantile checks that a quantile computed the way
// histogram_quantile does from the exported native buckets agrees with
// router.Histogram.Quantile's bucket.
func TestNativeBucketsMatch(t *testing.T) {
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"a": predictor(false)},
		Plan:     strategy.BigBang("a"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	for i := range 100 {
		_, _ = r.Predict(context.Background(), router.Unit{Key: fmt.Sprint(i)}, "x")
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(varprom.NewCollector(varprom.Options{}, r))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var h *dto.Histogram
	for _, mf := range mfs {
		if mf.GetName() == "varroute_request_duration_seconds" {
			h = mf.GetMetric()[0].GetHistogram()
		}
	}
	rh := r.Metrics().Requests[0].Latency
	// Rebuild the router histogram's buckets from the native ones.
	idx := 0
	var c int64
	di := 0
	for _, sp := range h.GetPositiveSpan() {
		idx += int(sp.GetOffset())
		for range sp.GetLength() {
			c += h.GetPositiveDelta()[di]
			di++
			// Prometheus bucket idx has upper bound 2^(idx/8): router index idx-1.
			j := idx - 1 - rh.Offset
			var want int64
			if j >= 0 && j < len(rh.Counts) {
				want = rh.Counts[j]
			} else if j == len(rh.Counts) {
				want = rh.Overflow
			}
			if c != want {
				t.Errorf("bucket %d: %d, want %d", idx, c, want)
			}
			idx++
		}
	}
	if math.Abs(h.GetZeroThreshold()-math.Exp2(-20)) > 1e-15 || h.GetZeroCount() != uint64(rh.ZeroCount) {
		t.Errorf("zero bucket: threshold %g count %d, want 2^-20 and %d", h.GetZeroThreshold(), h.GetZeroCount(), rh.ZeroCount)
	}
}
