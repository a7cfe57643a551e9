package router

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/varroute/varroute/internal/assign"
	"github.com/varroute/varroute/shadow"
)

// scope names the meter and the tracer after the package's import path.
const scope = "github.com/varroute/varroute/router"

// Shadow comparison outcomes.
const (
	shadowAgree = iota
	shadowDisagree
	shadowError
	shadowTimeout
	numShadowOutcomes
)

var shadowOutcomeNames = [numShadowOutcomes]string{"agree", "disagree", "error", "timeout"}

// telemetry holds the router's instruments, created once in New. Request
// metrics are not recorded here: the request path adds to the router's
// aggregates (planStats), and the observable instruments read them when the
// MeterProvider collects.
type telemetry struct {
	tracer  trace.Tracer
	tracing bool // the tracer records spans without a recording parent

	duration    metric.Float64Histogram // only with Config.LatencyHistogram
	comparisons metric.Int64Counter
	dropped     metric.Int64Counter
	reg         metric.Registration // the observable instruments' callback
}

func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider, latencyHistogram bool, revisions func() []*planStats, breakers func() []BreakerStatus) (*telemetry, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(scope)
	t := &telemetry{tracer: tp.Tracer(scope)}
	// A tracer that makes real spans (an SDK is installed: its spans have
	// valid contexts even when a sampler drops them) gets a span per
	// request; otherwise spans are made only under a recording parent, so
	// the default no-op globals cost no allocation per request. The probe
	// is never ended, so no exporter sees it.
	_, probe := t.tracer.Start(context.Background(), "varroute.probe")
	t.tracing = probe.SpanContext().IsValid() || probe.IsRecording()

	var err error
	keep := func(e error) {
		if err == nil {
			err = e
		}
	}
	requests, e := m.Int64ObservableCounter("varroute.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests routed, by plan, revision, rule, assigned variant, reason (rule, default, no-key) and outcome (ok, fallback, error, circuit-open). Failures of the assigned variant are the requests whose outcome is not ok."))
	keep(e)
	busy, e := m.Float64ObservableCounter("varroute.request.duration.sum", metric.WithUnit("s"),
		metric.WithDescription("Sum of the requests' latencies (decision to response, fallbacks included), by the attributes of varroute.requests: divided by varroute.requests it is the mean latency."))
	keep(e)
	fallbacks, e := m.Int64ObservableCounter("varroute.fallbacks", metric.WithUnit("{request}"),
		metric.WithDescription("Requests served by a fallback, by plan, revision, assigned variant and the variant that served."))
	keep(e)
	t.comparisons, e = m.Int64Counter("varroute.shadow.comparisons", metric.WithUnit("{comparison}"),
		metric.WithDescription("Shadow calls compared with the primary, by plan, primary, shadow and outcome (agree, disagree, error, timeout)."))
	keep(e)
	t.dropped, e = m.Int64Counter("varroute.shadow.dropped", metric.WithUnit("{call}"),
		metric.WithDescription("Shadow calls dropped because the shadow pool was full."))
	keep(e)
	transitions, e := m.Int64ObservableCounter("varroute.breaker.transitions", metric.WithUnit("{transition}"),
		metric.WithDescription("Transitions of a variant's circuit breaker, by variant and the state entered (open, half-open, closed)."))
	keep(e)
	open, e := m.Int64ObservableGauge("varroute.breaker.open", metric.WithUnit("1"),
		metric.WithDescription("1 while a variant's circuit breaker is open or half-open, 0 while it is closed, by variant."))
	keep(e)
	if latencyHistogram {
		t.duration, e = m.Float64Histogram("varroute.request.duration", metric.WithUnit("s"),
			metric.WithDescription("Time from the routing decision to the response, fallbacks included, by plan, revision, rule, variant, reason and outcome."))
		keep(e)
	}
	if err != nil {
		return nil, err
	}
	t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, ps := range revisions() {
			ps.observe(o, requests, busy, fallbacks)
		}
		for _, b := range breakers() {
			v := attribute.String("variant", b.Variant)
			var isOpen int64
			if b.State != BreakerClosed {
				isOpen = 1
			}
			o.ObserveInt64(open, isOpen, metric.WithAttributes(v))
			for st, n := range b.Transitions {
				o.ObserveInt64(transitions, n, metric.WithAttributes(v, attribute.String("state", string(st))))
			}
		}
		return nil
	}, requests, busy, fallbacks, transitions, open)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// close unregisters the observable instruments.
