// Package rollout changes a deployment over time: the control loop on top of
// package router.
//
// A controller decides plans (strategy.Plan) and publishes them through a
// strategy.Target — a *router.Router, strategy.Targets to fan one plan out to
// several routers, or an adapter that writes the plan file every replica
// watches (package planfile). It reads per-variant evidence, cut by the plan
// revision of each step (router.Revision), through a Window: by default its
// own Collector, fed by registering the controller as a router observer
// (Router.AddObserver), or a Window of yours over metrics aggregated across
// replicas. A read that fails is no decision: the controller waits, says why
// (Status.Waiting), and halts after RolloutConfig.MaxWait without evidence. Controllers advance only on an explicit Step, so tests and
// replays of recorded traffic never sleep (the configs take Now, a clock);
// Run steps one on a ticker in production.
//
//   - Rollout, a progressive canary: steps such as 1, 5, 25, 50 and 100
//     percent. Promotion needs evidence, not only time: each step holds
//     until always-valid confidence bounds on the candidate's harm — the
//     rise of its error rate, of its latency, of each user metric — pooled
//     over every step so far, show the harm below a stated margin; a lower
//     bound above zero rolls back at once (every unit to the baseline), a
//     lower bound on the error rate above an absolute ceiling too; a
//     candidate already shown within the promotion margins is promoted
//     early. The split of each step's distinct units is checked against the
//     step's weights with an always-valid test: a mismatch halts the rollout
//     as broken instrumentation, and a candidate is promoted only once the
//     share of its units missing from the evidence is shown small. A promoted
//     candidate serves 100%, the baseline stays registered as its fallback.
//     Pause, Resume, Promote and Abort act by hand; Status reports the step,
//     the bounds, what a holding step waits for and how much traffic it
//     still needs; every transition is an Event, given to a callback, logged
//     with slog and counted through OpenTelemetry.
//   - BlueGreen: two slots; Switch verifies the idle slot (SmokeTest or a
//     function of yours) and flips at once; Rollback flips back at once.
//   - Rolling: old to new in N equal batches, each gated on error rate and
//     latency; a failing gate halts and reverts.
//
// # What a Rollout guarantees
//
// With Alpha = α (default 0.05), each of these holds with probability at
// least 1-α, however often the controller looks, up to the normal
// approximation of the estimates (checked by simulation, see below):
// (1) a candidate no worse than the baseline on every check — error rate,
// geometric mean latency, each metric — is never rolled back, and one whose
// error rate is at most Guardrails.MaxErrorRate is never rolled back for the
// ceiling; (2) a candidate is never promoted while its error rate exceeds
// (1+ErrorMargin) times the baseline's plus ErrorSlack (by default 1.2× plus
// 0.05 points), its latency ratio exceeds MaxLatencyRatio (1.1), a metric's
// harm exceeds its Effect, or more than MaxUnitLoss (5%) of its units are
// missing from the evidence; (3) it never moves to a step of share s < 100%
// while such a harm exceeds min(100/s, 10) times its margin (the harm to all
// traffic after the step, share times harm, stays below the promotion
// margin; a 1% step leads to 5% with ten times the margins). And a correct
// split halts the rollout with probability at most Guardrails.SRMAlpha
// (0.001). Each bound is a mixture confidence sequence (stats.MixtureRadius)
// at α divided among the checks; the evidence of the steps is pooled by
// precision; the variance is the largest of the one of independent requests
// and the time-bucket ones (5-minute buckets and their multiples, so bursts,
// heavy users and drift shared by both variants count as noise, not effects);
// a step's evidence counts after 10 buckets (50 minutes, with a Step at least
// every 5 minutes). The unit split is tested exactly (stats.SequentialBinomial
// on a hash sample of units independent of assignment). cmd/rolloutsim checks
// these figures on simulated traffic — A/A under drift, heavy tails, bursts
// and heavy users, weak, strong and better candidates, lost units — with
// 500 runs per row and Clopper–Pearson intervals.
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
// own Collector only sees the requests of the routers it observes. A Window
// that cannot count distinct units (VariantWindow.Units 0) gets its split
// checked on requests, with the time-bucket variance.
package rollout
