package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/varroute/varroute/exposure"
	"github.com/varroute/varroute/internal/assign"
	"github.com/varroute/varroute/shadow"
	"github.com/varroute/varroute/strategy"
)

// Config configures a Router. Variants and Plan are required; every other
// zero field means: no per-call timeout, no observer, shadow calls bounded
// by the shadow package's defaults and compared with shadow.DeepEqual.
type Config[In, Out any] struct {
	// Variants maps each variant's name to the predictor that serves it.
	// More can be added later with AddVariant.
	Variants map[string]Predictor[In, Out]
	// Plan decides which variant serves which unit. It is validated, and
	// every variant it names must be in Variants.
	Plan strategy.Plan
	// Timeout bounds each variant call; a call that passes it fails (and
	// its fallback, if any, serves). With a Timeout, each call runs on its
	// own goroutine so that a predictor that ignores its context cannot
	// hold the caller past the deadline; that costs a goroutine and a few
	// allocations per call. Zero means only ctx applies and the call runs
	// on the caller's goroutine.
	Timeout time.Duration
	// Observers receive the Outcome of every request, synchronously, on the
	// request's goroutine, after the response is ready: keep them cheap.
	// Nil means none. More can be added with AddObserver.
	Observers []Observer

	// Shadow bounds the calls mirrored to the plan's shadows: at most
	// MaxInFlight at once (more are dropped and counted, never waited
	// for), each with its own Timeout. The zero value means 64 calls and a
	// one-second timeout. See package shadow.
	Shadow shadow.Config
	// Compare decides whether a shadow's answer agrees with the primary's.
	// Nil means shadow.DeepEqual; see shadow.FloatTolerance,
	// shadow.ArgmaxAgree and shadow.By for others.
	Compare func(primary, shadow Out) bool
	// ShadowSinks receive every comparison with both outputs, on the shadow
	// pool's workers: a log of disagreements, shadow.DriftSink for
	// distribution drift, another shadow.Aggregator. A nil element is an
	// error. Nil means only the built-in aggregator (ShadowReport) records
	// the comparisons.
	ShadowSinks []shadow.Sink[Out]
	// CopyInput, if not nil, is called on the request's goroutine to copy
	// the input before it is handed to shadows. A shadow reads its input
	// on another goroutine after Predict has returned, so callers that
	// reuse or mutate inputs (buffers from a pool, for example) must either
	// set CopyInput or stop doing so. Nil means shadows get the same In.
	CopyInput func(In) In

	// Exposures receives one exposure (time, plan, rule, variant, unit
	// key) per routed request, on the request's goroutine, so an analysis
	// job can join assignments with outcomes; see exposure.Writer. The key
	// is copied for it (one allocation per request). Nil means none.
	Exposures exposure.Logger
	// MeterProvider receives the router's metrics: observable instruments
	// that read the router's own aggregates when the provider collects, so
	// an installed SDK adds nothing per request (see Metrics). Nil means
	// otel.GetMeterProvider(), a no-op until the application installs an
	// SDK.
	MeterProvider metric.MeterProvider
	// Logger receives the circuit breakers' transitions. Nil means
	// slog.Default().
	Logger *slog.Logger
	// LatencyHistogram also records each request's latency in the
	// synchronous OpenTelemetry histogram varroute.request.duration, for
	// backends that want latency distributions from OpenTelemetry itself.
	// It is the one per-request SDK call: it costs what the SDK's Record
	// costs (see BENCHMARKS.md). False means latencies are exported as a
	// sum (varroute.request.duration.sum) and as histograms through
	// Metrics and the Prometheus collector of contrib/prometheus.
	LatencyHistogram bool
	// TracerProvider supplies the router's spans. Nil means
	// otel.GetTracerProvider(), a no-op until the application installs an
	// SDK.
	TracerProvider trace.TracerProvider
}