func (t *telemetry) close() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}

// observe reports ps's aggregates to the observable instruments. Attribute
// sets are made at the first collection of a cell and kept.
func (ps *planStats) observe(o metric.Observer, requests metric.Int64Observable, busy metric.Float64Observable, fallbacks metric.Int64Observable) {
	for rm, c := range ps.used() {
		opt := c.obs.Load()
		if opt == nil {
			o := metric.MeasurementOption(metric.WithAttributeSet(requestAttrs(&rm)))
			opt = &o
			c.obs.Store(opt)
		}
		n, sum := c.h.Load().Totals()
		o.ObserveInt64(requests, n, *opt)
		o.ObserveFloat64(busy, sum.Seconds(), *opt)
	}
	for vi := range ps.fallbacks {
		row := ps.fallbacks[vi].Load()
		if row == nil {
			continue
		}
		for si := range *row {
			if n := (*row)[si].Load(); n > 0 {
				o.ObserveInt64(fallbacks, n, metric.WithAttributes(
					attribute.String("plan", ps.plan), attribute.String("revision", ps.revision),
					attribute.String("variant", ps.variants[vi]), attribute.String("served", ps.variants[si])))
			}
		}
	}
}

// requestAttrs returns the attributes of a request series: bounded sets,
// never the unit key.
func requestAttrs(rm *RequestMetrics) attribute.Set {
	rule := rm.Rule
	if rule == "" {
		rule = "default"
	}
	return attribute.NewSet(
		attribute.String("plan", rm.Plan),
		attribute.String("revision", rm.Revision),
		attribute.String("rule", rule),
		attribute.String("variant", rm.Variant),
		attribute.String("reason", string(rm.Reason)),
		attribute.String("outcome", rm.Outcome),
	)
}

// recordLatency records one request in the synchronous histogram, when
// Config.LatencyHistogram asked for it.
func (t *telemetry) recordLatency(ctx context.Context, ps *planStats, ch *assign.Choice, outcome int, latency float64) {
	if t.duration == nil || !t.duration.Enabled(ctx) {
		return
	}
	c := &ps.cells[ps.cellIndex(ch.Rule, ch.Variant, ch.NoKey(), outcome)]
	rec := c.rec.Load()
	if rec == nil {
		rm := RequestMetrics{Plan: ps.plan, Revision: ps.revision, Variant: ps.variants[ch.Variant], Reason: ReasonDefault, Outcome: outcomeNames[outcome]}
		if ch.Rule >= 0 {
			rm.Rule, rm.Reason = ps.rules[ch.Rule], ReasonRule
		}
		if ch.NoKey() {
			rm.Reason = ReasonNoKey
		}
		opts := []metric.RecordOption{metric.WithAttributeSet(requestAttrs(&rm))}
		rec = &opts
		c.rec.Store(rec)
	}
	t.duration.Record(ctx, latency, *rec...)
}

// attrs holds the shadow metrics' attribute sets of one plan snapshot, made
// on first use so that a plan with many variants costs nothing up front.
type attrs struct {
	plan     string
	variants []string
	dropped  []opt // [shadow variant]

	mu      sync.Mutex
	shadows map[[3]int]metric.AddOption // (primary, shadow, outcome)
}

// opt is one attribute set as an add option.
type opt struct {
	add []metric.AddOption
}

func newAttrs(c *assign.Table) *attrs {
	a := &attrs{plan: c.Name(), variants: c.Variants(), shadows: make(map[[3]int]metric.AddOption)}
	a.dropped = make([]opt, len(a.variants))
	for j := range c.Plan().Shadows {
		si := c.Shadow(j)
		a.dropped[si] = opt{add: []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
			attribute.String("plan", a.plan), attribute.String("shadow", a.variants[si])))}}
	}
	return a
}

