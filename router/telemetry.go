package router

import (
	"context"

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

// Outcome values of the "outcome" metric attribute.
const (
	outcomeOK       = iota // the assigned variant served
	outcomeFallback        // a fallback served
	outcomeError           // no variant served
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "fallback", "error"}

// Shadow comparison outcomes.
const (
	shadowAgree = iota
	shadowDisagree
	shadowError
	shadowTimeout
	numShadowOutcomes
)

var shadowOutcomeNames = [numShadowOutcomes]string{"agree", "disagree", "error", "timeout"}

// telemetry holds the router's instruments, created once in New.
type telemetry struct {
	tracer  trace.Tracer
	tracing bool // the tracer records spans without a recording parent

	requests    metric.Int64Counter
	errors      metric.Int64Counter
	duration    metric.Float64Histogram
	fallbacks   metric.Int64Counter
	comparisons metric.Int64Counter
	agreements  metric.Int64Counter
	dropped     metric.Int64Counter
}

func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider) (*telemetry, error) {
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
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, e := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err == nil {
			err = e
		}
		return c
	}
	t.requests = counter("varroute.requests", "{request}", "Requests routed, by plan, rule, assigned variant and outcome (ok, fallback, error).")
	t.errors = counter("varroute.variant.errors", "{error}", "Failures of the assigned variant (error, panic or timeout), whether or not a fallback then served.")
	t.fallbacks = counter("varroute.fallbacks", "{request}", "Requests served by a fallback, by plan, assigned variant and the variant that served.")
	t.comparisons = counter("varroute.shadow.comparisons", "{comparison}", "Shadow calls compared with the primary, by plan, primary, shadow and outcome (agree, disagree, error, timeout).")
	t.agreements = counter("varroute.shadow.agreements", "{comparison}", "Shadow calls whose answer agreed with the primary's.")
	t.dropped = counter("varroute.shadow.dropped", "{call}", "Shadow calls dropped because the shadow pool was full.")
	t.duration, err = m.Float64Histogram("varroute.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from the routing decision to the response, fallbacks included."),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	if err != nil {
		return nil, err
	}
	return t, nil
}

// metricsOn reports whether any request metric is exported.
func (t *telemetry) metricsOn(ctx context.Context) bool {
	return t.requests.Enabled(ctx) || t.duration.Enabled(ctx)
}

// attrs holds the measurement options of one plan snapshot, precomputed so
// that recording allocates nothing. Attribute values come from bounded sets
// (plan, rule, variant, outcome); never the unit key.
type attrs struct {
	rules    []string             // rule names; index+1 in the tables, 0 for the default split
	requests [][][numOutcomes]opt // [rule][variant][outcome]
	errors   [][]opt              // [rule][variant]
	fallback [][]opt              // [assigned][served]
	shadows  [][][numShadowOutcomes]opt
	dropped  []opt                                // [shadow variant]
	spans    [][][numReasons][]attribute.KeyValue // [rule][variant][reason]
}

// Reasons indexed in attrs.spans.
const (
	reasonRule = iota
	reasonDefault
	reasonNoKey
	numReasons
)

var reasonByIndex = [numReasons]Reason{ReasonRule, ReasonDefault, ReasonNoKey}

func reasonIndex(r Reason) int {
	switch r {
	case ReasonRule:
		return reasonRule
	case ReasonNoKey:
		return reasonNoKey
	}
	return reasonDefault
}

