package varprom_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/varroute/varroute/audience"
	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// benchRouter has 4 variants and 3 rules, every (rule, variant) used by
// 10,000 requests. With spread, each request spins for a duration drawn
// log-uniformly between 1 µs and 1 ms, so that each histogram holds about
// 80 buckets; without, the requests take well under a microsecond and land
// in the zero bucket.
func benchRouter(b *testing.B, spread bool) *router.Router[string, string] {
	plan := strategy.ABTest("bench", strategy.Even("a", "b", "c", "d"))
	for _, tier := range []string{"gold", "silver", "bronze"} {
		plan.Audiences = append(plan.Audiences, audience.Audience{Name: tier, Conditions: audience.Condition{Key: "tier", Op: audience.OpEquals, Value: tier}})
		plan.Rules = append(plan.Rules, strategy.Rule{Audience: tier, Split: strategy.Even("a", "b", "c", "d")})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	spin := router.PredictorFunc[string, string](func(context.Context, string) (string, error) {
		d := time.Duration(math.Exp(math.Log(1e3) + rng.Float64()*math.Log(1e3)))
		for start := time.Now(); time.Since(start) < d; {
		}
		return "ok", nil
	})
	vs := map[string]router.Predictor[string, string]{}
	for _, v := range []string{"a", "b", "c", "d"} {
		vs[v] = predictor(false)
		if spread {
			vs[v] = spin
		}
	}
	r, err := router.New(router.Config[string, string]{Variants: vs, Plan: plan})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close(context.Background()) })
	for i := range 10_000 {
		tier := []string{"gold", "silver", "bronze", "none"}[i%4]
		_, _ = r.Predict(context.Background(), router.Unit{Key: fmt.Sprint(i), Attrs: audience.Attributes{audience.String("tier", tier)}}, "x")
	}
	return r
}

// BenchmarkGather is one scrape of a router with 4 variants and 3 rules
// (16 request series and the plan's info), through a Registry.
func BenchmarkGather(b *testing.B) {
	for _, spread := range []bool{false, true} {
		b.Run(fmt.Sprintf("spread=%v", spread), func(b *testing.B) {
			r := benchRouter(b, spread)
			reg := prometheus.NewRegistry()
			reg.MustRegister(varprom.NewCollector(varprom.Options{}, r))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCollect is the Collector's own share of a scrape: Collect, and
// Write of every metric it sends, without a Registry.
func BenchmarkCollect(b *testing.B) {
	for _, spread := range []bool{false, true} {
		b.Run(fmt.Sprintf("spread=%v", spread), func(b *testing.B) {
			c := varprom.NewCollector(varprom.Options{}, benchRouter(b, spread))
			ch := make(chan prometheus.Metric, 100)
			var m dto.Metric
			b.ReportAllocs()
			for b.Loop() {
				c.Collect(ch)
				for len(ch) > 0 {
					if err := (<-ch).Write(&m); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkPredict is Predict without and with the collector registered:
// the collector reads at scrape time only.
func BenchmarkPredict(b *testing.B) {
	for _, registered := range []bool{false, true} {
		b.Run(fmt.Sprintf("collector=%v", registered), func(b *testing.B) {
			r := benchRouter(b, false)
			if registered {
				prometheus.NewRegistry().MustRegister(varprom.NewCollector(varprom.Options{}, r))
			}
			ctx := context.Background()
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = fmt.Sprint("user-", i)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				_, _ = r.Predict(ctx, router.Unit{Key: keys[i&1023], Attrs: audience.Attributes{audience.String("tier", "gold")}}, "x")
			}
		})
	}
}

// constCollector sends prepared metrics.
type constCollector struct {
	desc    *prometheus.Desc
	metrics []prometheus.Metric
}

func (c constCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics {
		ch <- m
	}
}

// BenchmarkGatherFloor is the registry's own share of BenchmarkGather: one
// scrape of a collector that sends 17 prepared native histograms with six
// labels, the number of series of benchRouter.
func BenchmarkGatherFloor(b *testing.B) {
	desc := prometheus.NewDesc("floor_seconds", "Floor.", []string{"plan", "revision", "rule", "variant", "reason", "outcome"}, nil)
	var ms []prometheus.Metric
	for i := range 17 {
		ms = append(ms, prometheus.MustNewConstNativeHistogram(desc, 10, 1, map[int]int64{-100: 3, -99: 4, -90: 3}, nil, 0, 3, 1e-6, time.Time{},
			"bench", "0123456789ab", fmt.Sprint("rule-", i%4), fmt.Sprint("v", i/4), "rule", "ok"))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(constCollector{desc, ms})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
