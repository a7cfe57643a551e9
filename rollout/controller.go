package rollout

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"context"
	"fmt"
	"log/slog"
	"time"
)

// A Stepper is a controller that advances when told: Rollout, Rolling and
// anything that evaluates its state on a schedule. Step must be safe to call
// from one goroutine while others observe; ctx bounds the reads it makes.
type Stepper interface {
	Step(ctx context.Context) error
}

// StepperFunc adapts an ordinary function to a Stepper.
type StepperFunc func(ctx context.Context) error

// Step calls f(ctx).
func (f StepperFunc) Step(ctx context.Context) error { return f(ctx) }

// Run calls s.Step(ctx) every interval on the calling goroutine until ctx ends,
// then returns ctx's error (context.Canceled or DeadlineExceeded). It is the
// production driver of a controller:
//
//	go func() { _ = rollout.Run(ctx, 10*time.Second, ro, func(err error) { log.Print(err) }) }()
//
// and the caller, who owns ctx, stops it by cancelling ctx. An error returned
// by Step is passed to onErr when onErr is not nil, and Run goes on: a
// controller retries what failed on its next Step. An interval <= 0 is
// replaced by one second.
func Run(ctx context.Context, interval time.Duration, s Stepper, onErr func(error)) error {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if err := s.Step(ctx); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}

// EventKind names a controller transition.
type EventKind int

// The transitions a controller reports.
const (
	// EventStarted: the controller applied its first plan.
	EventStarted EventKind = iota + 1
	// EventAdvanced: a step (or batch) passed its checks; the next began.
	EventAdvanced
	// EventPromoted: the candidate serves 100%.
	EventPromoted
	// EventRolledBack: a guardrail failed; the baseline serves 100%.
	EventRolledBack
	// EventPaused: the controller was paused by hand.
	EventPaused
	// EventResumed: the controller resumed; the step's window restarts.
	EventResumed
	// EventAborted: the controller was aborted by hand; the baseline serves
	// 100%.
	EventAborted
	// EventHalted: the controller stopped itself without rolling back,
	// because its measurements cannot be trusted (sample ratio mismatch).
	// It stays paused until Resume, Promote or Abort.
	EventHalted
	// EventSwitched: a BlueGreen switched its live slot.
	EventSwitched
	// EventPlanFailed: the target refused a plan; the controller retries on
	// its next Step.
	EventPlanFailed
	// EventWaiting: a Step made no decision because the Window could not
	// read the evidence (reported once per run of failed reads; the state
	// does not change). After MaxWait without evidence the controller halts.
	EventWaiting
)

var eventNames = [...]string{
	EventStarted:    "started",
	EventAdvanced:   "advanced",
	EventPromoted:   "promoted",
	EventRolledBack: "rolled-back",
	EventPaused:     "paused",
	EventResumed:    "resumed",
	EventAborted:    "aborted",
	EventHalted:     "halted",
	EventSwitched:   "switched",
	EventPlanFailed: "plan-failed",
	EventWaiting:    "waiting",
}

// String returns the kind's name, such as "rolled-back".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// An Event is one transition of a controller, delivered to the controller's
// OnEvent callback and logged with slog.
type Event struct {
	// Time is the controller clock's time of the transition.
	Time time.Time
	// Kind says what happened.
	Kind EventKind
	// Step is the index of the step (or batch) in force after the event.
	Step int
	// Percent is the candidate's (or new version's) share after the event.
	// For BlueGreen it is 100.
	Percent float64
	// Reason explains the transition in words, with the figures that
	// decided it.
	Reason string
	// Figures are the window's figures at the transition (zero for
	// BlueGreen).
	Figures Figures
}

// events delivers a controller's events: to the callback, never while a lock
// is held, and to the logger.
type events struct {
	on     func(Event)
	logger *slog.Logger
	name   string // controller kind, for the log
	plan   string

	// OpenTelemetry instruments; attributes are the plan, the controller
	// kind and the event kind — bounded sets.
	transitions metric.Int64Counter
	percent     metric.Float64Gauge
	step        metric.Int64Gauge
	attrs       metric.MeasurementOption
}

// meterScope names the controllers' meter after the package's import path.
const meterScope = "github.com/varroute/varroute/rollout"

func newEvents(on func(Event), logger *slog.Logger, mp metric.MeterProvider, name, plan string) (events, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	e := events{on: on, logger: logger, name: name, plan: plan}
	m := mp.Meter(meterScope)
	var err error
	if e.transitions, err = m.Int64Counter("varroute.rollout.transitions", metric.WithUnit("{transition}"),
		metric.WithDescription("Transitions of a deployment controller (started, advanced, promoted, rolled-back, ...), by plan, controller and event.")); err != nil {
		return e, err
	}
	if e.percent, err = m.Float64Gauge("varroute.rollout.percent", metric.WithUnit("%"),
		metric.WithDescription("The candidate's share of traffic after the controller's last transition.")); err != nil {
		return e, err
	}
	if e.step, err = m.Int64Gauge("varroute.rollout.step", metric.WithUnit("{step}"),
		metric.WithDescription("The controller's step (batch) after its last transition.")); err != nil {
		return e, err
	}
	e.attrs = metric.WithAttributes(attribute.String("plan", plan), attribute.String("controller", name))
	return e, nil
}

// deliver logs and delivers evs in order. Call it with no lock held.
func (e *events) deliver(evs []Event) {
	for _, ev := range evs {
		level := slog.LevelInfo
		switch ev.Kind {
		case EventRolledBack, EventHalted, EventPlanFailed, EventAborted, EventWaiting:
			level = slog.LevelWarn
		}
		e.logger.LogAttrs(context.Background(), level, "varroute "+e.name+": "+ev.Kind.String(),
			slog.String("plan", e.plan),
			slog.Int("step", ev.Step),
			slog.Float64("percent", ev.Percent),
			slog.String("reason", ev.Reason),
		)
		if e.transitions != nil {
			ctx := context.Background()
			e.transitions.Add(ctx, 1, e.attrs, metric.WithAttributes(attribute.String("event", ev.Kind.String())))
			e.percent.Record(ctx, ev.Percent, e.attrs)
			e.step.Record(ctx, int64(ev.Step), e.attrs)
		}
		if e.on != nil {
			e.on(ev)
		}
	}
}