// opt is one attribute set as both add and record options.
type opt struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newOpt(kvs ...attribute.KeyValue) opt {
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return opt{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

func newAttrs(c *assign.Table) *attrs {
	p := c.Plan()
	plan := attribute.String("plan", p.Name)
	vs := c.Variants()
	a := &attrs{}
	rules := append([]string{""}, make([]string, len(p.Rules))...)
	for i, r := range p.Rules {
		rules[i+1] = r.Name
		if r.Name == "" {
			rules[i+1] = r.Audience
		}
	}
	a.rules = rules[1:]
	for _, rule := range rules {
		ruleAttr := attribute.String("rule", rule)
		if rule == "" {
			ruleAttr = attribute.String("rule", "default")
		}
		reqs := make([][numOutcomes]opt, len(vs))
		errs := make([]opt, len(vs))
		spans := make([][numReasons][]attribute.KeyValue, len(vs))
		for vi, v := range vs {
			for ri := range numReasons {
				reason := reasonByIndex[ri]
				spans[vi][ri] = []attribute.KeyValue{
					// The OpenTelemetry semantic conventions for feature flags.
					attribute.String("feature_flag.key", p.Name),
					attribute.String("feature_flag.provider.name", "varroute"),
					attribute.String("feature_flag.result.variant", v),
					attribute.String("feature_flag.result.reason", reasonValue(reason)),
					attribute.String("varroute.rule", rule),
					attribute.String("varroute.reason", string(reason)),
				}
			}
			for o := range numOutcomes {
				reqs[vi][o] = newOpt(plan, ruleAttr, attribute.String("variant", v), attribute.String("outcome", outcomeNames[o]))
			}
			errs[vi] = newOpt(plan, ruleAttr, attribute.String("variant", v))
		}
		a.requests = append(a.requests, reqs)
		a.errors = append(a.errors, errs)
		a.spans = append(a.spans, spans)
	}
	a.fallback = make([][]opt, len(vs))
	a.shadows = make([][][numShadowOutcomes]opt, len(vs))
	a.dropped = make([]opt, len(vs))
	for i, v := range vs {
		a.fallback[i] = make([]opt, len(vs))
		a.shadows[i] = make([][numShadowOutcomes]opt, len(vs))
		a.dropped[i] = newOpt(plan, attribute.String("shadow", v))
		for j, w := range vs {
			a.fallback[i][j] = newOpt(plan, attribute.String("variant", v), attribute.String("served", w))
			for o := range numShadowOutcomes {
				a.shadows[i][j][o] = newOpt(plan, attribute.String("primary", v), attribute.String("shadow", w), attribute.String("outcome", shadowOutcomeNames[o]))
			}
		}
	}
	return a
}

// ruleIndex returns the table index of a decision's rule: 0 for the
// default split, i+1 for rule i. Rule names are few and the decision's name
// is the compiled plan's own string, so the scan is short.
func (a *attrs) ruleIndex(rule string) int {
	if rule == "" {
		return 0
	}
	for i, r := range a.rules {
		if r == rule {
			return i + 1
		}
	}
	return 0
}

// record records one request's metrics: o's assigned variant is index vi
// of the snapshot whose attributes are a; served is the variant that
// served (or last failed).
func (t *telemetry) record(ctx context.Context, a *attrs, o *Outcome, vi, served int) {
	ri := a.ruleIndex(o.Decision.Rule)
	outcome := outcomeOK
	switch {
	case o.Err != nil:
		outcome = outcomeError
	case served != vi:
		outcome = outcomeFallback
		t.fallbacks.Add(ctx, 1, a.fallback[vi][served].add...)
	}
	req := &a.requests[ri][vi][outcome]
	t.requests.Add(ctx, 1, req.add...)
	t.duration.Record(ctx, o.Latency.Seconds(), req.rec...)
	if o.Failure != nil {
		t.errors.Add(ctx, 1, a.errors[ri][vi].add...)
	}
}

// recordShadow records one shadow comparison's metrics.
func (t *telemetry) recordShadow(ctx context.Context, a *attrs, primary, shadowVar int, c *shadow.Comparison) {
	if !t.comparisons.Enabled(ctx) && !t.agreements.Enabled(ctx) {
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
	o := &a.shadows[primary][shadowVar][outcome]
	t.comparisons.Add(ctx, 1, o.add...)
	if c.Agreed {
		t.agreements.Add(ctx, 1, a.shadows[primary][shadowVar][shadowAgree].add...)
	}
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
// otherwise. The span's attributes are precomputed per plan.
func (t *telemetry) startSpan(ctx context.Context, a *attrs, d *Decision, vi int) (context.Context, trace.Span) {
	if !t.tracing && !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	ctx, span := t.tracer.Start(ctx, "varroute.Predict")
	if span.IsRecording() {
		span.SetAttributes(a.spans[a.ruleIndex(d.Rule)][vi][reasonIndex(d.Reason)]...)
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
