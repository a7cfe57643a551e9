// Package router serves several versions (variants) of a model behind one
// call and decides, per request, which one answers.
//
// A Router holds a set of named Predictors and a strategy.Plan. For each
// request, Predict:
//
//  1. loads the current plan and variant set with one atomic load (no lock);
//  2. matches the Unit's attributes against the plan's rules in order — the
//     first rule whose audience matches decides the split, otherwise the
//     default split applies;
//  3. picks the variant in the split by sticky, weighted rendezvous hashing
//     of (plan name, unit key);
//  4. calls the variant. An error, a panic (ErrPredictorPanic) or a timeout
//     (Config.Timeout) fails the call; if the plan names a fallback for the
//     variant, the fallback serves instead;
//  5. reports the Outcome — assigned variant, served variant, the assigned
//     variant's failure, latency — to the observers.
//
// Decide runs steps 1–3 alone, so applications can unit-test routing
// without models. Decide and Predict allocate nothing when the Unit's
// attributes are a composite literal and no timeout is set.
//
// Plans and variants change while the router serves. SetPlan validates a
// new plan against the registered variants and swaps it in atomically; a
// rejected plan leaves the old one serving. AddVariant registers a model
// loaded at run time; RemoveVariant retires one that no plan refers to,
// waiting for its calls in flight before closing it. Pin carries one
// decision through the several model calls of a request, so a pipeline
// never mixes two plans during a swap.
//
// Intent to treat: when a fallback serves, Outcome.Decision.Variant is
// still the assigned variant and Outcome.Served says who answered, so an
// analysis can count the request for the variant it was assigned to, or
// exclude failovers — a failover is never silently counted as the assigned
// variant's success (Outcome.Failure holds its error).
//
// Units without a key (anonymous requests) are never hashed: they get the
// majority variant of their split (ReasonNoKey).
//
// # Shadows
//
// For each shadow the plan names whose sticky sample the unit falls in (and
// for the noise floor), Predict hands a call to a bounded pool after the
// primary answered: the shadow runs on a pool worker with a context that
// keeps the request's values but not its cancellation, its answer is
// compared with the primary's (Config.Compare) and recorded
// (ShadowReport, Config.ShadowSinks), and it is never returned. When the
// pool is full the call is dropped and counted (ShadowStats): the user never
// waits for a shadow. The shadow reads the request's input after Predict
// returned, so callers must not mutate it afterwards (or set
// Config.CopyInput).
//
// # Telemetry
//
// The request path adds to the router's own aggregates — per plan revision,
// rule, assigned variant, reason and outcome, a latency histogram whose count
// is the number of requests — with a few atomic adds and two reads of the
// monotonic clock, and allocates nothing. Everything reads those aggregates
// when it collects: Metrics (and the state endpoint of package varhttp), the
// Prometheus collector of contrib/prometheus, and OpenTelemetry observable
// instruments registered on Config.MeterProvider (the global one by default,
// which costs nothing until an SDK is installed):
//
//	varroute.requests                {request}     plan, revision, rule, variant, reason, outcome
//	varroute.request.duration.sum    s             the same attributes
//	varroute.fallbacks               {request}     plan, revision, variant, served
//	varroute.breaker.transitions     {transition}  variant, state
//	varroute.breaker.open            1             variant
//	varroute.shadow.comparisons      {comparison}  plan, primary, shadow, outcome (agree, disagree, error, timeout)
//	varroute.shadow.dropped          {call}        plan, shadow
//
// Outcomes are ok, fallback, error and circuit-open; reasons are rule,
// default and no-key; a request whose assigned variant failed has an outcome
// other than ok. The revision (Revision, Decision.Revision) changes with
// every plan applied, so a backend can keep each step of a rollout apart.
// The OpenTelemetry API has no asynchronous histogram: latency distributions
// come from Metrics and the Prometheus collector (exponential buckets, the
// layout of OpenTelemetry's exponential histograms), or, with
// Config.LatencyHistogram, from a synchronous histogram recorded per request
// at the SDK's cost. Attribute values come from the plan only; a unit key
// never appears.
//
// Each Predict gets a span "varroute.Predict" carrying the decision under the
// feature-flag semantic conventions (feature_flag.key is the plan,
// feature_flag.version its revision, feature_flag.result.variant the variant,
// feature_flag.result.reason) and varroute.rule and varroute.reason; each
// shadow call gets a span "varroute.shadow", a new root linked to the
// request's span. Spans are started when the tracer provider at New is an
// SDK's — whose sampler then decides, at head, whether the span records:
// with a ratio sampler, unsampled requests pay for a non-recording span only
// — or, with the no-op default, only under a recording parent span.
//
// # Circuit breakers
//
// Every variant with a fallback has a circuit breaker (strategy.Breaker; a
// variant without one has none unless the plan configures it). After
// consecutive failures (or a failure rate over a window) it opens: requests
// assigned to the variant go straight to its fallback, without a call and
// without waiting; after its open time a few probes try the variant again,
// and the first success closes it, a failure reopens it for twice as long.
// Such a request keeps its assigned variant in the Outcome (intent to treat),
// its Failure matches ErrCircuitOpen, and it counts as outcome circuit-open in
// the metrics and the exposures: an open breaker on a canary is a failure for
// the rollout watching it, not an improvement. Breakers reports each
// breaker's state, since when and why; transitions are logged (Config.Logger)
// and counted.
//
// # Exposures
//
// Config.Exposures receives an exposure.Exposure (time, plan, rule,
// variant, unit key) per request, so analysis jobs can join assignments
// with outcomes; exposure.Writer batches them to JSON lines.
//
// Close stops admitting requests at once, waits for the requests in flight
// (their observers and exposures included) and the shadow calls, and closes
// predictors that implement io.Closer; a Close whose context ended can be
// called again to finish.
//
// Preview tells, before a plan change is applied, how many units it would
// move and between which variants.
package router
