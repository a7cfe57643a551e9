// Package strategy describes deployments as data: which variant (model
// version) serves which unit (user, session, request).
//
// A Plan is plain, serializable data — a deployment written as code:
//
//	name: checkout-2026            # salts the hash; keep it to keep assignments
//	audiences:                     # named conditions on request attributes
//	  - name: california
//	    conditions: {key: location, op: equals, value: california}
//	rules:                         # the first rule whose audience matches decides
//	  - audience: california
//	    split: [{variant: model-b, weight: 100}]
//	default:                       # the split for every other unit
//	  - {variant: model-a, weight: 90}
//	  - {variant: model-c, weight: 10}
//	fallbacks: {model-c: model-a}  # serves when model-c fails
//	shadows:                       # mirrored, compared, never returned
//	  - {variant: model-d, percent: 5}
//
// The package holds:
//
//   - the plan types: Plan, Rule, Split and Arm, Mirror; Split's helpers
//     (Even, Majority, Weight, and WithWeight and Without, the changes that
//     move the fewest units) and Plan's (Variants, Routes, Clone);
//   - constructors for the common strategies: BigBang, Canary, ABTest and
//     Shadow (below);
//   - ParsePlan, which reads a plan from YAML or JSON, strictly and within
//     the limits MaxPlanSize, MaxPlanNodes and MaxPlanDepth; Validate and
//     CheckVariants, which check a plan on its own and against the variants
//     a router knows;
//   - Error, which names the file, line, column and field path of a
//     problem ("plan.yaml:4:3: default: weights sum to 95, want 100"), and
//     the sentinels ErrInvalidPlan and ErrUnknownVariant;
//   - Target, TargetFunc and Targets: what receives plans (a router, or
//     several).
//
// The constructors:
//
//	BigBang("v2")                 every unit to v2
//	Canary("v1", "v2", 10)        a sticky 10% to v2, v1 as its fallback
//	ABTest("exp", Even("a", "b")) a weighted, sticky split
//	Shadow("v1", "v2")            v1 serves, v2 sees mirrored traffic
//
// Plans do nothing on their own. Package router compiles a plan once and
// applies it to every request; package rollout changes plans over time
// (progressive canary, blue-green, rolling); package planfile keeps a plan
// in a watched file. This package links neither OpenTelemetry nor gonum.
//
// # Assignment
//
// Inside a split, a unit's variant is chosen by weighted rendezvous
// hashing: each variant v with weight w scores -ln(u_v)/w, where u_v is a
// uniform derived from xxhash(unit key) and a seed of (plan name, v), and
// the lowest score wins. Properties, each tested:
//
//   - sticky: a key keeps its variant while the plan is unchanged;
//   - proportional: each variant gets its weight's share of units;
//   - minimal movement: a unit moves from x to y only if y's weight grew
//     relative to x's. Raising one weight while the others shrink in
//     proportion (Split.WithWeight) moves units only into that variant,
//     whatever its position in the split; removing a variant
//     (Split.Without) moves only its own units. Cumulative-range bucketing,
//     used by the common feature-flag SDKs, instead moves already-exposed
//     users when an arm that is not last grows;
//   - independent: different plan names give independent assignments;
//   - stable: golden vectors pin key → variant, and the arithmetic is
//     bit-identical on every platform.
//
// router.Preview estimates how many units a plan change would move before
// it is applied.
package strategy
