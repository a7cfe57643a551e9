// Package strategy describes deployments as data and automates their
// change over time.
//
// A Plan is plain, serializable data — name (the hash salt), audiences,
// ordered rules (audience → split), a default split, fallbacks and shadows —
// that loads from YAML or JSON (ParsePlan), validates with errors naming
// the field path and file position (Validate, *Error), and compiles once
// (Compile) into the structure a router reads on every request.
//
// Constructors cover the common strategies:
//
//	BigBang("v2")                 every unit to v2
//	Canary("v1", "v2", 10)        a sticky 10% to v2, v1 as its fallback
//	ABTest("exp", Even("a", "b")) a weighted, sticky split
//	Shadow("v1", "v2")            v1 serves, v2 sees mirrored traffic
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
// Preview estimates how many units a plan change would move before it is
// applied.
package strategy
