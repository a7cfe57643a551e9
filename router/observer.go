package router

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
)

type atomicSnapshot[In, Out any] = atomic.Pointer[snapshot[In, Out]]

// An Observer receives the Outcome of every request. The rollout
// controllers of package strategy are Observers. Observe is called on
// the request's goroutine after the response is ready, concurrently from
// many requests: it must be safe for concurrent use, fast, and must not
// retain o.Err's wrapped values beyond need.
type Observer interface {
	Observe(ctx context.Context, o Outcome)
}

// ObserverFunc adapts an ordinary function to an Observer.
type ObserverFunc func(ctx context.Context, o Outcome)

// Observe calls f(ctx, o).
func (f ObserverFunc) Observe(ctx context.Context, o Outcome) { f(ctx, o) }

// ErrNilObserver is returned by New and AddObserver for a nil Observer.
var ErrNilObserver = errors.New("router: nil observer")

// AddObserver registers o to receive the outcome of every later request and
// returns a function that unregisters it. It is how a rollout controller
// watches a router. It returns ErrNilObserver for a nil o and ErrClosed after
// Close.
func (r *Router[In, Out]) AddObserver(o Observer) (remove func(), err error) {
	if o == nil {
		return nil, ErrNilObserver
	}
	id := new(byte) // identity of this registration
	entry := observerEntry{o, id}
	if err := r.updateObservers(func(obs []Observer) []Observer { return append(obs, entry) }); err != nil {
		return nil, err
	}
	return func() {
		r.updateObservers(func(obs []Observer) []Observer {
			return slices.DeleteFunc(obs, func(x Observer) bool {
				e, ok := x.(observerEntry)
				return ok && e.id == id
			})
		})
	}, nil
}

// observerEntry wraps an observer added at run time with an identity, so
// that the same observer added twice is removed once per remove call.
type observerEntry struct {
	Observer
	id *byte
}

func (r *Router[In, Out]) updateObservers(f func([]Observer) []Observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	if old.closed {
		return ErrClosed
	}
	s := *old
	s.observers = f(slices.Clone(old.observers))
	r.snap.Store(&s)
	return nil
}
