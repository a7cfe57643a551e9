// Package shadow mirrors requests to shadow variants in the background,
// compares their answers with the primary's and records the comparisons,
// without the user being able to tell that a shadow exists.
//
// # The pool
//
// A Pool[T] runs shadow calls on at most Config.MaxInFlight worker
// goroutines (default 64), started on demand and owned by the pool.
// TrySubmit admits a task only if fewer than MaxInFlight are in flight (an
// atomic compare-and-swap that never overshoots), then hands it to a worker
// through a channel whose capacity is that same bound, so the send never
// blocks; when the bound is reached it returns false at once and counts a
// drop. The primary never waits for a shadow, and under overload the pool
// sheds work instead of queueing it: memory stays flat and in-flight calls
// never exceed the bound. Stats reports exact counters: submitted, dropped,
// completed, errors, timed out, panicked, in flight. Close(ctx) stops
// intake, waits for in-flight calls until ctx ends, then cancels the calls
// still running; after Close returns nil no goroutine of the pool is left.
//
// # The call's context
//
// Each call runs with its own context, built in a single allocation:
//   - it keeps the submitter's values, so trace spans and baggage survive
//     and a shadow span can link to the request's span;
//   - it is detached from the submitter's cancellation and deadline, as with
//     context.WithoutCancel: the request ending does not stop the shadow;
//   - its deadline is Config.Timeout (default one second) after the call
//     starts; a call that returns after it, or returns an error matching
//     context.DeadlineExceeded, counts as timed out;
//   - it is marked as a shadow call: FromContext(ctx) returns the Info the
//     task was submitted with (primary, shadow, noise floor), so a predictor
//     with side effects (writes, emails, billing) can skip them;
//   - it is cancelled when the call returns, so goroutines the predictor
//     started with it are told to stop.
//
// # Never touching the user
//
// A shadow cannot delay, fail or change a primary response: submission is
// an atomic admission and a channel send that cannot block, without
// allocation; the shadow runs on a
// pool worker; its panics are recovered (Stats.Panicked, Config.OnPanic,
// *PanicError), its errors and timeouts are counted and recorded, and its
// answer is only ever compared, never returned. The only shared resources
// are CPU and memory, which the bound limits.
//
// # Inputs must not change
//
// The task, and with it the request's input, is read by the shadow on
// another goroutine after the primary has returned, possibly after the
// caller has moved on. The caller must not mutate anything the input shares
// (slices, maps, pointed-to structs) once it has been handed to a router with
// shadows, nor reuse it for the next request; a predictor must not mutate its
// input either, since the primary and the shadow see the same value. Inputs
// that are reused must be copied first (the router offers a copy hook for
// that).
//
// # Comparing
//
// Call runs a Predictor as a shadow and compares its answer with the
// primary's, turning a panic into a *PanicError and filling a Comparison.
// Comparisons go to a Sink (OutputSink also receives both outputs). The
// Aggregator is a Sink that keeps, per (primary, shadow) pair, the agreement
// rate with its Wilson score interval, the error and timeout rates, and
// latency summaries for both sides, all without allocating per record.
//
// Comparators decide agreement: Equal, DeepEqual (the default), FloatTolerance
// and SliceTolerance for numbers, ArgmaxAgree and TopKAgree for classifier
// scores, and By to compare one part of an output.
//
// # Drift
//
// Agreement is judged one request at a time; drift looks at the whole
// distributions. PSI (population stability index) and KS (two-sample
// Kolmogorov-Smirnov statistic) compare the primary's and the shadow's
// numeric outputs, and Drift keeps a sliding window of pairs, fed from an
// OutputSink or a comparator, and reports both figures over it.
//
// # The noise floor
//
// Some models are not deterministic (sampling, dropout left on, float
// reductions in a varying order), so even a second call of the primary
// disagrees with the first now and then. Mirroring to the primary itself
// (Comparison.NoiseFloor) measures that rate, and the Aggregator reports it
// beside each candidate's, with the excess disagreement and its Newcombe
// interval: only disagreement above the noise floor points at a regression.
package shadow