// A Router routes each request to one of several variants of a model
// according to a Plan. It is safe for concurrent use. The plan and the set
// of variants can change while it serves: each request reads one immutable
// snapshot of both, so it never sees half of a change.
type Router[In, Out any] struct {
	snap    atomicSnapshot[In, Out]
	timeout time.Duration
	shadow  *shadowing[In, Out]
	expo    exposure.Logger
	tel     *telemetry
	mu      sync.Mutex   // serializes changes; never held by requests
	revs    []*planStats // aggregates of the kept plan revisions, oldest first; guarded by mu
	clock   routerClock
	logger  *slog.Logger

	closeOnce sync.Once // closes the predictors
	closeErr  error     // the predictors' Close errors, set in closeOnce
}

// snapshot is the immutable state a request reads.
type snapshot[In, Out any] struct {
	plan      *assign.Table
	decs      decisions           // the plan's Decisions
	byIndex   []*variant[In, Out] // by the plan's variant index
	registry  map[string]*variant[In, Out]
	observers []Observer
	attrs     *attrs           // shadow telemetry attribute sets of this plan
	stats     *planStats       // the aggregates of this plan's revision
	breakers  []*breakerConfig // by the plan's variant index; nil: no breaker
	closed    bool
}

// New validates cfg and returns a Router serving cfg.Plan. It returns an
// error naming the field if the plan is invalid or refers to a variant
// missing from cfg.Variants.
func New[In, Out any](cfg Config[In, Out]) (*Router[In, Out], error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("router: Config.Timeout is %v, want >= 0", cfg.Timeout)
	}
	reg := make(map[string]*variant[In, Out], len(cfg.Variants))
	for name, p := range cfg.Variants {
		if err := checkVariant(name, p); err != nil {
			return nil, err
		}
		reg[name] = newVariant(name, p)
	}
	for i, o := range cfg.Observers {
		if o == nil {
			return nil, fmt.Errorf("%w: Config.Observers[%d]", ErrNilObserver, i)
		}
	}
	r := &Router[In, Out]{timeout: cfg.Timeout, expo: cfg.Exposures, clock: routerClock{epoch: time.Now()}, logger: cfg.Logger}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	s, err := r.build(cfg.Plan, reg)
	if err != nil {
		return nil, err
	}
	r.tel, err = newTelemetry(cfg.MeterProvider, cfg.TracerProvider, cfg.LatencyHistogram, r.revisions, r.Breakers)
	if err != nil {
		return nil, fmt.Errorf("router: telemetry: %w", err)
	}
	r.shadow, err = newShadowing(cfg, r.tel)
	if err != nil {
		r.tel.close()
		return nil, fmt.Errorf("router: %w", err)
	}
	s.observers = append([]Observer(nil), cfg.Observers...)
	r.snap.Store(s)
	return r, nil
}

func checkVariant[In, Out any](name string, p Predictor[In, Out]) error {
	if name == "" {
		return errors.New("router: empty variant name")
	}
	if p == nil {
		return fmt.Errorf("router: variant %q: nil predictor", name)
	}
	return nil
}

// build compiles p against the registry into a new snapshot that shares the
// registry.
func (r *Router[In, Out]) build(p strategy.Plan, reg map[string]*variant[In, Out]) (*snapshot[In, Out], error) {
	if err := p.CheckVariants(func(v string) bool { return reg[v] != nil }); err != nil {
		return nil, err
	}
	c, err := assign.Compile(p)
	if err != nil {
		return nil, err
	}
	s := &snapshot[In, Out]{plan: c, decs: newDecisions(c), registry: reg, attrs: newAttrs(c), stats: r.statsFor(c)}
	p = c.Plan()
	s.breakers = make([]*breakerConfig, len(c.Variants()))
	for i, name := range c.Variants() {
		s.byIndex = append(s.byIndex, reg[name])
		if b, ok := p.Breakers[name]; ok || c.Fallback(i) >= 0 {
			s.breakers[i] = compileBreaker(b)
		}
	}
	return s, nil
}

// Decide returns the decision for u under the current plan without calling
// any predictor: routing can be unit-tested without models. It allocates
// nothing.
func (r *Router[In, Out]) Decide(u Unit) (d Decision) {
	s := r.snap.Load()
	s.decs.fill(&d, s.plan.Assign(u.Key, u.Attrs))
	return d
}

