package router

import (
	"context"
	"slices"
	"sync/atomic"
	"time"
)

type atomicSnapshot[In, Out any] = atomic.Pointer[snapshot[In, Out]]

// An Outcome is what happened to one request.
type Outcome struct {
	// Decision is the routing decision; Decision.Variant is the variant
	// assigned to the unit.
	Decision Decision
	// Served is the variant that produced the response: Decision.Variant,
	// or a fallback when the assigned variant failed. It is "" when no
	// variant produced a response.
	Served string
	// Failure is the assigned variant's error when it failed, whether or
	// not a fallback then served; nil when it succeeded.
	Failure error
	// Err is the error returned to the caller; nil when a variant served.
	Err error
	// Latency is the time from the decision to the response, fallbacks
	// included. It is measured only when someone reads it (Serve, or an
	// observer is registered) and is 0 otherwise.
	Latency time.Duration
}

// FellBack reports whether a fallback, not the assigned variant, served.
// An intent-to-treat analysis counts the request for Decision.Variant
// anyway; a per-protocol analysis excludes it.
func (o Outcome) FellBack() bool { return o.Served != "" && o.Served != o.Decision.Variant }

// An Observer receives the Outcome of every request. Observe is called on
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
