package router

import (
	"context"
	"time"

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
	pool    *shadow.Pool[shadowTask[In, Out]]
	agg     *shadow.Aggregator
	compare func(primary, shadow Out) bool
	sinks   []shadow.Sink
	outs    []shadow.OutputSink[Out]
	copyIn  func(In) In
	tel     *telemetry
}

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
	for _, s := range cfg.ShadowSinks {
		if s == nil {
			continue
		}
		sh.sinks = append(sh.sinks, s)
		if o, ok := s.(shadow.OutputSink[Out]); ok {
			sh.outs = append(sh.outs, o)
		}
	}
	for _, o := range cfg.ShadowOutputs {
		if o != nil {
			sh.outs = append(sh.outs, o)
		}
	}
	pool, err := shadow.NewPool(cfg.Shadow, sh.run)
	if err != nil {
		return nil, err
	}
	sh.pool = pool
	return sh, nil
}

// run is the body of every shadow call, on a pool worker.
func (sh *shadowing[In, Out]) run(ctx context.Context, t shadowTask[In, Out]) error {
	defer t.v.exit()
	cctx, span := sh.tel.shadowSpan(ctx, shadow.Info{Primary: t.primary, Shadow: t.v.name, NoiseFloor: t.noiseFloor})
	out, c := shadow.Call(cctx, t.v.p, t.in, t.primaryOut, sh.compare)
	c.Primary, c.Shadow, c.NoiseFloor, c.PrimaryLatency = t.primary, t.v.name, t.noiseFloor, t.primaryLat
	if span != nil {
		endShadowSpan(span, &c)
	}
	sh.tel.recordShadow(ctx, t.attrs, t.pi, t.si, &c)
	sh.agg.Record(ctx, c)
	for _, s := range sh.sinks {
		s.Record(ctx, c)
	}
	for _, s := range sh.outs {
		s.RecordOutputs(ctx, c, t.primaryOut, out)
	}
	return c.Err
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