// shadow returns the attributes of a shadow comparison.
func (a *attrs) shadow(primary, shadowVar, outcome int) metric.AddOption {
	k := [3]int{primary, shadowVar, outcome}
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.shadows[k]
	if !ok {
		o = metric.WithAttributeSet(attribute.NewSet(attribute.String("plan", a.plan), attribute.String("primary", a.variants[primary]),
			attribute.String("shadow", a.variants[shadowVar]), attribute.String("outcome", shadowOutcomeNames[outcome])))
		a.shadows[k] = o
	}
	return o
}

// recordShadow records one shadow comparison's metrics.
func (t *telemetry) recordShadow(ctx context.Context, a *attrs, primary, shadowVar int, c *shadow.Comparison) {
	if !t.comparisons.Enabled(ctx) {
		return
	}
	outcome := shadowDisagree
	switch {
	case c.TimedOut:
		outcome = shadowTimeout
	case c.Err != nil:
		outcome = shadowError
	case c.Agreed:
		outcome = shadowAgree
	}
	t.comparisons.Add(ctx, 1, a.shadow(primary, shadowVar, outcome))
}

// reasonValue maps a decision's reason to the OpenTelemetry feature-flag
// semantic conventions' reason values.
func reasonValue(r Reason) string {
	switch r {
	case ReasonRule:
		return "targeting_match"
	case ReasonDefault:
		return "split"
	case ReasonNoKey:
		return "default"
	}
	return "unknown"
}

// startSpan starts the request's span, carrying the decision, if tracing is
// on or the request already has a recording span; it returns a nil span
// otherwise.
func (t *telemetry) startSpan(ctx context.Context, ps *planStats, d *Decision) (context.Context, trace.Span) {
	if !t.tracing && !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	ctx, span := t.tracer.Start(ctx, "varroute.Predict")
	if span.IsRecording() {
		rule := d.Rule
		if rule == "" {
			rule = "default"
		}
		span.SetAttributes(
			// The OpenTelemetry semantic conventions for feature flags.
			attribute.String("feature_flag.key", d.Plan),
			attribute.String("feature_flag.provider.name", "varroute"),
			attribute.String("feature_flag.result.variant", d.Variant),
			attribute.String("feature_flag.result.reason", reasonValue(d.Reason)),
			attribute.String("feature_flag.version", ps.revision),
			attribute.String("varroute.rule", rule),
			attribute.String("varroute.reason", string(d.Reason)),
		)
	}
	return ctx, span
}

// endSpan records the outcome on span and ends it: which variant served
// when a fallback did, the failure and the error.
func endSpan(span trace.Span, o *Outcome) {
	if o.FellBack() {
		span.SetAttributes(attribute.Bool("varroute.fallback", true), attribute.String("varroute.served", o.Served))
	}
	if o.Failure != nil {
		span.RecordError(o.Failure)
	}
	if o.Err != nil {
		span.SetStatus(codes.Error, o.Err.Error())
	}
	span.End()
}

// shadowSpan starts a span for a shadow call: a new root linked to the
// request's span (which has usually ended by then), marked as a shadow.
func (t *telemetry) shadowSpan(ctx context.Context, info shadow.Info) (context.Context, trace.Span) {
	parent := trace.SpanContextFromContext(ctx)
	if !t.tracing && !parent.IsSampled() {
		return ctx, nil
	}
	opts := []trace.SpanStartOption{trace.WithNewRoot(), trace.WithAttributes(
		attribute.Bool("varroute.shadow", true),
		attribute.String("varroute.primary", info.Primary),
		attribute.String("varroute.shadow.variant", info.Shadow),
		attribute.Bool("varroute.noise_floor", info.NoiseFloor),
	)}
	if parent.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: parent}))
	}
	return t.tracer.Start(ctx, "varroute.shadow", opts...)
}

// endShadowSpan records a comparison on its shadow span and ends it.
func endShadowSpan(span trace.Span, c *shadow.Comparison) {
	span.SetAttributes(
		attribute.Bool("varroute.shadow.agreed", c.Agreed),
		attribute.Bool("varroute.shadow.timed_out", c.TimedOut),
	)
	if c.Err != nil {
		span.RecordError(c.Err)
		span.SetStatus(codes.Error, c.Err.Error())
	}
	span.End()
}