// Predict routes u to a variant and returns its prediction for in. If the
// variant fails and the plan names a fallback for it, the fallback's answer
// is returned instead (use Serve to learn which variant served). A
// predictor's panic is returned as an error matching ErrPredictorPanic.
// After Close, Predict returns ErrClosed.
func (r *Router[In, Out]) Predict(ctx context.Context, u Unit, in In) (Out, error) {
	out, _, err := r.serve(ctx, u, in)
	return out, err
}

// Serve is Predict that also returns the Outcome: the decision, the variant
// that served, the assigned variant's failure if a fallback served, and the
// latency.
func (r *Router[In, Out]) Serve(ctx context.Context, u Unit, in In) (Out, Outcome, error) {
	return r.serve(ctx, u, in)
}

func (r *Router[In, Out]) serve(ctx context.Context, u Unit, in In) (Out, Outcome, error) {
	var o Outcome
	var zero Out
	pin := pinnedFrom[In, Out](ctx, r)
	for {
		o = Outcome{} // a retry after a stale snapshot starts afresh
		var s *snapshot[In, Out]
		var ch assign.Choice
		if pin != nil {
			s, ch, o.Decision = pin.snap, pin.choice, pin.decision
		} else {
			s = r.snap.Load()
			if s.closed {
				return zero, o, ErrClosed
			}
			ch = s.plan.Assign(u.Key, u.Attrs)
			s.decs.fill(&o.Decision, ch)
		}
		o.UnitHash = ch.Key
		// The assigned variant stays entered for the whole request, observers
		// and exposures included, so that Close and RemoveVariant wait for
		// everything a served request still does.
		v := s.byIndex[ch.Variant]
		if v.enter() {
			out, err, retry := r.attempt(ctx, s, v, &ch, u.Key, in, &o)
			if !retry {
				return out, o, err
			}
		}
		pin = nil // a variant of this snapshot was retired: decide again
		if r.snap.Load().closed {
			return zero, o, ErrClosed
		}
	}
}

// attempt serves one request under snapshot s, with the assigned variant v
// entered; it exits v when the request is done. It reports retry when a
// fallback of s was retired meanwhile.
//
// It reads the monotonic clock twice, for the latency, and the wall clock
// only when exposures are logged (time.Now reads both clocks, and a clock
// read is a visible share of a request): every request adds its latency to
// the router's aggregates.
func (r *Router[In, Out]) attempt(ctx context.Context, s *snapshot[In, Out], v *variant[In, Out], ch *assign.Choice, key string, in In, o *Outcome) (out Out, err error, retry bool) {
	defer v.exit()
	cctx, span := r.tel.startSpan(ctx, s.stats, &o.Decision)
	start := r.clock.now() // monotonic only: one clock read, not time.Now's two
	out, served, err := r.call(cctx, s, ch.Variant, in, o)
	if served == stale {
		if span != nil {
			span.End()
		}
		return out, nil, true
	}
	o.Latency = time.Duration(r.clock.now() - start)
	o.Err = err
	outcome := outcomeOK
	switch {
	case o.Failure == v.openErr:
		outcome = outcomeCircuitOpen
	case err != nil:
		outcome = outcomeError
	case served != ch.Variant:
		outcome = outcomeFallback
	}
	s.stats.record(ch, outcome, served, o.Latency)
	r.tel.recordLatency(ctx, s.stats, ch, outcome, o.Latency.Seconds())
	if span != nil {
		endSpan(span, o)
	}
	if err == nil && (ch.Shadows() != 0 || ch.Noise()) {
		r.mirror(cctx, s, o, ch.Shadows(), served, in, out)
	}
	if r.expo != nil {
		r.expose(ctx, time.Now().Add(-o.Latency), key, o, outcome == outcomeCircuitOpen)
	}
	for _, ob := range s.observers {
		ob.Observe(ctx, *o)
	}
	return out, err, false
}

