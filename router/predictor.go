package router

import (
	"context"
	"errors"
	"fmt"

	"github.com/varroute/varroute/audience"
	"github.com/varroute/varroute/strategy"
)

// A Predictor returns a prediction for in. Implementations must be safe for
// concurrent use. A Predictor that also implements io.Closer is closed when
// the router retires it (RemoveVariant) or closes (Close).
type Predictor[In, Out any] interface {
	Predict(ctx context.Context, in In) (Out, error)
}

// PredictorFunc adapts an ordinary function to a Predictor.
type PredictorFunc[In, Out any] func(context.Context, In) (Out, error)

// Predict calls f(ctx, in).
func (f PredictorFunc[In, Out]) Predict(ctx context.Context, in In) (Out, error) {
	return f(ctx, in)
}

// A Unit is what a request is routed by: the key that sticky assignment
// hashes (a user, account or device id) and the attributes audiences match.
// Build it per request; a Unit whose Attrs is a composite literal does not
// allocate.
//
// A Unit with an empty Key is never hashed (that would put every anonymous
// request in one bucket): it still matches rules by its attributes, and gets
// the majority variant of its split with reason ReasonNoKey.
type Unit struct {
	Key   string
	Attrs audience.Attributes
}

// Errors returned by the router. Variant errors are wrapped with the
// variant's name; match them with errors.Is.
var (
	// ErrPredictorPanic is matched by the error returned when a predictor
	// panics. The error is a *PanicError with the value and stack.
	ErrPredictorPanic = errors.New("router: predictor panicked")
	// ErrClosed is returned by calls on a closed router.
	ErrClosed = errors.New("router: closed")
	// ErrUnknownVariant is returned for a variant the router does not know.
	// It is strategy.ErrUnknownVariant, so plan errors match it too.
	ErrUnknownVariant = strategy.ErrUnknownVariant
	// ErrVariantExists is returned by AddVariant for a name already in use.
	ErrVariantExists = errors.New("router: variant already registered")
	// ErrVariantInUse is returned by RemoveVariant for a variant the current
	// plan routes to (in a split, as a fallback or as a shadow).
	ErrVariantInUse = errors.New("router: variant in use by the current plan")
)

// A PanicError is the error a predictor's panic becomes. It matches
// ErrPredictorPanic.
type PanicError struct {
	Variant string // the variant whose predictor panicked
	Value   any    // the value passed to panic
	Stack   []byte // the goroutine's stack at the panic
}

// Error describes the panic and the variant that raised it.
func (e *PanicError) Error() string {
	return fmt.Sprintf("router: variant %q: predictor panicked: %v", e.Variant, e.Value)
}

// Is reports whether target is ErrPredictorPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPredictorPanic }
