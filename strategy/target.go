package strategy

import (
	"errors"
	"fmt"
)

// A Target receives plans: the ones a controller of package rollout decides,
// or the ones a planfile.Watcher reads. A router.Router is a Target; so is
// Targets, which fans one plan out to the routers of several replicas, and so
// is any adapter that publishes the plan to a shared source (a watched file,
// a Kubernetes ConfigMap) that every replica follows.
//
// # Many replicas
//
// A service usually runs several replicas, each with its own router. Run one
// controller for all of them — in one replica chosen as leader, or in a
// separate job — and let it publish through a Target that reaches every
// replica: Targets{...} of the routers when they share a process (as in
// tests), or an adapter that writes the plan to a shared source (a file, a
// ConfigMap) which each replica watches and passes to its router's SetPlan.
// Plans are pure data and assignment is a pure function of (plan name, unit
// key), so every replica routes each unit identically without coordination.
// Give the controller a Window that reads metrics aggregated across the
// replicas (see Window); its own Collector only sees the requests of the
// routers it observes.
//
// SetPlan must apply the plan, or return an error and leave the previous plan
// serving. A controller retries a plan that failed on its next Step, so
// SetPlan must be idempotent. It must not call back into the controller.
type Target interface {
	SetPlan(p Plan) error
}

// TargetFunc adapts an ordinary function to a Target.
type TargetFunc func(p Plan) error

// SetPlan calls f(p).
func (f TargetFunc) SetPlan(p Plan) error { return f(p) }

// Targets applies each plan to several targets, such as the routers of every
// replica a controller drives. SetPlan calls each target in order, even after
// one fails, and returns their errors joined; a failed target keeps its
// previous plan until the controller retries. A nil or empty Targets accepts
// every plan and applies it nowhere. Targets is safe for concurrent use if its
// targets are.
type Targets []Target

// SetPlan applies p to every target and returns the errors joined.
func (ts Targets) SetPlan(p Plan) error {
	var errs []error
	for i, t := range ts {
		if err := t.SetPlan(p); err != nil {
			errs = append(errs, fmt.Errorf("strategy: target %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}
