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
// The router reports through the OpenTelemetry API (Config.MeterProvider,
// Config.TracerProvider; the globals by default, which cost nothing until
// an SDK is installed):
//
//	varroute.requests            {request}     plan, rule, variant, outcome (ok, fallback, error)
//	varroute.request.duration    s             plan, rule, variant, outcome
//	varroute.variant.errors      {error}       plan, rule, variant
//	varroute.fallbacks           {request}     plan, variant, served
//	varroute.shadow.comparisons  {comparison}  plan, primary, shadow, outcome (agree, disagree, error, timeout)
//	varroute.shadow.agreements   {comparison}  plan, primary, shadow, outcome
//	varroute.shadow.dropped      {call}        plan, shadow
//
// Attribute values come from the plan only; a unit key never appears. Each
// Predict gets a span "varroute.Predict" carrying the decision under the
// feature-flag semantic conventions (feature_flag.key is the plan,
// feature_flag.result.variant the variant, feature_flag.result.reason) and
// varroute.rule and varroute.reason; each shadow call gets a span
// "varroute.shadow", a new root linked to the request's span. Spans are
// made when the tracer provider at New is an SDK, or under a recording
// parent span.
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
