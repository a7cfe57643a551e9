package shadow

import "time"

// Defaults for the zero fields of Config.
const (
	// DefaultMaxInFlight is the bound on concurrent shadow calls when
	// Config.MaxInFlight is zero.
	DefaultMaxInFlight = 64
	// DefaultTimeout is the per-call timeout when Config.Timeout is zero.
	DefaultTimeout = time.Second
)

// Config bounds the shadow calls of a router (router.Config.Shadow). The
// router runs them on a pool of at most MaxInFlight worker goroutines,
// started on demand; a call that finds the pool full is dropped and counted,
// never waited for. The zero Config is valid: 64 calls in flight, a
// one-second timeout.
type Config struct {
	// MaxInFlight bounds the number of shadow calls running at once; it is
	// also the number of worker goroutines the pool may start. Zero means
	// DefaultMaxInFlight. Negative or above 2^20 is an error.
	MaxInFlight int
	// Timeout bounds each call: its context's deadline is Timeout after the
	// call starts, whatever the request's own deadline. Zero means
	// DefaultTimeout; there is no way to run without a deadline (use a
	// large value). Negative is an error.
	Timeout time.Duration
}

// Stats are the counters of a router's shadow calls (router.ShadowStats).
// Each is exact; a Stats value is read field by field, so while calls run
// the fields may be from slightly different instants. Once the router is
// closed these identities hold:
//
//	Submitted + Dropped = number of shadow calls attempted
//	Submitted = Completed + InFlight
//	Completed >= Errors + TimedOut + Panicked (the three are disjoint)
type Stats struct {
	// Submitted counts calls accepted by the pool.
	Submitted int64 `json:"submitted"`
	// Dropped counts calls refused because the pool was full or closed.
	Dropped int64 `json:"dropped"`
	// Completed counts calls that ended, whatever the outcome.
	Completed int64 `json:"completed"`
	// Errors counts calls that returned an error other than a timeout or a
	// panic (including calls cancelled by Close).
	Errors int64 `json:"errors"`
	// TimedOut counts calls that returned after their deadline or returned
	// an error matching context.DeadlineExceeded.
	TimedOut int64 `json:"timed_out"`
	// Panicked counts calls in which the shadow predictor, the comparator
	// or a sink panicked.
	Panicked int64 `json:"panicked"`
	// InFlight is the number of accepted calls not yet completed (running,
	// or handed to a worker that is about to run them); never above
	// MaxInFlight.
	InFlight int64 `json:"in_flight"`
}
