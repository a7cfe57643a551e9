package router

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// variant is a registered predictor with the accounting that lets the
// router retire it safely: calls in flight are counted, and once retired,
// new calls are refused and the last one to finish signals drained.
type variant[In, Out any] struct {
	name     string
	p        Predictor[In, Out]
	inflight atomic.Int64
	retired  atomic.Bool
	once     sync.Once
	drained  chan struct{}
	br       breaker // its state outlives plan changes
	openErr  error   // the failure of a call its open breaker refused
}

func newVariant[In, Out any](name string, p Predictor[In, Out]) *variant[In, Out] {
	return &variant[In, Out]{name: name, p: p, drained: make(chan struct{}),
		openErr: fmt.Errorf("router: variant %q: %w", name, ErrCircuitOpen)}
}

// enter registers a call in flight. It returns false if the variant is
// retired, in which case the caller holds a stale snapshot and must reload.
// The order (count, then check) pairs with retire (flag, then count), so a
// call that retire did not count sees the flag.
func (v *variant[In, Out]) enter() bool {
	v.inflight.Add(1)
	if v.retired.Load() {
		v.exit()
		return false
	}
	return true
}

func (v *variant[In, Out]) exit() {
	if v.inflight.Add(-1) == 0 && v.retired.Load() {
		v.once.Do(func() { close(v.drained) })
	}
}

// retire refuses new calls and returns a channel closed when none is in
// flight any more.
func (v *variant[In, Out]) retire() <-chan struct{} {
	v.retired.Store(true)
	if v.inflight.Load() == 0 {
		v.once.Do(func() { close(v.drained) })
	}
	return v.drained
}

// call runs the predictor, turning a panic into a *PanicError and wrapping
// errors with the variant's name. The caller has entered the variant and
// exits it when call returns.
func (v *variant[In, Out]) call(ctx context.Context, in In, timeout time.Duration) (Out, error) {
	if timeout <= 0 {
		return v.invoke(ctx, in)
	}
	return v.callTimeout(ctx, in, timeout)
}

func (v *variant[In, Out]) invoke(ctx context.Context, in In) (out Out, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Variant: v.name, Value: r, Stack: debug.Stack()}
		}
	}()
	out, err = v.p.Predict(ctx, in)
	if err != nil {
		err = fmt.Errorf("router: variant %q: %w", v.name, err)
	}
	return out, err
}

type result[Out any] struct {
	out Out
	err error
}

// callTimeout runs the predictor on its own goroutine so that one that
// ignores its context cannot hold the caller past the deadline. The
// goroutine stays counted in flight until the predictor returns, so
// RemoveVariant and Close wait for it.
func (v *variant[In, Out]) callTimeout(parent context.Context, in In, timeout time.Duration) (Out, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel() // after the select: a late predictor sees its context end
	done := make(chan result[Out], 1)
	v.inflight.Add(1) // the goroutine's own count: it may outlive the call
	go func() {
		defer v.exit()
		out, err := v.invoke(ctx, in)
		done <- result[Out]{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		select {
		case r := <-done: // answered just as the deadline passed
			return r.out, r.err
		default:
		}
		var zero Out
		if err := parent.Err(); err != nil {
			return zero, fmt.Errorf("router: variant %q: %w", v.name, err)
		}
		return zero, fmt.Errorf("router: variant %q: gave no answer within %v: %w", v.name, timeout, context.Cause(ctx))
	}
}
