package varfeature

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/open-feature/go-sdk/openfeature"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
)

// A slot holds the plan of one flag. It is the strategy.Target of the flag's
// planfile.Watcher.
type slot struct {
	flag, path string
	cur        atomic.Pointer[compiled] // nil until a plan is applied
	lastErr    atomic.Pointer[error]    // the last refusal of the file
	announce   atomic.Bool              // changes are announced with events
}

// compiled is one plan of a flag, ready to decide: a router whose variants
// are no-op predictors, and what the plan says about how it decides.
type compiled struct {
	r *router.Router[struct{}, struct{}]
	// static: no rule and one variant of positive weight, so every unit
	// gets that variant.
	static bool
	// single: the default split has one variant of positive weight.
	single bool
	// The plan's and rules' names as interface values for flag metadata,
	// converted once rather than at every evaluation.
	planName any
	rules    map[string]any
}

// rule returns the name of a rule as an interface value.
func (c *compiled) rule(name string) any {
	if v, ok := c.rules[name]; ok {
		return v
	}
	return name
}

// Router reasons as interface values, for flag metadata.
var (
	reasonRule    any = string(router.ReasonRule)
	reasonDefault any = string(router.ReasonDefault)
	reasonNoKey   any = string(router.ReasonNoKey)
)

func boxedReason(r router.Reason) any {
	switch r {
	case router.ReasonRule:
		return reasonRule
	case router.ReasonDefault:
		return reasonDefault
	case router.ReasonNoKey:
		return reasonNoKey
	}
	return string(r)
}

var nothing = router.PredictorFunc[struct{}, struct{}](func(context.Context, struct{}) (struct{}, error) {
	return struct{}{}, nil
})

// SetPlan compiles p and makes it the flag's plan. It refuses a plan not
// named as the flag with a *strategy.Error on the field "name".
func (s *slot) SetPlan(p strategy.Plan) error {
	if p.Name != s.flag {
		return &strategy.Error{Path: "name", Err: fmt.Errorf(
			"varfeature: plan %q is in the file of flag %q; a plan must be named as its flag", p.Name, s.flag)}
	}
	vs := p.Variants()
	variants := make(map[string]router.Predictor[struct{}, struct{}], len(vs))
	for _, v := range vs {
		variants[v] = nothing
	}
	r, err := router.New(router.Config[struct{}, struct{}]{
		Variants:       variants,
		Plan:           p,
		MeterProvider:  metricnoop.NewMeterProvider(),
		TracerProvider: tracenoop.NewTracerProvider(),
	})
	if err != nil {
		return err
	}
	positive := 0
	for _, a := range p.Default {
		if a.Weight > 0 {
			positive++
		}
	}
	c := &compiled{r: r, single: positive == 1, planName: p.Name, rules: make(map[string]any, len(p.Rules))}
	for _, rule := range p.Rules {
		name := rule.Name
		if name == "" {
			name = rule.Audience // as the router names it
		}
		c.rules[name] = name
	}
	c.static = c.single && len(p.Rules) == 0
	if old := s.cur.Swap(c); old != nil {
		_ = old.r.Close(context.Background()) // decides only: nothing in flight to wait for
	}
	return nil
}

// refused records the error of a refused file.
func (s *slot) refused(err error) { s.lastErr.Store(&err) }

// reset forgets the plan and the last error.
func (s *slot) reset() {
	if old := s.cur.Swap(nil); old != nil {
		_ = old.r.Close(context.Background())
	}
	s.lastErr.Store(nil)
}

// unavailable returns the resolution error of a flag without a plan.
func (s *slot) unavailable() openfeature.ResolutionError {
	if e := s.lastErr.Load(); e != nil {
		return unavailableError(s.flag, *e)
	}
	return openfeature.NewProviderNotReadyResolutionError(fmt.Sprintf("varfeature: flag %q: plan file not read yet", s.flag))
}

// reason maps a decision to OpenFeature's reason (see the package
// documentation).
func (c *compiled) reason(d router.Decision) openfeature.Reason {
	switch {
	case c.static:
		return openfeature.StaticReason
	case d.Reason == router.ReasonRule:
		return openfeature.TargetingMatchReason
	case d.Reason == router.ReasonNoKey, c.single:
		return openfeature.DefaultReason
	default:
		return openfeature.SplitReason
	}
}
