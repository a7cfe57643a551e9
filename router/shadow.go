package router

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/varroute/varroute/internal/shadowpool"
	"github.com/varroute/varroute/shadow"
)

// shadowTask is one mirrored call, handed to the shadow pool by value.
type shadowTask[In, Out any] struct {
	v          *variant[In, Out] // entered: counted in flight until the call ends
	attrs      *attrs            // telemetry attributes of the request's plan
	pi, si     int               // primary's and shadow's variant index in that plan
	in         In
	primaryOut Out
	primary    string
	primaryLat time.Duration
	noiseFloor bool
}

// shadowing is the router's shadow machinery; it exists for every router
// (the pool starts no goroutine until the first mirrored call).
type shadowing[In, Out any] struct {
	pool    *shadowpool.Pool[shadowTask[In, Out]]
	agg     *shadow.Aggregator
	compare func(primary, shadow Out) bool
	sinks   []shadow.Sink[Out]
	copyIn  func(In) In
	tel     *telemetry
}

// newShadowing returns the shadow machinery cfg asks for, or an error naming
// the field of cfg that is wrong (the caller prefixes it with "router: ").
func newShadowing[In, Out any](cfg Config[In, Out], tel *telemetry) (*shadowing[In, Out], error) {
	sh := &shadowing[In, Out]{
		tel:     tel,
		agg:     shadow.NewAggregator(0.95),
		compare: cfg.Compare,
		copyIn:  cfg.CopyInput,
	}
	if sh.compare == nil {
		sh.compare = shadow.DeepEqual[Out]
	}
	for i, s := range cfg.ShadowSinks {
		if s == nil {
			return nil, fmt.Errorf("Config.ShadowSinks[%d] is nil", i)
		}
	}
	sh.sinks = append(sh.sinks, cfg.ShadowSinks...)
	pool, err := shadowpool.New(cfg.Shadow, sh.run)
	if err != nil {
		return nil, fmt.Errorf("Config.Shadow.%w", err)
	}
	sh.pool = pool
	return sh, nil
}

// run is the body of every shadow call, on a pool worker.
func (sh *shadowing[In, Out]) run(ctx context.Context, t shadowTask[In, Out]) error {
	defer t.v.exit()
	cctx, span := sh.tel.shadowSpan(ctx, shadow.Info{Primary: t.primary, Shadow: t.v.name, NoiseFloor: t.noiseFloor})
	out, c := callShadow(cctx, t.v, t.in, t.primaryOut, sh.compare)
	c.Primary, c.Shadow, c.NoiseFloor, c.PrimaryLatency = t.primary, t.v.name, t.noiseFloor, t.primaryLat
	if span != nil {
		endShadowSpan(span, &c)
	}
	sh.tel.recordShadow(ctx, t.attrs, t.pi, t.si, &c)
	sh.agg.Add(c)
	for _, s := range sh.sinks {
		s.Record(ctx, c, t.primaryOut, out)
	}
	if c.Panicked {
		return shadowpool.ErrPanic
	}
	return c.Err
}

// callShadow runs v as a shadow and compares its answer with the primary's:
// it calls the predictor as a request would (a panic becomes a *PanicError,
// an error is wrapped with the variant's name), compares the answer with
// equal (a panic there becomes a *PanicError too), measures the shadow's
// latency, and fills Agreed, ShadowLatency, Err, TimedOut and Panicked. out
// is the shadow's answer, zero when Err is not nil. TimedOut is judged
// against ctx's deadline.
func callShadow[In, Out any](ctx context.Context, v *variant[In, Out], in In, primary Out, equal func(primary, shadow Out) bool) (out Out, c shadow.Comparison) {
	start := time.Now()
	out, c.Err = v.invoke(ctx, in)
	if c.Err == nil {
		c.Agreed, c.Err = agree(v.name, equal, primary, out)
	}
	end := time.Now()
	c.ShadowLatency = end.Sub(start)
	if c.Err != nil {
		var zero Out
		out, c.Agreed = zero, false
		c.Panicked = errors.Is(c.Err, ErrPredictorPanic)
		c.TimedOut = !c.Panicked && errors.Is(c.Err, context.DeadlineExceeded)
	}
	if d, ok := ctx.Deadline(); ok && !end.Before(d) && !c.Panicked {
		c.TimedOut = true
	}
	return out, c
}

// agree calls equal, turning a panic into an error that wraps a *PanicError.
func agree[Out any](name string, equal func(primary, shadow Out) bool, primary, out Out) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("router: comparing shadow %q: %w", name, &PanicError{Variant: name, Value: r, Stack: debug.Stack()})
		}
	}()
	return equal(primary, out), nil
}

// mirror submits the unit's shadow calls (and its noise-floor call) after
// the primary served. It never blocks: a full pool drops the call, counted
// in ShadowStats.
func (r *Router[In, Out]) mirror(ctx context.Context, s *snapshot[In, Out], o *Outcome, mask uint8, served int, in In, out Out) {
	sh := r.shadow
	if sh.copyIn != nil {
		in = sh.copyIn(in)
	}
	for j := 0; mask != 0; j++ {
		if mask&(1<<j) == 0 {
			continue
		}
		mask &^= 1 << j
		r.submit(ctx, s, s.plan.Shadow(j), served, o, false, in, out)
	}
	if o.Decision.NoiseFloor {
		r.submit(ctx, s, served, served, o, true, in, out)
	}
}

// submit hands the call of the variant of index si to the shadow pool.
func (r *Router[In, Out]) submit(ctx context.Context, s *snapshot[In, Out], si, pi int, o *Outcome, noise bool, in In, out Out) {
	v := s.byIndex[si]
	if !v.enter() {
		return // retired: the plan that named it is gone
	}
	t := shadowTask[In, Out]{v: v, attrs: s.attrs, pi: pi, si: si, in: in, primaryOut: out, primary: o.Served, primaryLat: o.Latency, noiseFloor: noise}
	if !r.shadow.pool.TrySubmit(ctx, shadow.Info{Primary: o.Served, Shadow: v.name, NoiseFloor: noise}, t) {
		v.exit()
		if r.tel.dropped.Enabled(ctx) {
			r.tel.dropped.Add(ctx, 1, s.attrs.dropped[si].add...)
		}
	}
}

// ShadowReport returns the comparisons of every shadow so far: per (primary,
// shadow) pair the agreement rate with its Wilson interval, error and
// timeout rates, latencies of both sides, and the noise floor beside each.
func (r *Router[In, Out]) ShadowReport() shadow.Report { return r.shadow.agg.Report() }

// ShadowStats returns the shadow pool's counters: submitted, dropped
// (the pool was full), completed, errors, timed out, panicked, in flight.
func (r *Router[In, Out]) ShadowStats() shadow.Stats { return r.shadow.pool.Stats() }
