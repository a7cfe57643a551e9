package shadow

import (
	"context"
	"time"
)

// A Comparison records one shadow call: which variants took part, whether
// the shadow agreed with the primary, how long each took, and how the shadow
// failed if it did. It is plain data; the zero Comparison is a record with no
// names, no agreement and no failure.
type Comparison struct {
	// Primary names the variant whose answer the user got.
	Primary string `json:"primary"`
	// Shadow names the mirrored variant. For a noise-floor call it equals
	// Primary.
	Shadow string `json:"shadow"`
	// NoiseFloor reports that the shadow call was a second call of the
	// primary itself, measuring the primary's own disagreement.
	NoiseFloor bool `json:"noise_floor,omitempty"`
	// Agreed reports that the shadow returned without error and the
	// comparator judged its answer equal to the primary's. False whenever
	// Err is not nil.
	Agreed bool `json:"agreed"`
	// PrimaryLatency is how long the primary call took.
	PrimaryLatency time.Duration `json:"primary_latency"`
	// ShadowLatency is how long the shadow call took, up to its return
	// (or its panic), comparison included.
	ShadowLatency time.Duration `json:"shadow_latency"`
	// Err is the shadow's error; nil on success. A panic of the shadow's
	// predictor or of the comparator is a *router.PanicError.
	Err error `json:"-"`
	// TimedOut reports that the shadow missed its deadline: it returned an
	// error matching context.DeadlineExceeded, or returned after the
	// deadline of its context.
	TimedOut bool `json:"timed_out,omitempty"`
	// Panicked reports that the shadow (or the comparator) panicked.
	Panicked bool `json:"panicked,omitempty"`
}

// A Sink receives every comparison of a router's shadows together with both
// outputs (router.Config.ShadowSinks): the primary's answer, which the user
// got, and the shadow's, which is zero when c.Err is not nil. A sink that
// needs only the comparison ignores the outputs.
//
// Record is called on the shadow pool's workers, possibly concurrently, so
// implementations must be safe for concurrent use; they should return
// quickly (a slow Sink holds a worker and so lowers the share of traffic
// that gets mirrored). ctx is the shadow call's context: it carries the
// request's values (trace spans) and may already be done. The outputs are
// shared with the router's caller and must not be modified.
type Sink[Out any] interface {
	Record(ctx context.Context, c Comparison, primary, shadow Out)
}

// SinkFunc adapts an ordinary function to a Sink.
type SinkFunc[Out any] func(ctx context.Context, c Comparison, primary, shadow Out)

// Record calls f(ctx, c, primary, shadow).
func (f SinkFunc[Out]) Record(ctx context.Context, c Comparison, primary, shadow Out) {
	f(ctx, c, primary, shadow)
}