// expose logs the request's exposure. The key is cloned: handing u.Key
// itself to an interface would make every Unit escape, attributes
// included, and cost an allocation on every request.
//
// Its reason is the decision's, or OutcomeCircuitOpen ("circuit-open") when
// the assigned variant's breaker was open: the unit counts for its assigned
// variant (intent to treat) and an analysis can tell the failover apart.
func (r *Router[In, Out]) expose(ctx context.Context, at time.Time, key string, o *Outcome, circuitOpen bool) {
	e := exposure.Exposure{
		Time:    at,
		Plan:    o.Decision.Plan,
		Rule:    o.Decision.Rule,
		Variant: o.Decision.Variant,
		Reason:  string(o.Decision.Reason),
		Unit:    strings.Clone(key),
	}
	if o.FellBack() {
		e.Served = o.Served
	}
	if circuitOpen {
		e.Reason = OutcomeCircuitOpen
	}
	r.expo.Log(ctx, e)
}

// stale is the served index call returns when the snapshot is stale.
const stale = -2

// call calls the variant of index vi, which the caller has entered, and,
// while it fails and the plan names a fallback, the fallback. It records the
// served variant and the assigned variant's failure in o.
func (r *Router[In, Out]) call(ctx context.Context, s *snapshot[In, Out], vi int, in In, o *Outcome) (Out, int, error) {
	var zero Out
	for hops := 0; ; hops++ {
		v := s.byIndex[vi]
		if hops > 0 && !v.enter() {
			return zero, stale, nil
		}
		var out Out
		var err error
		bc := s.breakers[vi]
		switch {
		case bc == nil:
			out, err = v.call(ctx, in, r.timeout)
		case v.br.state.Load() == stClosed && bc.rate == 0:
			// The closed breaker's fast path: a load before the call, and
			// one after a success.
			out, err = v.call(ctx, in, r.timeout)
			if err == nil {
				if v.br.fails.Load() != 0 {
					v.br.fails.Store(0)
				}
			} else if ctx.Err() == nil {
				v.br.done(&r.clock, bc, v.name, true, false, r.logger)
			}
		default:
			r.callBreaker(ctx, v, bc, in, &out, &err)
		}
		if hops > 0 {
			v.exit()
		}
		if err == nil {
			o.Served = v.name
			return out, vi, nil
		}
		if hops == 0 {
			o.Failure = err
		}
		next := s.plan.Fallback(vi)
		if next < 0 || ctx.Err() != nil || hops >= len(s.byIndex) {
			return zero, vi, err
		}
		vi = next
	}
}

// SetPlan validates p against the registered variants and, if it is valid,
// makes it the current plan atomically: each request sees either the old
// plan or the new one. On error the old plan keeps serving; the error names
// the field (see strategy.Error).
func (r *Router[In, Out]) SetPlan(p strategy.Plan) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	if old.closed {
		return ErrClosed
	}
	s, err := r.build(p, old.registry)
	if err != nil {
		return err
	}
	s.observers = old.observers
	r.snap.Store(s)
	return nil
}

// Plan returns a copy of the current plan.
func (r *Router[In, Out]) Plan() strategy.Plan { return r.snap.Load().plan.Plan() }

// Variants returns the names of the registered variants, in no order.
func (r *Router[In, Out]) Variants() []string {
	return collectKeys(r.snap.Load().registry)
}

func collectKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names
}

// AddVariant registers a predictor under name while the router serves — a
// model loaded at run time, such as a new build fetched from a registry —
// so that a following SetPlan can route to it. It returns ErrVariantExists
// if the name is taken.
func (r *Router[In, Out]) AddVariant(name string, p Predictor[In, Out]) error {
	if err := checkVariant(name, p); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	if old.closed {
		return ErrClosed
	}
	if old.registry[name] != nil {
		return fmt.Errorf("%w: %q", ErrVariantExists, name)
	}
	reg := maps.Clone(old.registry)
	reg[name] = newVariant(name, p)
	s := *old
	s.registry = reg
	r.snap.Store(&s)
	return nil
}

