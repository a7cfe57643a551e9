// Package shadow holds what a user of a router's shadows touches: the marker
// a predictor reads to know it runs as a shadow, the comparators that decide
// agreement, the comparison record and its sinks, the aggregated report,
// and distribution drift. The router mirrors the requests (router.Config
// Shadow, Compare, ShadowSinks; router.ShadowReport, ShadowStats); this
// package runs no goroutine.
//
// # Knowing you are a shadow
//
// A router calls each shadow on a background worker after the primary has
// answered, with a context that keeps the request's values (trace spans,
// baggage) but not its cancellation, and has its own deadline
// (Config.Timeout). FromContext(ctx) returns the call's Info (primary,
// shadow, noise floor) and IsShadow(ctx) reports whether ctx is a shadow
// call, so a predictor with side effects (writes, emails, billing) can skip
// them. NewContext marks a context by hand, for tests and synchronous
// mirrors.
//
// # Never touching the user
//
// A shadow cannot delay, fail or change a primary response: the router
// hands each shadow call to a bounded pool without waiting (a full pool
// drops the call and counts it, see Config and Stats), recovers its panics,
// counts its errors and timeouts, and only ever compares its answer, never
// returns it.
//
// The shadow reads the request's input on another goroutine after the
// primary has returned. The caller must not mutate anything the input
// shares (slices, maps, pointed-to structs) once it has been handed to a
// router with shadows, nor reuse it for the next request (or must set
// router.Config.CopyInput); a predictor must not mutate its input either,
// since the primary and the shadow see the same value.
//
// # Comparing
//
// Comparators decide agreement: Equal, DeepEqual (the router's default),
// FloatTolerance and SliceTolerance for numbers, ArgmaxAgree and TopKAgree
// for classifier scores, and By to compare one part of an output. Each
// shadow call becomes a Comparison, which the router adds to its Aggregator
// and hands, with both outputs, to every Sink of router.Config.ShadowSinks.
// The Aggregator keeps, per (primary, shadow) pair, the agreement rate with
// its Wilson score interval (stats.Wilson), the error and timeout rates, and
// latency summaries for both sides, all without allocating per comparison.
//
// # Drift
//
// Agreement is judged one request at a time; drift looks at the whole
// distributions. Drift keeps a sliding window of (primary, shadow) numeric
// outputs, fed by DriftSink, and reports the population stability index
// (stats.PSI) and the two-sample Kolmogorov-Smirnov statistic (stats.KS)
// over it.
//
// # The noise floor
//
// Some models are not deterministic (sampling, dropout left on, float
// reductions in a varying order), so even a second call of the primary
// disagrees with the first now and then. Mirroring to the primary itself
// (Comparison.NoiseFloor) measures that rate, and the Aggregator reports it
// beside each candidate's, with the excess disagreement and its Newcombe
// interval (stats.Newcombe): only disagreement above the noise floor points
// at a regression.
package shadow
