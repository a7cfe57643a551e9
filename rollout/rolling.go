package rollout

import (
	"github.com/varroute/varroute/router"
	"github.com/varroute/varroute/strategy"
	"go.opentelemetry.io/otel/metric"

	"context"
	"log/slog"
	"time"
)

// RollingConfig configures a Rolling update. strategy.Target, Old and New are
// required; every other zero field has the default its comment gives.
type RollingConfig struct {
	// strategy.Target receives the plans.
	Target strategy.Target
	// Old is the version being replaced, New its replacement.
	Old, New string
	// Batches is the number of equal batches: batch k (from 1) sends
	// k*100/Batches percent of units to New, 1 to 100. Zero means 4.
	Batches int
	// Pause is how long each batch is held at least before the next one.
	// Zero means none; negative is an error.
	Pause time.Duration
	// MinSamples is how many requests New must have in a batch's window
	// before the batch can pass or fail. Zero means 100; negative is an
	// error.
	MinSamples int64
	// Gate is the health gate of every batch, the last one included.
	Gate Gate
	// strategy.Plan is the base plan, re-weighted at each batch (see
	// RolloutConfig.Plan). A zero strategy.Plan means a plan named "rolling/<new>"
	// splitting units between Old and New, with Old as New's fallback.
	Plan strategy.Plan
	// Now tells the time. Nil means time.Now.
	Now func() time.Time
	// Window is where the figures are read. Nil means a Collector fed by
	// Observe.
	Window Window
	// MaxWait is how long a batch may go without evidence before the update
	// halts (see RolloutConfig.MaxWait). Zero means 10 minutes; negative is
	// an error.
	MaxWait time.Duration
	// OnEvent receives every transition, with no lock held. Nil means none.
	OnEvent func(Event)
	// Logger logs every transition. Nil means slog.Default().
	Logger *slog.Logger
	// MeterProvider supplies the transition metrics (varroute.rollout.*).
	// Nil means otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
}

// A Rolling update moves traffic from an old version to a new one in equal
// batches, holding each batch for Pause and gating it on health thresholds
// (Gate: error rate, latency quantile) over the batch's window; a batch that
// fails its gate halts the update and reverts every unit to Old. Unlike a
// Rollout it does not compare the two versions: it checks the new one
// against fixed limits, which suits a replacement that is expected to behave
// like the old one. After the last batch (100%) passes, the update is
// promoted: New serves every unit, with Old as its fallback.
//
// It is driven like a Rollout: register it as an observer of the router
// (Observe) and call Step on a schedule (Run). States and events are the
// Rollout's: a failed gate is StateRolledBack with EventRolledBack. A Rolling
// is safe for concurrent use.
type Rolling struct {
	r *Rollout
}

// NewRolling validates cfg and returns a pending Rolling update; its first
// Step applies the first batch. For a bad field — a required one missing,
// Batches outside 0 to 100, a negative duration or minimum, a Gate rate
// outside [0, 1] or quantile outside (0, 1), NaN or ±Inf — it returns an
// error matching ErrConfig that names the field's path
// ("rollout: RollingConfig.Gate.MaxErrorRate is 5, ..."); for an invalid
// plan, one matching both ErrConfig and strategy.ErrInvalidPlan.
func NewRolling(cfg RollingConfig) (*Rolling, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Batches == 0 {
		cfg.Batches = 4
	}
	if cfg.Plan.Name == "" && cfg.Old != "" && cfg.New != "" {
		cfg.Plan = strategy.Plan{
			Name:      "rolling/" + cfg.New,
			Default:   strategy.Split{{Variant: cfg.Old, Weight: 100}, {Variant: cfg.New, Weight: 0}},
			Fallbacks: map[string]string{cfg.New: cfg.Old},
		}
	}
	steps := make([]float64, cfg.Batches)
	for k := range steps {
		steps[k] = float64(k+1) * 100 / float64(cfg.Batches)
	}
	steps[len(steps)-1] = 100
	r, err := newProgressive(RolloutConfig{
		Target:        cfg.Target,
		Baseline:      cfg.Old,
		Candidate:     cfg.New,
		Plan:          cfg.Plan,
		Steps:         steps,
		MinDuration:   cfg.Pause,
		MinSamples:    cfg.MinSamples,
		Now:           cfg.Now,
		Window:        cfg.Window,
		MaxWait:       cfg.MaxWait,
		OnEvent:       cfg.OnEvent,
		Logger:        cfg.Logger,
		MeterProvider: cfg.MeterProvider,
	}, steps, cfg.Gate.withDefaults(), "rolling")
	if err != nil {
		return nil, err
	}
	r.holdFull = true
	return &Rolling{r: r}, nil
}

// Step evaluates the update once (see Rollout.Step): it applies the first
// batch, reverts on a failed gate, or moves to the next batch once the
// current one has been held Pause with MinSamples requests on New. Window
// reads use ctx.
func (u *Rolling) Step(ctx context.Context) error { return u.r.Step(ctx) }

// Status returns the update's state: Step is the batch index (from 0),
// Percent New's share.
func (u *Rolling) Status() Status { return u.r.Status() }

// Observe counts an outcome in the update's window (a router.Observer). It
// allocates nothing.
func (u *Rolling) Observe(ctx context.Context, o router.Outcome) { u.r.Observe(ctx, o) }

// PlanName returns the name of the plans the update applies.
func (u *Rolling) PlanName() string { return u.r.PlanName() }

// Pause stops the update at its current batch (see Rollout.Pause).
func (u *Rolling) Pause() error { return u.r.Pause() }

// Resume continues a paused update; the batch's window restarts.
func (u *Rolling) Resume() error { return u.r.Resume() }

// Promote sends every unit to New at once.
func (u *Rolling) Promote() error { return u.r.Promote() }

// Abort reverts every unit to Old at once.
func (u *Rolling) Abort() error { return u.r.Abort() }
