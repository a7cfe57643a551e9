package shadow

import (
	"context"
	"errors"
	"runtime/debug"
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
	// (or its panic).
	ShadowLatency time.Duration `json:"shadow_latency"`
	// Err is the shadow's error; nil on success. A panic is a *PanicError.
	Err error `json:"-"`
	// TimedOut reports that the shadow missed its deadline: it returned an
	// error matching context.DeadlineExceeded, or returned after the
	// deadline of its context.
	TimedOut bool `json:"timed_out,omitempty"`
	// Panicked reports that the shadow (or the comparator) panicked.
	Panicked bool `json:"panicked,omitempty"`
}

// A Sink receives comparisons. Record is called from pool workers, possibly
// concurrently, so implementations must be safe for concurrent use; they
// should return quickly (a slow Sink holds a worker and so lowers the share
// of traffic that gets mirrored). ctx is the shadow call's context: it
// carries the request's values (trace spans) and may already be done.
type Sink interface {
	Record(ctx context.Context, c Comparison)
}

// SinkFunc adapts an ordinary function to a Sink.
type SinkFunc func(ctx context.Context, c Comparison)

// Record calls f(ctx, c).
func (f SinkFunc) Record(ctx context.Context, c Comparison) { f(ctx, c) }

// An OutputSink receives each comparison together with both outputs, for
// analyses that need the values themselves (Drift, logging disagreements).
// It is the optional companion of Sink: a caller holding a Sink may detect
// OutputSink with a type assertion. The same concurrency rules apply.
type OutputSink[Out any] interface {
	RecordOutputs(ctx context.Context, c Comparison, primary, shadow Out)
}

// OutputSinkFunc adapts an ordinary function to an OutputSink.
type OutputSinkFunc[Out any] func(ctx context.Context, c Comparison, primary, shadow Out)

// RecordOutputs calls f(ctx, c, primary, shadow).
func (f OutputSinkFunc[Out]) RecordOutputs(ctx context.Context, c Comparison, primary, shadow Out) {
	f(ctx, c, primary, shadow)
}

// A Predictor returns a prediction for in. It has the method set of
// router.Predictor, so any router predictor is one. Implementations must be
// safe for concurrent use.
type Predictor[In, Out any] interface {
	Predict(ctx context.Context, in In) (Out, error)
}

// Call runs one shadow call synchronously and compares its answer with the
// primary's: it calls p.Predict(ctx, in), recovers a panic (in the predictor
// or in equal) into a *PanicError, measures the shadow's latency, and fills
// Agreed, ShadowLatency, Err, TimedOut and Panicked of the returned
// Comparison. The caller fills Primary, Shadow, NoiseFloor and
// PrimaryLatency. out is the shadow's answer (zero on error or panic).
//
// Call is meant to be the body of a Pool's run function; ctx should be the
// call's context (so TimedOut is judged against its deadline). A nil equal
// means DeepEqual. Call itself does not allocate unless the call panics.
// It is safe for concurrent use if p and equal are.
func Call[In, Out any](ctx context.Context, p Predictor[In, Out], in In, primary Out, equal func(primary, shadow Out) bool) (out Out, c Comparison) {
	if equal == nil {
		equal = DeepEqual[Out]
	}
	start := time.Now()
	out, c.Agreed, c.Err = protectCall(ctx, p, in, primary, equal)
	end := time.Now()
	c.ShadowLatency = end.Sub(start)
	if c.Err != nil {
		c.Agreed = false
		c.Panicked = errors.Is(c.Err, ErrPanic)
		c.TimedOut = !c.Panicked && errors.Is(c.Err, context.DeadlineExceeded)
	}
	if d, ok := ctx.Deadline(); ok && !end.Before(d) && !c.Panicked {
		c.TimedOut = true
	}
	return out, c
}

func protectCall[In, Out any](ctx context.Context, p Predictor[In, Out], in In, primary Out, equal func(primary, shadow Out) bool) (out Out, agreed bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			var zero Out
			out, agreed, err = zero, false, &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	out, err = p.Predict(ctx, in)
	if err != nil {
		return out, false, err
	}
	return out, equal(primary, out), nil
}
