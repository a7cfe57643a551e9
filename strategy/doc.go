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
//
// # Controllers
//
// Controllers change a deployment over time. Each drives routers through a
// Target (anything with SetPlan(Plan) error, such as *router.Router, or
// Targets to fan one plan out to several), reads per-variant outcomes
// through a Window (by default its own Collector, fed by registering the
// controller as a router observer), takes a Clock, and advances only on an
// explicit Step, so tests never sleep; Run steps it on a ticker in
// production.
//
//   - Rollout, a progressive canary: steps such as 1, 5, 25, 50 and 100
//     percent, each held for a minimum duration and a minimum number of
//     samples; guardrails compare candidate with baseline on the step's
//     window with always-valid sequential tests (a mixture SPRT on error
//     rate, log-latency and user metrics, alpha split across steps and
//     tests), an absolute error ceiling, and a sample-ratio-mismatch check
//     against the step's own weights. A healthy candidate is promoted (it
//     serves 100%, the baseline stays registered as its fallback); a failing
//     one is rolled back (all traffic to the baseline); a mismatch halts the
//     rollout as broken instrumentation. Pause, Resume, Promote and Abort
//     act by hand; Status reports the step, the window's figures and the
//     reason of the last transition; every transition is an Event, given to
//     a callback and logged with slog.
//   - BlueGreen: two slots; Switch verifies the idle slot (SmokeTest or a
//     function of yours) and flips at once; Rollback flips back at once.
//   - Rolling: old to new in N equal batches, each gated on error rate and
//     latency; a failing gate halts and reverts.
//
// On many replicas, run one controller (on one replica or in a separate
// job), give it a Target that publishes each plan to every replica (Targets
// of routers, or a file or ConfigMap that each replica watches with package
// planfile), and a Window that aggregates every replica's outcomes
// (WindowFunc over a metrics backend). Assignment is a pure function of plan
// and key, so replicas that hold the same plan decide alike.
package strategy
