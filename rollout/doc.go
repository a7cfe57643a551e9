// Package rollout changes a deployment over time: the control loop on top of
// package router.
//
// A controller decides plans (strategy.Plan) and publishes them through a
// strategy.Target — a *router.Router, strategy.Targets to fan one plan out to
// several routers, or an adapter that writes the plan file every replica
// watches (package planfile). It reads per-variant evidence through a Window:
// by default its own Collector, fed by registering the controller as a router
// observer (Router.AddObserver), or a Window of yours over metrics aggregated
// across replicas. Controllers advance only on an explicit Step, so tests and
// replays of recorded traffic never sleep (the configs take Now, a clock);
// Run steps one on a ticker in production.
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
//     rollout as broken instrumentation. Pause, Resume, Promote and Abort act
//     by hand; Status reports the step, the window's figures and the reason
//     of the last transition; every transition is an Event, given to a
//     callback, logged with slog and counted through OpenTelemetry.
//   - BlueGreen: two slots; Switch verifies the idle slot (SmokeTest or a
//     function of yours) and flips at once; Rollback flips back at once.
//   - Rolling: old to new in N equal batches, each gated on error rate and
//     latency; a failing gate halts and reverts.
//
// User metrics (a conversion learnt after the response) are recorded with
// RecordMetric under the Decision that assigned the unit, so a value that
// arrives after a step change still counts for the variant the unit was
// served by (intent to treat).
//
// # Many replicas
//
// A service usually runs several replicas, each with its own router. Run
// exactly one controller for all of them — a separate Deployment with one
// replica, or one replica elected leader (Kubernetes leader election with a
// Lease) — and let it publish through a Target that reaches every replica:
// strategy.Targets of the routers when they share a process (as in tests), or
// an adapter that writes the plan to a shared source (a ConfigMap mounted as
// a volume) that each replica follows with a planfile.Watcher. Plans are pure
// data and assignment is a pure function of (plan name, unit key), so every
// replica routes each unit identically without coordination. Give the
// controller a Window that reads metrics aggregated across the replicas; its
// own Collector only sees the requests of the routers it observes.
package rollout
