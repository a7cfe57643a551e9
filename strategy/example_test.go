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
	// strategy: 4:3: default: weights sum to 95, want 100
}

func ExampleCanary() {
	p := strategy.Canary("stable", "candidate", 10)
	fmt.Println(p.Name, p.Default, p.Fallbacks, p.Validate())
	// Output: canary/candidate [{stable 90} {candidate 10}] map[candidate:stable] <nil>
}
