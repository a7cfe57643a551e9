// Package varroute deploys new versions of a model safely, inside a Go
// service: wrap the versions in a router.Router, call Predict in your
// handlers, and the router decides per request which version serves.
//
// Strategies, all expressed as a strategy.Plan (plain data that loads from
// YAML or JSON):
//
//   - big bang: strategy.BigBang("v2") replaces at once; multi-version
//     failover keeps old versions registered and names them in
//     Plan.Fallbacks, so v1 serves when v2 fails.
//   - canary: strategy.Canary("v1", "v2", 10) sends a sticky 10% of units
//     to v2; raising the percent only moves units from v1 to v2.
//   - A/B test: strategy.ABTest("exp", strategy.Even("a", "b")), optionally
//     per audience (rules: location == california gets model B).
//   - shadow: strategy.Shadow("v1", "v2") mirrors traffic to v2, compares,
//     and never returns its answer.
//   - rolling, blue-green and progressive canary with automatic rollback:
//     the controllers of package rollout drive routers through SetPlan.
//
// Packages, by layer — plan data, the request path, the control loop:
//
//	strategy   plans as data: Plan, Split, Rule, constructors, Validate, ParsePlan, Target
//	audience   conditions on request attributes; Qwak audience files
//	planfile   load and watch a plan file (a mounted ConfigMap) and apply it to a router
//	router     the Router: Predict, Serve, Decide, Pin, SetPlan, Preview, telemetry
//	shadow     comparing shadow answers: comparators, the agreement report, drift
//	exposure   the exposure log that analysis jobs join with outcomes
//	varhttp    net/http helpers: a Unit from a request, the state endpoint
//	rollout    controllers: progressive canary, blue-green, rolling; windows, guardrails
//	stats      significance for analysis jobs and guardrails (scipy-exact)
//
// Imports point one way: strategy ← router ← rollout. Running many replicas
// under one controller is explained in package rollout.
//
// Assignment is a pure function of (plan name, unit key, weights): weighted
// rendezvous hashing over xxhash, so every replica decides alike with no
// coordination; a unit keeps its variant while the plan is unchanged;
// shares match weights; and changing one weight moves only the units it
// must. A decision costs well under 100 ns and allocates nothing.
//
// A minimal service:
//
//	r, err := router.New(router.Config[Features, float64]{
//		Variants: map[string]router.Predictor[Features, float64]{"v1": modelV1, "v2": modelV2},
//		Plan:     strategy.Canary("v1", "v2", 5),
//	})
//	...
//	score, err := r.Predict(ctx, router.Unit{
//		Key:   userID,
//		Attrs: audience.Attributes{audience.String("location", loc)},
//	}, features)
//
// Run the demo with `go run ./examples/quickstart`.
package varroute
