package strategy_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/varroute/varroute/strategy"
)

// benchSizes are the plan sizes of the parsing and validation benchmarks.
var benchSizes = []int{10, 100, 1000, 10000}

// benchPlans returns plan texts in YAML, by kind, for n elements:
//
//   - variants: a default split of n variants of equal weight;
//   - rules: n rules in front of the default split, over min(n, 1000)
//     audiences (each an equals condition), so that 10,000 rules fit in
//     MaxPlanSize;
//   - fallbacks: a chain of n fallback links, v(n) -> v(n-1) -> ... -> v0.
func benchPlans(n int) map[string]string {
	var v, r, f strings.Builder
	v.WriteString("name: bench\ndefault:\n")
	w := strconv.FormatFloat(100/float64(n), 'g', -1, 64)
	for i := range n {
		fmt.Fprintf(&v, "  - {variant: v%d, weight: %s}\n", i, w)
	}
	audiences := min(n, 1000)
	r.WriteString("name: bench\ndefault: [{variant: v0, weight: 100}]\naudiences:\n")
	for i := range audiences {
		fmt.Fprintf(&r, "  - {name: a%d, conditions: {key: country, op: equals, value: c%d}}\n", i, i)
	}
	r.WriteString("rules:\n")
	for i := range n {
		fmt.Fprintf(&r, "  - {name: r%d, audience: a%d, split: [{variant: v%d, weight: 100}]}\n", i, i%audiences, i%10)
	}
	f.WriteString("name: bench\ndefault: [{variant: v0, weight: 100}]\nfallbacks:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&f, "  v%d: v%d\n", i, i-1)
	}
	return map[string]string{"variants": v.String(), "rules": r.String(), "fallbacks": f.String()}
}

var benchKinds = []string{"variants", "rules", "fallbacks"}

// BenchmarkParsePlan parses (and so validates) plans of 10 to 10,000
// variants, rules or fallback links: time and memory grow linearly.
func BenchmarkParsePlan(b *testing.B) {
	plans := make([]map[string]string, len(benchSizes))
	for i, n := range benchSizes {
		plans[i] = benchPlans(n)
	}
	for _, kind := range benchKinds {
		for i, n := range benchSizes {
			if kind == "rules" && n > strategy.MaxRules {
				continue // refused: more than MaxRules
			}
			data := []byte(plans[i][kind])
			b.Run(fmt.Sprintf("%s=%d", kind, n), func(b *testing.B) {
				if _, err := strategy.ParsePlan(data); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					_, _ = strategy.ParsePlan(data)
				}
			})
		}
	}
}

// BenchmarkValidatePlan validates the plans of BenchmarkParsePlan, already
// parsed.
func BenchmarkValidatePlan(b *testing.B) {
	plans := make([]map[string]string, len(benchSizes))
	for i, n := range benchSizes {
		plans[i] = benchPlans(n)
	}
	for _, kind := range benchKinds {
		for i, n := range benchSizes {
			if kind == "rules" && n > strategy.MaxRules {
				continue // refused: more than MaxRules
			}
			p, err := strategy.ParsePlan([]byte(plans[i][kind]))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s=%d", kind, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = p.Validate()
				}
			})
		}
	}
}

// TestBenchPlans checks that the benchmark plans parse and have the size
// they claim, and that the largest fit MaxPlanSize (BenchmarkParsePlan
// parses those).
func TestBenchPlans(t *testing.T) {
	for _, n := range benchSizes {
		for kind, text := range benchPlans(n) {
			if len(text) > strategy.MaxPlanSize {
				t.Fatalf("%s=%d: %d bytes, more than MaxPlanSize", kind, n, len(text))
			}
			if n > 1000 {
				continue // slow under the race detector; the benchmark parses it
			}
			p, err := strategy.ParsePlan([]byte(text))
			if err != nil {
				t.Fatalf("%s=%d: %v", kind, n, err)
			}
			got := map[string]int{"variants": len(p.Default), "rules": len(p.Rules), "fallbacks": len(p.Fallbacks)}[kind]
			if got != n {
				t.Errorf("%s=%d: %d elements", kind, n, got)
			}
		}
	}
}
