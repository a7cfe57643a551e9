package router

import (
	"context"

	"github.com/varroute/varroute/internal/assign"
)

// pinned is a decision carried in a context: the snapshot it was made in,
// so every call of the request uses the same plan and variant.
type pinned[In, Out any] struct {
	snap     *snapshot[In, Out]
	decision Decision
	choice   assign.Choice
}

// pinKey is the context key of a router's pinned decision; each router has
// its own.
type pinKey[In, Out any] struct{ r *Router[In, Out] }

// Pin decides u under the current plan and returns a context that carries
// the decision. Every Predict or Serve of this router called with that
// context (or one derived from it) uses the pinned decision and plan,
// whatever Unit it is given, so the model calls of one request — a
// pipeline — all use the same variant and never see a mix of two plans
// during a swap. If a variant of the pinned plan is removed, or the router
// is closed, the calls decide again (or fail with ErrClosed). Pin
// allocates; Decide is its allocation-free counterpart.
func (r *Router[In, Out]) Pin(ctx context.Context, u Unit) (context.Context, Decision) {
	s := r.snap.Load()
	var d Decision
	ch := s.plan.Assign(u.Key, u.Attrs)
	s.decs.fill(&d, ch)
	return context.WithValue(ctx, pinKey[In, Out]{r}, &pinned[In, Out]{snap: s, decision: d, choice: ch}), d
}

// PinnedDecision returns the decision pinned in ctx for this router by Pin.
func (r *Router[In, Out]) PinnedDecision(ctx context.Context) (Decision, bool) {
	if p := pinnedFrom[In, Out](ctx, r); p != nil {
		return p.decision, true
	}
	return Decision{}, false
}

func pinnedFrom[In, Out any](ctx context.Context, r *Router[In, Out]) *pinned[In, Out] {
	p, _ := ctx.Value(pinKey[In, Out]{r}).(*pinned[In, Out])
	return p
}