// RemoveVariant retires a variant: it refuses with ErrVariantInUse while the
// current plan refers to it (in a split, even with weight 0, as a fallback
// or as a shadow), unregisters it, waits for its calls in flight to return,
// and then closes its predictor if it implements io.Closer, returning the
// Close error. If ctx ends first, RemoveVariant returns ctx's error and the
// variant stays unregistered but is not closed.
func (r *Router[In, Out]) RemoveVariant(ctx context.Context, name string) error {
	r.mu.Lock()
	old := r.snap.Load()
	v := old.registry[name]
	switch {
	case old.closed:
		r.mu.Unlock()
		return ErrClosed
	case v == nil:
		r.mu.Unlock()
		return fmt.Errorf("router: %w %q", ErrUnknownVariant, name)
	case old.plan.Index(name) >= 0:
		r.mu.Unlock()
		return fmt.Errorf("%w: %q (set a plan that does not name it first)", ErrVariantInUse, name)
	}
	reg := maps.Clone(old.registry)
	delete(reg, name)
	s := *old
	s.registry = reg
	r.snap.Store(&s)
	drained := v.retire()
	r.mu.Unlock()
	select {
	case <-drained:
	case <-ctx.Done():
		return fmt.Errorf("router: remove variant %q: %w", name, ctx.Err())
	}
	if c, ok := v.p.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Close stops the router. It stops admitting requests at once: later calls
// to Predict, Serve, SetPlan, AddVariant and AddObserver return ErrClosed,
// and so do requests pinned before Close. It then waits for the requests in
// flight to finish — their observers and exposures included, so that an
// exposure writer closed after Close receives every exposure of a served
// request — and for the shadow calls in flight, and finally closes every
// predictor that implements io.Closer, once.
//
// If ctx ends first, Close returns an error naming how many requests are
// (requests and shadow calls) still in flight, cancels the shadow calls,
// and wraps ctx's error; the router stays closed to new
// work, and a later Close waits again and finishes the job. Once a Close has
// finished, Close returns the predictors' Close errors joined again, without
// closing them twice. Close is safe for concurrent use.
func (r *Router[In, Out]) Close(ctx context.Context) error {
	r.mu.Lock()
	old := r.snap.Load()
	if !old.closed {
		s := *old
		s.closed = true
		r.snap.Store(&s)
	}
	r.mu.Unlock()

	// Requests hold their assigned variant entered until they finish, and
	// shadow calls theirs: retiring every registered variant waits for all.
	for _, v := range old.registry {
		select {
		case <-v.retire():
		case <-ctx.Done():
			_ = r.shadow.pool.Close(ctx) // ctx has ended: cancels the shadow calls in flight
			return fmt.Errorf("router: close: %d calls still in flight: %w", inflight(old.registry), ctx.Err())
		}
	}
	if err := r.shadow.pool.Close(ctx); err != nil {
		return fmt.Errorf("router: close shadows: %w", err)
	}
	r.closeOnce.Do(func() {
		var errs []error
		for _, v := range old.registry {
			if c, ok := v.p.(io.Closer); ok {
				if err := c.Close(); err != nil {
					errs = append(errs, fmt.Errorf("router: close variant %q: %w", v.name, err))
				}
			}
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// inflight counts the calls in flight in the variants of reg.
func inflight[In, Out any](reg map[string]*variant[In, Out]) int64 {
	var n int64
	for _, v := range reg {
		n += v.inflight.Load()
	}
	return n
}

// callBreaker calls v through its breaker when the breaker is not closed
// or counts a failure rate: the probe, the refusal and the window are here.
func (r *Router[In, Out]) callBreaker(ctx context.Context, v *variant[In, Out], bc *breakerConfig, in In, out *Out, err *error) {
	ok, probe := v.br.allow(bc, r.clock.now)
	if !ok {
		*err = v.openErr
		return
	}
	*out, *err = v.call(ctx, in, r.timeout)
	if *err != nil && ctx.Err() != nil {
		v.br.abandon(probe) // a call its caller cancelled says nothing of the variant
		return
	}
	v.br.done(&r.clock, bc, v.name, *err != nil, probe, r.logger)
}
