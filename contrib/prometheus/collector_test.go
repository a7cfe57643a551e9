package varprom_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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
	// Requests that spin for 1 µs to 2 ms, log-uniformly: dozens of buckets,
	// empty ones between them.
	rng := rand.New(rand.NewPCG(4, 2))
	spin := router.PredictorFunc[string, string](func(context.Context, string) (string, error) {
		d := time.Duration(math.Exp(math.Log(1e3) + rng.Float64()*math.Log(2e3)))
		for start := time.Now(); time.Since(start) < d; {
		}
		return "ok", nil
	})
	r, err := router.New(router.Config[string, string]{
		Variants: map[string]router.Predictor[string, string]{"a": spin},
		Plan:     strategy.BigBang("a"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	for i := range 300 {
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
	nonEmpty := 0
	for _, c := range rh.Counts {
		if c > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 20 || h.GetSampleCount() != uint64(rh.Count()) || h.GetSampleSum() != rh.Sum.Seconds() {
		t.Errorf("%d non-empty buckets (want 20 or more); count %d sum %v, want %d and %v",
			nonEmpty, h.GetSampleCount(), h.GetSampleSum(), rh.Count(), rh.Sum.Seconds())
	}
	if math.Abs(h.GetZeroThreshold()-math.Exp2(-20)) > 1e-15 || h.GetZeroCount() != uint64(rh.ZeroCount) {
		t.Errorf("zero bucket: threshold %g count %d, want 2^-20 and %d", h.GetZeroThreshold(), h.GetZeroCount(), rh.ZeroCount)
	}
}

// TestGatherSeveralSources checks a Collector of three routers: two serve
// the same plan, so their series are summed (requests bucket by bucket,
// fallbacks, breaker transitions); the third serves another plan, so each
// plan has its info series.
func TestGatherSeveralSources(t *testing.T) {
	shared := strategy.Canary("ok", "fb", 40)
	shared.Fallbacks = map[string]string{"fb": "ok"} // fb's default breaker opens
	newRouter := func(p strategy.Plan) *router.Router[string, string] {
		r, err := router.New(router.Config[string, string]{
			Variants: map[string]router.Predictor[string, string]{"ok": predictor(false), "fb": predictor(true)},
			Plan:     p,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close(context.Background()) })
		return r
	}
	a, b, other := newRouter(shared), newRouter(shared), newRouter(strategy.BigBang("ok"))
	rng := rand.New(rand.NewPCG(6, 1))
	for i, r := range []*router.Router[string, string]{a, b, other} {
		for range 300 * (i + 1) {
			_, _ = r.Predict(context.Background(), router.Unit{Key: fmt.Sprintf("k%x", rng.Uint64())}, "x")
		}
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(varprom.NewCollector(varprom.Options{}, a, b, other))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}

	// What the routers counted, summed by series.
	wantReq := map[string]int64{}
	wantFB := map[string]float64{}
	for _, r := range []*router.Router[string, string]{a, b, other} {
		m := r.Metrics()
		for _, rm := range m.Requests {
			wantReq[rm.Plan+"|"+rm.Variant+"|"+rm.Outcome] += rm.Latency.Count()
		}
		for _, f := range m.Fallbacks {
			wantFB[f.Plan+"|"+f.Variant+"|"+f.Served] += float64(f.Count)
		}
	}
	gotReq := map[string]int64{}
	gotFB := map[string]float64{}
	var plans []string
	series := map[string]int{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			series[mf.GetName()]++
			switch mf.GetName() {
			case "varroute_request_duration_seconds":
				gotReq[label(m, "plan")+"|"+label(m, "variant")+"|"+label(m, "outcome")] += int64(m.GetHistogram().GetSampleCount())
			case "varroute_fallbacks_total":
				gotFB[label(m, "plan")+"|"+label(m, "variant")+"|"+label(m, "served")] += m.GetCounter().GetValue()
			case "varroute_plan_info":
				plans = append(plans, label(m, "plan"))
			}
		}
	}
	if fmt.Sprint(gotReq) != fmt.Sprint(wantReq) {
		t.Errorf("requests by series: %v, want %v", gotReq, wantReq)
	}
	if fmt.Sprint(gotFB) != fmt.Sprint(wantFB) || len(wantFB) != 1 {
		t.Errorf("fallbacks: %v, want %v (one series)", gotFB, wantFB)
	}
	if len(plans) != 2 || plans[0] == plans[1] {
		t.Errorf("plan_info series for %v, want one per plan", plans)
	}
	// The shared series are one series each, not one per router.
	if series["varroute_request_duration_seconds"] != len(wantReq) || series["varroute_breaker_open"] != 1 {
		t.Errorf("series: %v; want %d request series and one breaker", series, len(wantReq))
	}
	// Breaker transitions are summed over the two routers' breakers of fb.
	var wantOpen int64
	for _, r := range []*router.Router[string, string]{a, b} {
		for _, bs := range r.Breakers() {
			wantOpen += bs.Transitions[router.BreakerOpen]
		}
	}
	var gotOpen float64
	for _, mf := range mfs {
		if mf.GetName() != "varroute_breaker_transitions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "variant") == "fb" && label(m, "state") == string(router.BreakerOpen) {
				gotOpen += m.GetCounter().GetValue()
			}
		}
	}
	if wantOpen < 2 || gotOpen != float64(wantOpen) {
		t.Errorf("fb's breaker opened %v times in the export, %d in the routers (want 2 or more)", gotOpen, wantOpen)
	}
}
