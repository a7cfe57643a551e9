package router_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// bigPlan is an even split over n variants, each but the first falling back
// to the one before it: n variants and n-1 fallback links.
func bigPlan(n int) (strategy.Plan, map[string]router.Predictor[string, string]) {
	names := make([]string, n)
	vs := make(map[string]router.Predictor[string, string], n)
	fb := make(map[string]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("v%05d", i)
		vs[names[i]] = constantP(names[i])
		if i > 0 {
			fb[names[i]] = names[i-1]
		}
	}
	p := strategy.ABTest("big", strategy.Even(names...))
	p.Fallbacks = fb
	return p, vs
}

// BenchmarkNew is router.New with 10 to 10,000 variants, each with a
// fallback (and so a circuit breaker).
func BenchmarkNew(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		b.Run(fmt.Sprint("variants=", n), func(b *testing.B) {
			p, vs := bigPlan(n)
			b.ReportAllocs()
			for b.Loop() {
				r, err := router.New(router.Config[string, string]{Variants: vs, Plan: p})
				if err != nil {
					b.Fatal(err)
				}
				_ = r.Close(context.Background())
			}
		})
	}
}

// TestNewManyVariants: New with 10,000 variants stays well under a second
// of work (it is linear); the benchmark above gives the figures.
func TestNewManyVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-variant router")
	}
	p, vs := bigPlan(10_000)
	r, err := router.New(router.Config[string, string]{Variants: vs, Plan: p})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	if d := r.Decide(router.Unit{Key: "someone"}); d.Variant == "" {
		t.Fatal("no decision")
	}
}
