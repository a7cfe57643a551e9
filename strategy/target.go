package strategy

import (
	"errors"
	"fmt"
)

// A Target receives the plans that a controller of package rollout or a
// planfile.Watcher decides: a *router.Router, Targets (one plan to several
// targets), or an adapter that publishes the plan to a shared file or
// ConfigMap.
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
