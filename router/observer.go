package router

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/varroute/varroute/strategy"
)

type atomicSnapshot[In, Out any] = atomic.Pointer[snapshot[In, Out]]

// An Outcome is what happened to one request: the decision, the variant
// that served, the assigned variant's failure and the latency. See
// strategy.Outcome.
type Outcome = strategy.Outcome

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

// AddObserver registers o to receive the outcome of every later request and
// returns a function that unregisters it. It is how a rollout controller
// watches a router.
func (r *Router[In, Out]) AddObserver(o Observer) (remove func()) {
	if o == nil {
		panic("router: AddObserver(nil)")
	}
	id := new(byte) // identity of this registration
	entry := observerEntry{o, id}
	r.updateObservers(func(obs []Observer) []Observer { return append(obs, entry) })
	return func() {
		r.updateObservers(func(obs []Observer) []Observer {
			return slices.DeleteFunc(obs, func(x Observer) bool {
				e, ok := x.(observerEntry)
				return ok && e.id == id
			})
		})
	}
}

// observerEntry wraps an observer added at run time with an identity, so
// that the same observer added twice is removed once per remove call.
type observerEntry struct {
	Observer
	id *byte
}

func (r *Router[In, Out]) updateObservers(f func([]Observer) []Observer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	s := *old
	s.observers = f(slices.Clone(old.observers))
	r.snap.Store(&s)
}
