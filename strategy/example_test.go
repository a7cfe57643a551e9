package strategy_test

import (
	"fmt"

	"github.com/varroute/varroute/strategy"
)

// Load a plan from YAML; a mistake is reported with its line and field.
func ExampleParsePlan() {
	plan, err := strategy.ParsePlan([]byte(`
name: checkout-2026
audiences:
  - name: california
    conditions: {key: location, op: equals, value: california}
rules:
  - audience: california
    split: [{variant: model-b, weight: 100}]
default:
  - {variant: model-a, weight: 90}
  - {variant: model-c, weight: 10}
fallbacks:
  model-c: model-a
`))
	fmt.Println(plan.Name, len(plan.Rules), plan.Default.Weight("model-c"), err)

	_, err = strategy.ParsePlan([]byte(`
name: checkout-2026
default:
  - {variant: model-a, weight: 90}
  - {variant: model-c, weight: 5}
`))
	fmt.Println(err)
	// Output:
	// checkout-2026 1 10 <nil>
	// strategy: line 4:3: default: weights sum to 95, want 100
}

// Preview how many users a canary step moves before applying it.
func ExamplePreview() {
	m, err := strategy.Preview(strategy.Canary("v1", "v2", 5), strategy.Canary("v1", "v2", 25), strategy.SampleUnits(100_000))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.1f%% of users move\n", 100*m.Share())
	for _, mv := range m.Moves {
		fmt.Printf("%s -> %s\n", mv.From, mv.To)
	}
	// Output:
	// 19.9% of users move
	// v1 -> v2
}

// Grow the middle arm of three: units move only into it.
func ExampleSplit_WithWeight() {
	s := strategy.Split{{Variant: "a", Weight: 30}, {Variant: "b", Weight: 30}, {Variant: "c", Weight: 40}}
	grown := s.WithWeight("b", 51)
	fmt.Println(grown)
	m, _ := strategy.Preview(strategy.ABTest("exp", s), strategy.ABTest("exp", grown), strategy.SampleUnits(100_000))
	for _, mv := range m.Moves {
		fmt.Printf("%s -> %s\n", mv.From, mv.To)
	}
	// Unordered output:
	// [{a 21} {b 51} {c 28}]
	// a -> b
	// c -> b
}

func ExampleCanary() {
	p := strategy.Canary("stable", "candidate", 10)
	fmt.Println(p.Name, p.Default, p.Fallbacks, p.Validate())
	// Output: canary/candidate [{stable 90} {candidate 10}] map[candidate:stable] <nil>
}
