package varprom_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varroute/varroute/audience"
	varprom "github.com/varroute/varroute/contrib/prometheus"
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// benchRouter has 4 variants and 3 rules, every (rule, variant) used.
func benchRouter(b *testing.B) *router.Router[string, string] {
	plan := strategy.ABTest("bench", strategy.Even("a", "b", "c", "d"))
	for i, tier := range []string{"gold", "silver", "bronze"} {
		plan.Audiences = append(plan.Audiences, audience.Audience{Name: tier, Conditions: audience.Condition{Key: "tier", Op: audience.OpEquals, Value: tier}})
		plan.Rules = append(plan.Rules, strategy.Rule{Audience: tier, Split: strategy.Even("a", "b", "c", "d")})
		_ = i
	}
	vs := map[string]router.Predictor[string, string]{}
	for _, v := range []string{"a", "b", "c", "d"} {
		vs[v] = predictor(false)
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
// (16 request series).
func BenchmarkGather(b *testing.B) {
	r := benchRouter(b)
	reg := prometheus.NewRegistry()
	reg.MustRegister(varprom.NewCollector(varprom.Options{}, r))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict is Predict without and with the collector registered:
// the collector reads at scrape time only.
func BenchmarkPredict(b *testing.B) {
	for _, registered := range []bool{false, true} {
		b.Run(fmt.Sprintf("collector=%v", registered), func(b *testing.B) {
			r := benchRouter(b)
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
